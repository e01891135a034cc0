"""Lambda through the Invoke API: results, errors, timeouts, async and dry runs, killed workers."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def invoke(cloud: Any, function: str, event: Any, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = cloud.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event), **kwargs)
    body = response["Payload"].read()
    return response, json.loads(body) if body else None


def test_a_function_runs_with_its_template_environment_and_layer(fixture_cloud: Any) -> None:
    # GIVEN EchoFunction (Globals + its own variables, the shared layer) WHEN invoked through boto3
    response, payload = invoke(fixture_cloud, "EchoFunction", {"hello": "world"})
    # THEN it answers like Lambda, and its environment points at the local cloud
    assert (response["StatusCode"], response.get("FunctionError"), response["ExecutedVersion"]) == (
        200,
        None,
        "$LATEST",
    )
    assert payload["event"] == {"hello": "world"}
    assert payload["greeting"] == "hello from the layer"
    assert (payload["function_name"], payload["memory"]) == ("EchoFunction", "256")
    assert 0 < payload["remaining_ms"] <= 5000
    env = payload["env"]
    assert (env["STAGE"], env["TABLE_NAME"], env["REELSTACK_LOCAL"]) == ("test", "ItemsTable", "1")
    assert env["QUEUE_URL"] == fixture_cloud.queue_url("WorkQueue")
    assert env["REDIS_URL"] == fixture_cloud.redis_url
    assert env["AWS_ENDPOINT_URL"] == fixture_cloud.aws_endpoint
    assert (env["POWERTOOLS_SERVICE_NAME"], env["AWS_LAMBDA_FUNCTION_TIMEOUT"]) == ("EchoFunction", "5")


def test_the_same_warm_worker_serves_the_next_invocation(fixture_cloud: Any) -> None:
    _, first = invoke(fixture_cloud, "EchoFunction", {})
    _, second = invoke(fixture_cloud, "EchoFunction", {})
    assert first["pid"] == second["pid"]
    assert first["request_id"] != second["request_id"]


def test_an_exception_is_an_unhandled_function_error_with_its_type(fixture_cloud: Any) -> None:
    response, payload = invoke(fixture_cloud, "FailFunction", {"n": 1})
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert payload["errorType"] == "CustomError"
    assert payload["errorMessage"] == 'failed on purpose: {"n": 1}'
    assert any("in fail" in line for line in payload["stackTrace"])


def test_a_timeout_kills_the_worker_and_the_next_call_gets_a_fresh_one(fixture_cloud: Any) -> None:
    # GIVEN SlowFunction (Timeout 1 s) asked to sleep 5 s
    response, payload = invoke(fixture_cloud, "SlowFunction", {"seconds": 5})
    # THEN Lambda's timeout error comes back after about a second
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in payload["errorMessage"]
    # AND the function still works afterwards
    response, payload = invoke(fixture_cloud, "SlowFunction", {"seconds": 0})
    assert response.get("FunctionError") is None
    assert payload == {"slept": True}


def test_unknown_functions_bad_payloads_and_dry_runs(fixture_cloud: Any) -> None:
    client = fixture_cloud.client("lambda")
    with pytest.raises(ClientError) as missing:
        client.invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as invalid:
        client.invoke(FunctionName="EchoFunction", Payload=b"{not json")
    assert invalid.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert client.invoke(FunctionName="EchoFunction", InvocationType="DryRun")["StatusCode"] == 204
    arn = fixture_cloud.arn("EchoFunction")
    assert invoke(fixture_cloud, arn, {"by": "arn"})[1]["event"] == {"by": "arn"}


def test_an_event_invocation_is_accepted_then_runs_in_the_background(
    fixture_cloud: Any, wait_for: Any, table_items: Any
) -> None:
    # GIVEN TickFunction, which records what it receives WHEN invoked with InvocationType=Event
    marker = str(uuid.uuid4())
    response = fixture_cloud.client("lambda").invoke(
        FunctionName="TickFunction", InvocationType="Event", Payload=json.dumps({"marker": marker})
    )
    # THEN the call returns 202 at once and the event is processed in the background (a worker's cold
    # start and its DynamoDB write, given up to 60 s on a loaded machine)
    assert response["StatusCode"] == 202
    assert wait_for(
        lambda: any(marker in item["event"]["S"] for item in table_items("tick#").values()), timeout=60
    )


def test_killing_a_worker_mid_invocation_is_a_runtime_exit_and_it_is_replaced(
    fixture_cloud: Any, wait_for: Any
) -> None:
    # GIVEN an invocation of PatientFunction that takes a while (8 s of its 10 s timeout: room to see
    # its worker busy and kill it before it finishes, however slowly the machine polls)
    event = {
        "Records": [{"messageId": "m", "body": "sleep:8", "attributes": {"ApproximateReceiveCount": "1"}}]
    }
    outcome: dict[str, Any] = {}
    caller = threading.Thread(
        target=lambda: outcome.update(result=fixture_cloud.invoke("PatientFunction", event))
    )
    caller.start()
    # WHEN its worker is killed while it runs
    assert wait_for(
        lambda: fixture_cloud.worker_pids(busy_only=True).get("PatientFunction"), timeout=60, interval=0.05
    )
    killed = fixture_cloud.kill_worker("PatientFunction")
    caller.join(timeout=60)
    assert not caller.is_alive(), "the killed invocation never returned"
    # THEN the caller gets Lambda's runtime-exit error
    result = outcome["result"]
    assert killed is not None
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.ExitError")
    assert "signal: killed" in result.payload["errorMessage"]
    # AND the next invocation runs in a new worker
    assert killed not in fixture_cloud.worker_pids().get("PatientFunction", [])
    ok = fixture_cloud.invoke("PatientFunction", {"Records": []})
    assert ok.function_error is None


def test_a_failing_event_is_retried_twice_then_sent_to_its_on_failure_destination(
    fixture_cloud: Any, wait_for: Any
) -> None:
    # GIVEN FailFunction, whose EventInvokeConfig sends exhausted events to FailuresQueue
    marker = str(uuid.uuid4())
    fixture_cloud.client("lambda").invoke(
        FunctionName="FailFunction", InvocationType="Event", Payload=json.dumps({"m": marker})
    )
    sqs = fixture_cloud.client("sqs")

    def record() -> dict[str, Any] | None:
        got = sqs.receive_message(QueueUrl=fixture_cloud.queue_url("FailuresQueue"), WaitTimeSeconds=1)
        for message in got.get("Messages", []):
            body = json.loads(message["Body"])
            if body["requestPayload"] == {"m": marker}:
                return body
        return None

    # THEN after three attempts (one and two seconds apart locally) Lambda's invocation record arrives
    # (given up to 60 s: three invocations and a queue send on a loaded machine)
    found = wait_for(record, timeout=60)
    assert found is not None
    assert found["requestContext"]["condition"] == "RetriesExhausted"
    assert found["requestContext"]["approximateInvokeCount"] == 3
    assert found["responseContext"]["functionError"] == "Unhandled"
    assert found["responsePayload"]["errorType"] == "CustomError"
