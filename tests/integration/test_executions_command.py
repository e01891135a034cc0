"""`reelstack executions` against the local cloud: ingest executions started for videos that do not exist
fail at their first stage; the command lists them with their status, failed state and timeline.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

import pytest

from reelstack_tools.cli import main
from tests.conftest import ROOT
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
TIMELINE_ROW = re.compile(r"^│ (\S+) +│ +\+(\d+\.\d+)s │", re.MULTILINE)  # state │ entered offset │


def start_for_missing_video(sfn: Any, state_machine: str, bucket: str) -> str:
    video_id = f"missing-{uuid.uuid4().hex[:12]}"
    document = {"video_id": video_id, "bucket": bucket, "key": f"originals/{video_id}", "size": 1}
    sfn.start_execution(stateMachineArn=state_machine, name=video_id, input=json.dumps(document))
    return video_id


def finished(sfn: Any, state_machine: str, video_id: str) -> dict[str, Any]:
    arn = state_machine.replace(":stateMachine:", ":execution:") + f":{video_id}"
    described = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=60
    )
    assert described, f"{video_id} still running"
    return dict(described)


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    return list(sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"])


@pytest.fixture(scope="module")
def failed_videos(cloud_sfn: Any, ingest_state_machine: str, media_bucket: str) -> list[dict[str, Any]]:
    """Two ingest executions for videos with no record, run to their end."""
    video_ids = [start_for_missing_video(cloud_sfn, ingest_state_machine, media_bucket) for _ in range(2)]
    return [finished(cloud_sfn, ingest_state_machine, video_id) for video_id in video_ids]


def run(capsys: pytest.CaptureFixture[str], local_cloud: Any, *argv: str) -> tuple[int, str]:
    code = main(["executions", "--state-dir", str(local_cloud.state_dir), *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def lines_with(text: str, *words: str) -> list[str]:
    return [line for line in text.splitlines() if all(word in line for word in words)]


ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # cursor moves and line erasures of a live view


def _read_all(stream: IO[bytes] | None, into: list[bytes]) -> None:
    """Everything `stream` writes, as it comes (for a reader thread)."""
    if stream is None:
        return
    while chunk := os.read(stream.fileno(), 65536):
        into.append(chunk)


def _stuck(process: subprocess.Popen[bytes], errors: list[bytes]) -> str:
    """Why a process did not stop: its signal masks (from /proc) and, through faulthandler (SIGABRT),
    every thread's stack as it wrote it to stderr."""
    status = Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8")
    masks = [line for line in status.splitlines() if line.startswith(("SigBlk", "SigIgn", "SigCgt"))]
    process.send_signal(signal.SIGABRT)
    time.sleep(1.0)
    return f"{masks}; stderr: {b''.join(errors).decode(errors='replace')[-6000:]}"


def _screen(written: list[bytes]) -> str:
    """What a live view wrote so far, without its terminal control sequences."""
    return ESCAPE.sub("", b"".join(written).decode(errors="replace")).replace("\r", "\n")


def test_failed_executions_are_listed_with_their_failed_state_and_timeline(
    local_cloud: Any,
    cloud_sfn: Any,
    ingest_state_machine: str,
    failed_videos: list[dict[str, Any]],
    capsys: Any,
) -> None:
    # GIVEN two ingest executions that ended FAILED (their videos do not exist)
    assert [execution["status"] for execution in failed_videos] == ["FAILED", "FAILED"]
    first_state = json.loads(
        cloud_sfn.describe_state_machine(stateMachineArn=ingest_state_machine)["definition"]
    )["StartAt"]
    # WHEN the command lists the local cloud's executions
    code, out = run(capsys, local_cloud, "--limit", "100")
    # THEN each execution has a summary line: its name, FAILED, the Fail state it ended in, the stage that failed
    assert code == 0, out
    for execution in failed_videos:
        assert lines_with(out, execution["name"], "FAILED", "│ Failed ", f"│ {first_state} "), out
    # AND newest first: the second one started is listed before the first
    names = [execution["name"] for execution in failed_videos]
    assert out.index(names[1]) < out.index(names[0])
    # AND the first stage's line says it failed with the error Step Functions recorded for it
    events = history(cloud_sfn, failed_videos[0]["executionArn"])
    error = next(
        event["taskFailedEventDetails"]["error"] for event in events if event["type"] == "TaskFailed"
    )
    stage = lines_with(out, f"│ {first_state} ", error)
    assert stage and any(outcome in stage[0] for outcome in ("caught", "failed")), out
    # AND the Fail state closes the timeline, failed, with the execution's error
    assert lines_with(out, "│ Failed ", "failed", failed_videos[0]["error"]), out


def test_one_video_shows_one_timeline_row_per_state_entered_with_growing_offsets(
    local_cloud: Any, cloud_sfn: Any, failed_videos: list[dict[str, Any]], capsys: Any
) -> None:
    # GIVEN one of the failed executions and its history, read directly
    execution = failed_videos[0]
    events = history(cloud_sfn, execution["executionArn"])
    entered = [
        event["stateEnteredEventDetails"]["name"] for event in events if event["type"].endswith("Entered")
    ]
    # WHEN the command shows only that video
    code, out = run(capsys, local_cloud, "--video", execution["name"])
    # THEN only it is shown, with one timeline row per state entered, in order, offsets never going back
    assert code == 0, out
    assert failed_videos[1]["name"] not in out
    rows = TIMELINE_ROW.findall(out)
    assert [name for name, _ in rows] == entered, out
    offsets = [float(entered_at) for _, entered_at in rows]
    assert offsets == sorted(offsets) and offsets[0] >= 0


