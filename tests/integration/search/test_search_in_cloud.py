"""The local cloud runs the search node when the template declares a search domain: green before the
cloud is ready, its URL in cloud.json and in the SEARCH_ENDPOINT of the functions that declare it,
stopped with the cloud."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from reelstack_tools.localcloud.client import pid_alive, running_local_cloud

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_the_cloud_starts_the_search_node_and_stops_it(tmp_path: Path) -> None:
    with running_local_cloud(FIXTURES / "template.yaml", tmp_path / "state", timeout=180) as cloud:
        search_url = cloud.search_url
        assert search_url is not None and search_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{search_url}/_cluster/health", timeout=10) as response:
            assert json.loads(response.read())["status"] == "green"
        env = cloud.invoke("EndpointsFunction", {}).payload
        assert env["SEARCH_ENDPOINT"] == search_url
        assert env["DOMAIN_ENDPOINT"] == search_url.removeprefix("http://")
        search_pid = int(cloud.info["pids"]["search"])
        assert pid_alive(search_pid)
        assert (cloud.state_dir / "search" / "data").is_dir()
    deadline = time.monotonic() + 30
    while pid_alive(search_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(search_pid)
