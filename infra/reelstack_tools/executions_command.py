"""`reelstack executions`: a workflow's executions (the ingest one unless `--workflow` names another: heat,
tiering, profiles), newest first, each with its per-state timeline.

It reads the running local cloud by default (its cloud.json in --state-dir), or AWS with `--stack NAME`
or `--state-machine ARN`; `--watch` refreshes the view every 2 s until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reelstack.domain.workflow.execution_rows import STATUSES
from reelstack_tools.executions_target import WORKFLOWS

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack.domain.workflow.execution_rows import ExecutionQuery
    from reelstack_tools.executions_target import Target
    from reelstack_tools.executions_view import Listing

HELP = "list a workflow's executions (ingest by default), newest first, with a state-by-state timeline"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
PLAIN_WIDTH = 160  # when the output is not a terminal (a file, a pipe, a test)


def _status(text: str) -> str:
    status = text.upper()
    if status not in STATUSES:
        raise argparse.ArgumentTypeError(f"one of {', '.join(STATUSES)}")
    return status


def _positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from error
        if value <= 0:
            raise argparse.ArgumentTypeError("must be more than 0")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--watch", action="store_true", help="refresh until Ctrl-C")
    parser.add_argument(
        "--interval",
        type=_positive(float),
        default=2.0,
        metavar="SECONDS",
        help="--watch refresh period (2 s)",
    )
    parser.add_argument(
        "--status", type=_status, help=f"only executions in this status: {'|'.join(STATUSES)}"
    )
    parser.add_argument(
        "--limit", type=_positive(int), default=20, metavar="N", help="at most N executions (default 20)"
    )
    parser.add_argument("--video", metavar="VIDEO_ID", help="only the execution of this video (its name)")
    parser.add_argument(
        "--workflow",
        choices=sorted(WORKFLOWS),
        default="ingest",
        help="which state machine: ingest (default), heat, tiering or profiles (the nightly profile run)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state-machine", metavar="ARN", help="read this state machine in AWS")
    where.add_argument(
        "--stack", metavar="NAME", help="read the workflow's state machine in this deployed stack"
    )
    parser.add_argument("--region", help="AWS region (default: the ARN's, else your AWS configuration)")
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="AWS endpoint for --stack/--state-machine (an emulator)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="the local cloud's state directory (default $REELSTACK_STATE_DIR or ./.reelstack)",
    )


def resolve_target(args: argparse.Namespace) -> Target:
    from reelstack_tools.executions_target import arn_target, local_target, stack_target
    from reelstack_tools.localcloud.cloudfile import default_state_dir

    if args.state_machine:
        return arn_target(args.state_machine, args.region, args.endpoint_url)
    logical_id = WORKFLOWS[args.workflow]
    if args.stack:
        return stack_target(args.stack, args.region, args.endpoint_url, logical_id)
    return local_target(args.state_dir or default_state_dir(), logical_id)


def reader(target: Target, query: ExecutionQuery) -> Callable[[], Listing]:
    """A function that reads the executions once more each time it is called (errors become a problem)."""
    from datetime import UTC, datetime

    from reelstack.adapters.workflow_executions import ExecutionsError, StepFunctionsExecutions
    from reelstack_tools.executions_view import Listing

    source = StepFunctionsExecutions(target.client("stepfunctions"))

    def read() -> Listing:
        as_of = datetime.now(UTC)
        try:
            return Listing(query, target.where, as_of, source.rows(query, as_of))
        except ExecutionsError as error:
            return Listing(query, target.where, as_of, problem=str(error))

    return read


def watch(console: Console, read: Callable[[], Listing], interval: float) -> int:
    """Show the listing and refresh it every `interval` seconds until Ctrl-C.

    Ctrl-C must end it even when this process was started with SIGINT ignored or blocked (a parent
    may leave either to its children, e.g. a tool that blocked it around a fork): the default
    KeyboardInterrupt handler is installed and the signal unblocked first."""
    import signal
    import time

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    from rich.live import Live

    from reelstack_tools.executions_view import render

    try:
        with Live(render(_interruptible(read)), console=console, refresh_per_second=4) as live:
            while True:
                time.sleep(interval)
                live.update(render(_interruptible(read)), refresh=True)
    except KeyboardInterrupt:
        return EXIT_OK


def _interruptible(read: Callable[[], Listing]) -> Listing:
    """`read()` on a daemon thread while this one waits in short, interruptible steps: Ctrl-C ends the
    watch at once even when a refresh waits on a slow service (the signal reaches the main thread
    only when its blocking call returns; a listing on a busy cloud took longer than 30 s)."""
    import threading

    outcome: list[Listing | BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(read())
        except BaseException as error:  # handed to the waiting thread
            outcome.append(error)
        finally:
            done.set()

    threading.Thread(target=run, name="executions-read", daemon=True).start()
    while not done.wait(0.1):
        pass
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reelstack.adapters.workflow_executions import ExecutionsError
    from reelstack.domain.workflow.execution_rows import ExecutionQuery
    from reelstack_tools.executions_target import TargetError
    from reelstack_tools.executions_view import render

    if args.endpoint_url and not (args.stack or args.state_machine):
        _err("--endpoint-url goes with --stack or --state-machine (the local cloud is found by --state-dir)")
        return EXIT_USAGE
    try:
        target = resolve_target(args)
        query = ExecutionQuery(target.state_machine_arn, args.status, int(args.limit), args.video)
    except (TargetError, ExecutionsError, ValueError) as error:
        _err(str(error))
        return EXIT_FAILED
    console = Console()
    if not console.is_terminal:
        console = Console(width=PLAIN_WIDTH)
    read = reader(target, query)
    if args.watch:
        return watch(console, read, float(args.interval))
    listing = read()
    if listing.problem:
        _err(listing.problem + (" (is the local cloud still running?)" if target.local else ""))
        return EXIT_FAILED
    console.print(render(listing))
    return EXIT_FAILED if args.video and not listing.rows else EXIT_OK


def _err(message: str) -> None:
    sys.stderr.write(f"reelstack executions: {message}\n")
