"""Starting Step Functions executions by name (ingest: the video id; heat: video, codec and night), so a
duplicate start is a no-op: AWS answers it with the running execution, or `ExecutionAlreadyExists`
(`started=False`) once that one has ended or when its input differs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed, Gone


@dataclass(frozen=True)
class StartResult:
    execution_name: str
    started: bool  # False: an execution with this name already existed


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str, sfn: Any = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = sfn

    @property
    def sfn(self) -> Any:
        if self._sfn is None:
            self._sfn = client("stepfunctions")
        return self._sfn

    def start(self, name: str, document: dict[str, Any]) -> StartResult:
        try:
            self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(document, sort_keys=True)
            )
        except ClientError as exc:
            if error_code(exc) == "ExecutionAlreadyExists":
                return StartResult(execution_name=name, started=False)
            raise DependencyFailed(f"StartExecution failed: {error_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"StartExecution failed: {exc}") from exc
        return StartResult(execution_name=name, started=True)


class TaskCallbacks:
    """Resuming executions that wait on a task token (`.waitForTaskToken` states)."""

    def __init__(self, sfn: Any = None) -> None:
        self._sfn = sfn

    @property
    def sfn(self) -> Any:
        if self._sfn is None:
            self._sfn = client("stepfunctions")
        return self._sfn

    def succeed(self, token: str, output: dict[str, Any]) -> None:
        self._call("send_task_success", taskToken=token, output=json.dumps(output, sort_keys=True))

    def fail(self, token: str, error: str, cause: str) -> None:
        self._call("send_task_failure", taskToken=token, error=error[:256], cause=cause[:32768])

    def _call(self, operation: str, **params: Any) -> None:
        try:
            getattr(self.sfn, operation)(**params)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("TaskDoesNotExist", "InvalidToken", "TaskTimedOut"):
                raise Gone(
                    "the workflow is no longer waiting for this decision", code="task_no_longer_waiting"
                ) from exc
            raise DependencyFailed(f"{operation} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"{operation} failed: {exc}") from exc
