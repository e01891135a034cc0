"""Task tokens answered as Step Functions answers them, in front of moto's execution engine.

AWS: `SendTaskSuccess` / `SendTaskFailure` with a token whose task is no longer waiting (it timed
out, its execution ended, or it was answered already) fails with `TaskTimedOut`; a token Step
Functions never issued fails with `InvalidToken`; `SendTaskFailure`'s `cause` is recorded beside its
`error`. moto 5.2: its response drops `cause`, its `SendTaskFailure` searches every execution (a late
failure for a timed-out task is accepted), and its `SendTaskSuccess` answers `InvalidToken` for a
task that timed out. A late or second answer matters here: the MediaConvert completion treats
`TaskTimedOut` as "no longer waiting" and must see the same answer locally as in AWS.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_installed = False


@cache
def task_timed_out() -> type[Exception]:
    """AWS's `TaskTimedOut` as moto's server serialises errors (moto 5.2 has no such class of its own)."""
    from moto.core.exceptions import AWSError

    class TaskTimedOut(AWSError):
        TYPE = "TaskTimedOut"
        STATUS = 400

    return TaskTimedOut


def settle(backend: Any, task_token: str, outcome: Any) -> None:
    """Deliver `outcome` to the one task waiting on `task_token`, or raise AWS's error."""
    from moto.stepfunctions.exceptions import InvalidToken
    from moto.stepfunctions.parser.api import ExecutionStatus

    for execution in backend._get_executions():
        worker = getattr(execution, "exec_worker", None)
        if worker is None:
            continue
        pool = worker.env.callback_pool_manager
        endpoint = pool.get(task_token)
        if endpoint is None:
            continue
        if execution.status != ExecutionStatus.RUNNING or endpoint.get_outcome() is not None:
            raise task_timed_out()("Task Timed Out: the task is no longer waiting for this token")
        pool.notify(task_token, outcome)
        return
    raise InvalidToken()


def send_task_success(self: Any, task_token: str, outcome: str) -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeSuccess

    settle(self, task_token, CallbackOutcomeSuccess(callback_id=task_token, output=outcome))


def send_task_failure(self: Any, task_token: str, error: str | None = None, cause: str | None = None) -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackOutcomeFailure

    settle(self, task_token, CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause))


def send_task_failure_response(self: Any) -> Any:
    """moto's response handler, passing `cause` on."""
    from moto.core.responses import EmptyResult

    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


def install() -> None:
    """Patch moto's execution backend and response once per process."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    StepFunctionsParserBackend.send_task_success = send_task_success  # type: ignore[method-assign,assignment]
    StepFunctionsParserBackend.send_task_failure = send_task_failure  # type: ignore[method-assign,assignment]
    StepFunctionResponse.send_task_failure = send_task_failure_response  # type: ignore[method-assign]
    _installed = True
