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


def finished(sfn: Any, execution_arn: str, timeout: float = 120) -> dict[str, Any]:
    """The execution once it is no longer RUNNING (its last description when `timeout` runs out: a
    workflow of several function calls, each maybe a cold start, on a loaded machine)."""
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


def waiting_machine(sfn: Any, queue_url: str, timeout_s: int) -> str:
    """A one-state machine whose Task hands its token to a queue and waits for it (up to `timeout_s`)."""
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": timeout_s,
                "End": True,
            }
        },
    }
    created = sfn.create_state_machine(
        name=f"waits-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/local",
    )
    return str(created["stateMachineArn"])


def task_token(sfn: Any, execution_arn: str) -> str:
    """The token the execution's waiting Task was scheduled with, from its history."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for event in sfn.get_execution_history(executionArn=execution_arn)["events"]:
            parameters = event.get("taskScheduledEventDetails", {}).get("parameters")
            if parameters:
                return str(json.loads(parameters)["MessageBody"]["token"])
        time.sleep(0.2)
    raise AssertionError(f"{execution_arn} scheduled no task")


def refused_with(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_task_tokens_are_answered_as_step_functions_answers_them(fixture_cloud: Any) -> None:
    # GIVEN an execution waiting on its task token, and one whose task timed out (after 1 s)
    sfn = fixture_cloud.client("stepfunctions")
    queue_url = fixture_cloud.client("sqs").create_queue(QueueName=f"tokens-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    machine = waiting_machine(sfn, queue_url, timeout_s=1)
    failing = sfn.start_execution(stateMachineArn=machine, name=f"f-{uuid.uuid4()}", input="{}")
    late = sfn.start_execution(stateMachineArn=machine, name=f"l-{uuid.uuid4()}", input="{}")
    token = task_token(sfn, failing["executionArn"])
    late_token = task_token(sfn, late["executionArn"])
    # WHEN the first is failed with an error and a cause
    sfn.send_task_failure(
        taskToken=token, error="MediaConvert.ERROR", cause="[job_failed] the input is corrupt"
    )
    # THEN the execution ends FAILED with both
    ended = finished(sfn, failing["executionArn"], timeout=60)
    assert ended["status"] == "FAILED", ended
    assert ended.get("error") == "MediaConvert.ERROR", ended
    assert ended.get("cause") == "[job_failed] the input is corrupt", ended
    # AND a second answer for the same token is refused: the task no longer waits
    assert refused_with(lambda: sfn.send_task_success(taskToken=token, output="{}")) == "TaskTimedOut"
    # WHEN the other's task has timed out, a late success or failure is refused the same way
    assert finished(sfn, late["executionArn"], timeout=60)["status"] == "FAILED"
    assert refused_with(lambda: sfn.send_task_success(taskToken=late_token, output="{}")) == "TaskTimedOut"
    assert refused_with(lambda: sfn.send_task_failure(taskToken=late_token, error="X")) == "TaskTimedOut"
    # AND a token Step Functions never issued is an invalid token
    assert refused_with(lambda: sfn.send_task_success(taskToken="not-a-token", output="{}")) == "InvalidToken"
