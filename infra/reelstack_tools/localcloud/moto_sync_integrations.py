"""Step Functions' job integrations for moto's engine: `emr-serverless:startJobRun[.sync]` and
`sagemaker:createTrainingJob[.sync]`.

moto 5.2 lists both services among those it does not integrate: a Task on them fails at once (`.sync`)
or calls the API once and moves on. This adds them as AWS documents them: the start call with the
state's Parameters, then, for `.sync`, the describe call every half second until the job ends. Success
gives the job (PascalCase keys, as Step Functions returns them) as the task's result; a failed,
cancelled or stopped job fails the task with `States.TaskFailed` and the job as the cause. The calls
go to the local AWS endpoint, where `emr_serverless` and `sagemaker_training` run the jobs.
EMR Serverless' API is REST with camelCase members (ASL's PascalCase is converted); SageMaker's is
JSON with PascalCase members already.
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


def _service_classes() -> tuple[type, type]:
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

    class StateTaskServiceSageMakerTraining(StateTaskServiceCallback):
        def __init__(self) -> None:
            super().__init__(
                supported_integration_patterns={ResourceCondition.WaitForTaskToken, ResourceCondition.Sync}  # type: ignore[arg-type]
            )

        def _get_supported_parameters(self) -> set[str] | None:
            return None if self.resource.api_action.lower() != "createtrainingjob" else set()

        def _validate_service_integration_is_supported(self) -> None:
            if self.resource.api_action.lower() != "createtrainingjob":
                raise ValueError(f"unsupported SageMaker action in {self.resource.resource_arn}")

        def _client(self, resource_runtime_part: Any, state_credentials: Any) -> Any:
            return boto_client_for(
                service="sagemaker", region=resource_runtime_part.region, state_credentials=state_credentials
            )

        def _eval_service_task(
            self,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict[str, Any],
            state_credentials: Any,
        ) -> None:
            client = self._client(resource_runtime_part, state_credentials)
            response = client.create_training_job(**normalised_parameters)
            response.pop("ResponseMetadata", None)
            env.stack.append(
                {
                    "TrainingJobArn": response["TrainingJobArn"],
                    "_Name": normalised_parameters["TrainingJobName"],
                }
            )

        def _build_sync_resolver(
            self,
            env: Any,
            resource_runtime_part: Any,
            normalised_parameters: dict[str, Any],
            state_credentials: Any,
        ) -> Callable[[], Any]:
            client = self._client(resource_runtime_part, state_credentials)
            env.stack.pop()  # the start's answer: the sync result replaces it
            name = normalised_parameters["TrainingJobName"]

            def resolve() -> dict[str, Any] | None:
                job = client.describe_training_job(TrainingJobName=name)
                job.pop("ResponseMetadata", None)
                status = job["TrainingJobStatus"]
                if status == "Completed":
                    return {key: _plain(value) for key, value in job.items()}
                if status in ("Failed", "Stopped"):
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
                                    cause=to_json_str({key: _plain(value) for key, value in job.items()}),
                                )
                            ),
                        )
                    )
                return None

            return resolve

    return StateTaskServiceEmrServerless, StateTaskServiceSageMakerTraining


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
    """Route emr-serverless and sagemaker Tasks of moto's engine to these integrations (once per process)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory

    original = state_task_factory.state_task_service_for
    emr, training = _service_classes()

    def state_task_service_for(service_name: str) -> Any:
        if service_name == "emr-serverless":
            return emr()
        if service_name == "sagemaker":
            return training()
        return original(service_name=service_name)

    state_task_factory.state_task_service_for = state_task_service_for
    _installed = True
