"""`reelstack executions` arguments, and finding the state machine to read (no cloud running)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from reelstack.domain.workflow.execution_rows import ExecutionQuery
from reelstack_tools.cli import build_parser, main
from reelstack_tools.executions_command import watch
from reelstack_tools.executions_target import TargetError, arn_target, local_target
from reelstack_tools.executions_view import Listing
from reelstack_tools.localcloud import cloudfile

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:IngestStateMachine"


def write_cloud(state_dir: Path, ready: bool = True, resources: dict | None = None) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    cloudfile.write(
        state_dir,
        {
            "ready": ready,
            "aws_endpoint": "http://127.0.0.1:4566",
            "region": "us-east-1",
            "resources": {"IngestStateMachine": {"type": "AWS::StepFunctions::StateMachine", "arn": MACHINE}}
            if resources is None
            else resources,
        },
    )


def test_the_options_parse_with_a_case_insensitive_status_and_defaults() -> None:
    args = build_parser().parse_args(["executions", "--status", "failed", "--video", "v1"])
    assert (args.status, args.video, args.limit, args.watch, args.interval) == (
        "FAILED",
        "v1",
        20,
        False,
        2.0,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--status", "DONE"],
        ["--limit", "0"],
        ["--limit", "many"],
        ["--stack", "s", "--state-machine", MACHINE],
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["executions", *argv])
    assert stopped.value.code == 2


def test_the_local_cloud_is_found_through_its_cloud_json(tmp_path: Path) -> None:
    # GIVEN the cloud.json a running `reelstack up` writes
    write_cloud(tmp_path)
    # WHEN the target is resolved from its state directory
    target = local_target(tmp_path)
    # THEN it is that cloud's ingest state machine, at its endpoint, with the local credentials
    assert (target.state_machine_arn, target.endpoint_url, target.local) == (
        MACHINE,
        "http://127.0.0.1:4566",
        True,
    )


@pytest.mark.parametrize(
    ("ready", "resources", "message"),
    [(False, None, "no running local cloud"), (True, {}, "has no IngestStateMachine")],
)
def test_a_cloud_not_ready_or_without_the_state_machine_is_refused(
    tmp_path: Path, ready: bool, resources: dict | None, message: str
) -> None:
    write_cloud(tmp_path, ready, resources)
    with pytest.raises(TargetError, match=message):
        local_target(tmp_path)


def test_a_state_machine_arn_targets_aws_in_its_own_region() -> None:
    target = arn_target(MACHINE.replace("us-east-1", "eu-west-1"), None, None)
    assert (target.region, target.local, target.where) == ("eu-west-1", False, "AWS eu-west-1")
    with pytest.raises(TargetError):
        arn_target("IngestStateMachine", None, None)


def test_without_a_running_cloud_the_command_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["executions", "--state-dir", str(tmp_path / "none")])
    assert code == 1
    assert "reelstack up" in capsys.readouterr().err


def test_an_endpoint_without_a_stack_or_arn_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["executions", "--endpoint-url", "http://127.0.0.1:1"]) == 2
    assert "--endpoint-url goes with --stack or --state-machine" in capsys.readouterr().err


def test_watch_rereads_every_interval_and_stops_cleanly_on_ctrl_c() -> None:
    # GIVEN a reader whose third read is interrupted by Ctrl-C
    reads: list[int] = []

    def read() -> Listing:
        reads.append(len(reads))
        if len(reads) == 3:
            raise KeyboardInterrupt
        return Listing(ExecutionQuery(MACHINE), f"read {len(reads)}", datetime.now(UTC))

    output = io.StringIO()
    # WHEN watched with a short interval
    code = watch(Console(file=output, width=120), read, interval=0.01)
    # THEN it read three times, exits 0, and leaves the last view it showed
    assert (code, len(reads)) == (0, 3)
    assert "on read 2" in output.getvalue()


def test_workflow_picks_the_nightly_profile_run_instead_of_ingest(tmp_path: Path) -> None:
    # GIVEN a cloud with the ingest and the profiles state machines
    profiles = MACHINE.replace("IngestStateMachine", "ProfilesStateMachine")
    write_cloud(
        tmp_path,
        resources={
            "IngestStateMachine": {"type": "AWS::StepFunctions::StateMachine", "arn": MACHINE},
            "ProfilesStateMachine": {"type": "AWS::StepFunctions::StateMachine", "arn": profiles},
        },
    )
    # WHEN `--workflow profiles` is given THEN that state machine is read
    from reelstack_tools.executions_command import resolve_target

    args = build_parser().parse_args(["executions", "--workflow", "profiles", "--state-dir", str(tmp_path)])
    assert resolve_target(args).state_machine_arn == profiles
    # AND without it, the ingest workflow as before
    args = build_parser().parse_args(["executions", "--state-dir", str(tmp_path)])
    assert resolve_target(args).state_machine_arn == MACHINE