def test_the_status_filter_keeps_or_drops_the_failed_executions(
    local_cloud: Any, failed_videos: list[dict[str, Any]], capsys: Any
) -> None:
    names = [execution["name"] for execution in failed_videos]
    # WHEN only SUCCEEDED executions are asked for
    code, succeeded = run(capsys, local_cloud, "--status", "SUCCEEDED", "--limit", "100")
    # THEN the failed ones are not listed
    assert code == 0 and not any(name in succeeded for name in names), succeeded
    # AND asking for FAILED lists them again
    code, failed = run(capsys, local_cloud, "--status", "FAILED", "--limit", "100")
    assert code == 0 and all(name in failed for name in names), failed


def test_an_unknown_video_is_said_and_exits_1(local_cloud: Any, capsys: Any) -> None:
    code, out = run(capsys, local_cloud, "--video", "no-such-video")
    assert code == 1 and "no execution named no-such-video" in out


def test_a_stack_is_resolved_through_cloudformation(
    local_cloud: Any,
    ingest_state_machine: str,
    failed_videos: list[dict[str, Any]],
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a CloudFormation stack (in the cloud's moto) whose IngestStateMachine has the ingest machine's ARN
    stack = f"reelstack-{uuid.uuid4().hex[:8]}"
    machine = ingest_state_machine.rpartition(":")[2]
    definition = {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}}
    resource = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": machine,
            "RoleArn": "arn:aws:iam::123456789012:role/reelstack-probe",
            "DefinitionString": json.dumps(definition),
        },
    }
    cfn = local_cloud.client("cloudformation")
    cfn.create_stack(
        StackName=stack, TemplateBody=json.dumps({"Resources": {"IngestStateMachine": resource}})
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # WHEN the command reads "AWS" for that stack, at the cloud's endpoint
    argv = [
        "executions",
        "--stack",
        stack,
        "--endpoint-url",
        local_cloud.aws_endpoint,
        "--region",
        "us-east-1",
    ]
    code = main([*argv, "--limit", "100"])
    out = capsys.readouterr().out
    # THEN it lists that state machine's executions
    assert code == 0, out
    assert f"stack {stack}" in out and all(execution["name"] in out for execution in failed_videos)
    # AND a stack that does not exist is an error
    assert main([*argv[:2], f"{stack}-gone", *argv[3:]]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_watch_refreshes_until_ctrl_c(
    local_cloud: Any, cloud_sfn: Any, ingest_state_machine: str, media_bucket: str
) -> None:
    # GIVEN `reelstack executions --watch` running (refreshing every 0.3 s) on a terminal-like output, so
    # each refresh is written as it happens (a plain pipe gets only the last view, at exit)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "infra"), os.environ.get("PYTHONPATH", "")]),
        TTY_COMPATIBLE="1",
        TTY_INTERACTIVE="1",
        TERM="xterm",
        COLUMNS="160",
        NO_COLOR="1",
        PYTHONFAULTHANDLER="1",
    )
    command = [sys.executable, "-m", "reelstack_tools.cli", "executions", "--watch", "--interval", "0.3"]
    watcher = subprocess.Popen(
        # FAILED only: the session's other executions (earlier tests' uploads still being ingested) cannot
        # push the new one out of the view's 5 rows
        [*command, "--state-dir", str(local_cloud.state_dir), "--status", "FAILED", "--limit", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    written: list[bytes] = []
    errors: list[bytes] = []  # drained as it comes too: a full stderr pipe would block the watcher
    reader = threading.Thread(target=_read_all, args=(watcher.stdout, written), daemon=True)
    reader.start()
    error_reader = threading.Thread(target=_read_all, args=(watcher.stderr, errors), daemon=True)
    error_reader.start()
    try:
        assert wait_for(lambda: _screen(written).strip(), timeout=60), "the watcher showed nothing"
        # WHEN an execution starts after it and runs to its end
        video_id = start_for_missing_video(cloud_sfn, ingest_state_machine, media_bucket)
        finished(cloud_sfn, ingest_state_machine, video_id)
        # THEN a refresh shows it FAILED (however long this machine takes to refresh)
        assert wait_for(lambda: lines_with(_screen(written), video_id, "FAILED"), timeout=60), _screen(
            written
        )
        # WHEN Ctrl-C stops the watcher
        watcher.send_signal(signal.SIGINT)
        try:
            watcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the watcher outlived Ctrl-C by 30 s: {_stuck(watcher, errors)}")
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    reader.join(timeout=30)
    error_reader.join(timeout=30)
    err = b"".join(errors).decode(errors="replace")
    # THEN it exits 0, leaving the last view: the new execution, FAILED
    assert watcher.returncode == 0, err
    assert lines_with(_screen(written), video_id, "FAILED"), _screen(written)
