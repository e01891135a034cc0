"""Step Functions runs the real ASL through moto and calls functions through the local Lambda API."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def finished(sfn: Any, execution_arn: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.2)


def test_a_state_machine_calls_functions_and_catches_their_custom_errors(fixture_cloud: Any) -> None:
    # GIVEN the fixture workflow: Echo, then a task that raises CustomError, caught by name
    sfn = fixture_cloud.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=fixture_cloud.arn("Workflow"),
        name=f"run-{uuid.uuid4()}",
        input=json.dumps({"video": "v1"}),
    )
    # WHEN it runs to the end
    described = finished(sfn, started["executionArn"])
    # THEN it succeeded through the Catch, with the echo's result and the error's name in its output
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["echo"] == {"greeting": "hello from the layer", "input": {"video": "v1"}}
    assert output["error"]["Error"] == "CustomError"
    history = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert any(event["type"] == "TaskFailed" for event in history)


def test_a_finished_execution_name_cannot_be_reused(fixture_cloud: Any) -> None:
    sfn = fixture_cloud.client("stepfunctions")
    name = f"once-{uuid.uuid4()}"
    first = sfn.start_execution(stateMachineArn=fixture_cloud.arn("Workflow"), name=name, input="{}")
    finished(sfn, first["executionArn"])
    # WHEN the same name is started again, with the same or another input
    for repeat_input in ("{}", '{"other": 1}'):
        with pytest.raises(ClientError) as raised:
            sfn.start_execution(stateMachineArn=fixture_cloud.arn("Workflow"), name=name, input=repeat_input)
        # THEN AWS's error comes back, naming the existing execution
        assert raised.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
        assert first["executionArn"] in raised.value.response["Error"]["Message"]


def test_a_running_execution_is_returned_again_for_the_same_name_and_input(fixture_cloud: Any) -> None:
    # GIVEN a 3-second execution that is still running
    sfn = fixture_cloud.client("stepfunctions")
    machine = fixture_cloud.arn("WaitWorkflow")
    name = f"idem-{uuid.uuid4()}"
    first = sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 1}')
    # WHEN started again with the same input THEN the same execution comes back; another input fails
    again = sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(ClientError) as raised:
        sfn.start_execution(stateMachineArn=machine, name=name, input='{"a": 2}')
    assert raised.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_concurrent_duplicate_starts_make_one_execution(fixture_cloud: Any) -> None:
    # GIVEN eight callers starting the same name at once with different inputs (duplicate events)
    machine = fixture_cloud.arn("WaitWorkflow")
    name = f"race-{uuid.uuid4()}"
    outcomes: list[str] = []

    def start(index: int) -> None:
        try:
            fixture_cloud.client("stepfunctions").start_execution(
                stateMachineArn=machine, name=name, input=json.dumps({"i": index})
            )
            outcomes.append("started")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=start, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN exactly one started and there is exactly one execution of that name
    assert sorted(outcomes) == ["ExecutionAlreadyExists"] * 7 + ["started"]
    executions = fixture_cloud.client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    assert [execution["name"] for execution in executions].count(name) == 1
