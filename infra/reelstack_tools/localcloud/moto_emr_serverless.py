"""Step Functions' `arn:aws:states:::emr-serverless:startJobRun[.sync]` integration for moto's engine.

moto 5.2 lists emr-serverless among the services it does not integrate: a Task on it fails at once
(`.sync`) or calls the API once and moves on. This adds the integration as AWS documents it:
StartJobRun with the state's Parameters (PascalCase, as in ASL), then, for `.sync`, GetJobRun every
half second until the run ends; SUCCESS gives the job run (PascalCase keys) as the task's result,
FAILED or CANCELLED fails the task with `States.TaskFailed` and the job run as the cause. The calls go
to the local AWS endpoint, where `emr_serverless.EmrServerlessApi` runs the job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_installed = False
TERMINAL_FAILURES = frozenset({"FAILED", "CANCELLED"})
# Dicts whose keys are data (Spark properties, tags), not API member names: left as written.
_OPAQUE_KEYS = frozenset({"Properties", "properties", "Tags", "tags"})


def camel_keys(value: Any) -> Any:
    """ASL's PascalCase member names -> the API's camelCase (`EntryPointArguments` -> `entryPointArguments`)."""
    if isinstance(value, dict):
        converted: dict[str, Any] = {}
        for key, item in value.items():
            name = key[:1].lower() + key[1:]
            converted[name] = item if key in _OPAQUE_KEYS else camel_keys(item)
        return converted
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


def pascal_keys(value: Any) -> Any:
    """The API's camelCase answer -> the PascalCase Step Functions returns."""
    if isinstance(value, dict):
        return {
            (key[:1].upper() + key[1:]): (item if key in _OPAQUE_KEYS else pascal_keys(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [pascal_keys(item) for item in value]
    return value


def _service_class() -> type:
    """Built on first use: moto's parser modules are heavy and only the moto server process needs them."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    class StateTaskServiceEmrServerless(StateTaskServiceCallback):
        def __init__(self) -> None:
            super().__init__(
                supported_integration_patterns={ResourceCondition.WaitForTaskToken, ResourceCondition.Sync}  # type: ignore[arg-type]
            )

        def _get_supported_parameters(self) -> set[str] | None:
            return None if self.resource.api_action.lower() != "startjobrun" else set()

        def _validate_service_integration_is_supported(self) -> None:
            if self.resource.api_action.lower() not in ("startjobrun", "canceljobrun"):
                raise ValueError(f"unsupported EMR Serverless action in {self.resource.resource_arn}")

        def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
            return boto_client_for(
                service="emr-serverless",
                region=resource_runtime_part.region,
                state_credentials=state_credentials,
            )

        def _eval_service_task(
            self,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict[str, Any],
            state_credentials: Any,
        ) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            action = re.sub(r"(?<!^)(?=[A-Z])", "_", self.resource.api_action).lower()
            response = getattr(client, action)(**camel_keys(normalised_parameters))
            response.pop("ResponseMetadata", None)
            env.stack.append(pascal_keys(response))

        def _build_sync_resolver(
            self,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict[str, Any],
            state_credentials: Any,
        ) -> Callable[[], Any]:
            client = self._client(resource_runtime_part, state_credentials)
            started = env.stack.pop()
            application, run_id = started["ApplicationId"], started["JobRunId"]

            def resolve() -> dict[str, Any] | None:
                run = client.get_job_run(applicationId=application, jobRunId=run_id)["jobRun"]
                if run["state"] == "SUCCESS":
                    return pascal_keys({key: _plain(value) for key, value in run.items()})
                if run["state"] in TERMINAL_FAILURES:
                    cause = to_json_str({key: _plain(value) for key, value in run.items()})
                    raise FailureEventException(
                        FailureEvent(
                            env=env,
                            error_name=StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed),
                            event_type=HistoryEventType.TaskFailed,
                            event_details=EventDetails(  # type: ignore[typeddict-item]
                                taskFailedEventDetails=TaskFailedEventDetails(
                                    resource=self._get_sfn_resource(),
                                    resourceType=self._get_sfn_resource_type(),
                                    error=StatesErrorNameType.StatesTaskFailed.to_name(),
                                    cause=cause,
                                )
                            ),
                        )
                    )
                return None

            return resolve

    return StateTaskServiceEmrServerless


def _plain(value: Any) -> Any:
    """boto3's datetimes -> epoch seconds (JSON-safe, as Step Functions would serialise them)."""
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def install() -> None:
    """Route emr-serverless Tasks of moto's Step Functions engine to this integration (once per process)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    original = state_task_factory.state_task_service_for
    service = _service_class()

    def state_task_service_for(service_name: str) -> Any:
        if service_name == "emr-serverless":
            return service()
        return original(service_name=service_name)

    state_task_factory.state_task_service_for = state_task_service_for
    _installed = True
