"""Operators hear of failures: every EventBridge target retries and keeps what it could not deliver in
an SQS dead-letter queue EventBridge may write to, and the named alarms exist and notify the alarm topic."""

from __future__ import annotations

from typing import Any

import pytest
from template_support import queue_logical_id, resources_of_type

RULE_EVENT_TYPES = ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent")
EVENT_OWNERS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
NAMED_ALARMS = (
    "HeatExecutionsFailedAlarm",
    "HeatExecutionsTimedOutAlarm",
    "TieringExecutionsFailedAlarm",
    "TieringExecutionsTimedOutAlarm",
    "ApiServerErrorsAlarm",
    "LambdaErrorsAlarm",
    "LambdaThrottlesAlarm",
    "EventDeliveryDLQDepthAlarm",
    "CommentsDLQDepthAlarm",
    "AvatarDLQDepthAlarm",
)


def _rule_targets(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, properties carrying RetryPolicy / DeadLetterConfig) for every EventBridge target."""
    targets: list[tuple[str, dict[str, Any]]] = []
    for owner_type in EVENT_OWNERS:
        for name, resource in resources_of_type(template, owner_type).items():
            for event_name, event in (resource["Properties"].get("Events") or {}).items():
                if event["Type"] in RULE_EVENT_TYPES:
                    targets.append((f"{name}.{event_name}", event["Properties"]))
    for name, rule in resources_of_type(template, "AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets") or []:
            targets.append((f"{name}.{target.get('Id')}", target))
    return targets


def test_every_eventbridge_target_retries_and_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    """GIVEN every schedule, EventBridge rule event and AWS::Events::Rule target
    WHEN its delivery settings are read
    THEN it retries (bounded attempts and event age) and names an SQS queue of this template as its DLQ."""
    targets = _rule_targets(template)
    queues = resources_of_type(template, "AWS::SQS::Queue")

    assert len(targets) >= 4  # the notifications rule, MediaConvert's rule, the tiering and sweeper schedules
    for where, properties in targets:
        retry = properties.get("RetryPolicy")
        assert retry, f"{where} has no RetryPolicy"
        assert 0 <= int(retry["MaximumRetryAttempts"]) <= 185, where
        assert 60 <= int(retry["MaximumEventAgeInSeconds"]) <= 86400, where
        dead_letters = properties.get("DeadLetterConfig")
        assert dead_letters, f"{where} has no DeadLetterConfig"
        assert queue_logical_id(dead_letters["Arn"]) in queues, where


def _policy_statements_for(template: dict[str, Any], queue_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources_of_type(template, "AWS::SQS::QueuePolicy").values():
        properties = policy["Properties"]
        if {"Ref": queue_id} in properties["Queues"]:
            statements += properties["PolicyDocument"]["Statement"]
    return statements


def test_eventbridge_may_send_to_every_rule_dead_letter_queue(template: dict[str, Any]) -> None:
    """GIVEN each queue a rule target names as its DLQ WHEN the queue policies are read
    THEN one allows events.amazonaws.com to sqs:SendMessage to that queue (else dead letters are lost)."""
    dlqs = {queue_logical_id(props["DeadLetterConfig"]["Arn"]) for _, props in _rule_targets(template)}

    assert dlqs
    for queue_id in dlqs:
        allowed = [
            statement
            for statement in _policy_statements_for(template, queue_id)
            if statement["Effect"] == "Allow"
            and statement["Principal"] == {"Service": "events.amazonaws.com"}
            and statement["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
            and statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        ]
        assert allowed, f"no queue policy lets EventBridge send to {queue_id}"


@pytest.mark.parametrize("alarm", NAMED_ALARMS)
def test_the_named_alarm_exists_and_notifies_the_alarm_topic(template: dict[str, Any], alarm: str) -> None:
    """GIVEN the template WHEN the alarm is looked up THEN it exists and notifies AlarmTopic."""
    resource = template["Resources"].get(alarm)

    assert resource is not None, f"{alarm} is missing"
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    assert resource["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize(
    ("alarm", "machine", "metric"),
    [
        ("HeatExecutionsFailedAlarm", "HeatStateMachine", "ExecutionsFailed"),
        ("HeatExecutionsTimedOutAlarm", "HeatStateMachine", "ExecutionsTimedOut"),
        ("TieringExecutionsFailedAlarm", "TieringStateMachine", "ExecutionsFailed"),
        ("TieringExecutionsTimedOutAlarm", "TieringStateMachine", "ExecutionsTimedOut"),
    ],
)
def test_workflow_alarms_watch_their_state_machine(
    template: dict[str, Any], alarm: str, machine: str, metric: str
) -> None:
    """GIVEN a workflow alarm WHEN its metric is read THEN it is the machine's failed or timed-out count."""
    properties = template["Resources"][alarm]["Properties"]

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/States", metric)
    assert properties["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": machine}}]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold" and properties["Threshold"] == 0


def test_api_alarm_watches_the_api_stage_5xx(template: dict[str, Any]) -> None:
    """GIVEN the API 5xx alarm WHEN its metric is read THEN it is API Gateway's 5XXError of this API's stage."""
    properties = template["Resources"]["ApiServerErrorsAlarm"]["Properties"]
    dimensions = {item["Name"]: item["Value"] for item in properties["Dimensions"]}

    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert dimensions == {
        "ApiName": template["Resources"]["Api"]["Properties"]["Name"],
        "Stage": {"Ref": "Stage"},
    }


@pytest.mark.parametrize(
    ("alarm", "metric"), [("LambdaErrorsAlarm", "Errors"), ("LambdaThrottlesAlarm", "Throttles")]
)
def test_lambda_alarms_watch_the_account_wide_metric(
    template: dict[str, Any], alarm: str, metric: str
) -> None:
    """GIVEN a Lambda alarm WHEN its metrics are read
    THEN it watches the region's AWS/Lambda metric over every function (no FunctionName dimension), and
    a metric-math alarm returns exactly one series."""
    properties = template["Resources"][alarm]["Properties"]
    queries = properties.get("Metrics") or [{"MetricStat": {"Metric": properties}}]
    stats = [query["MetricStat"]["Metric"] for query in queries if "MetricStat" in query]

    assert any(stat["Namespace"] == "AWS/Lambda" and stat["MetricName"] == metric for stat in stats)
    assert all(not stat.get("Dimensions") for stat in stats)
    if "Metrics" in properties:
        assert sum(1 for query in queries if query.get("ReturnData", True)) == 1


# ---------------------------------------------------------------- safe deploys (canaries)
FUNCTION = "AWS::Serverless::Function"
GRADUAL_TYPES = ("Canary10Percent5Minutes", "Linear10PercentEvery1Minute")


def _deployment(template: dict[str, Any], properties: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(AutoPublishAlias, DeploymentPreference) of a function, SAM Globals merged (the function wins)."""
    globals_ = template["Globals"]["Function"]
    alias = properties.get("AutoPublishAlias", globals_.get("AutoPublishAlias"))
    preference = {**globals_.get("DeploymentPreference", {}), **properties.get("DeploymentPreference", {})}
    return alias, preference


def test_every_function_deploys_gradually_through_its_alias_with_rollback_alarms(
    template: dict[str, Any],
) -> None:
    """GIVEN every function WHEN its deployment settings are read (Globals merged)
    THEN it publishes through the `live` alias, shifts traffic gradually, and names rollback alarms, each
    an alarm of this template that watches that function's new version on the alias."""
    functions = resources_of_type(template, FUNCTION)
    resources = template["Resources"]

    assert len(functions) >= 38
    for name, function in functions.items():
        alias, preference = _deployment(template, function["Properties"])
        assert alias == "live", name
        assert preference.get("Type") in GRADUAL_TYPES, name
        alarms = [ref["Ref"] for ref in preference.get("Alarms", [])]
        assert f"{name}CanaryErrorsAlarm" in alarms, name
        own = resources[f"{name}CanaryErrorsAlarm"]["Properties"]
        dimensions = {item["Name"]: item["Value"] for item in own["Dimensions"]}
        assert (own["Namespace"], own["MetricName"]) == ("AWS/Lambda", "Errors"), name
        assert dimensions == {
            "FunctionName": {"Ref": name},
            "Resource": {"Fn::Sub": f"${{{name}}}:live"},
            "ExecutedVersion": {"Fn::GetAtt": [name, "Version.Version"]},
        }, name
        for alarm in alarms:
            assert resources[alarm]["Type"] == "AWS::CloudWatch::Alarm", alarm
            assert resources[alarm]["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], alarm


def test_the_api_canaries_and_rolls_back_on_5xx_and_latency(template: dict[str, Any]) -> None:
    """GIVEN the API function WHEN its deployment is read THEN a 10 % canary for 5 minutes, rolled back
    by its errors, the stage's 5xx rate and the new version's p99 duration."""
    _, preference = _deployment(template, template["Resources"]["ApiFunction"]["Properties"])
    errors_5xx = template["Resources"]["ApiCanaryServerErrorsAlarm"]["Properties"]
    latency = template["Resources"]["ApiCanaryLatencyAlarm"]["Properties"]

    assert preference["Type"] == "Canary10Percent5Minutes"
    assert {ref["Ref"] for ref in preference["Alarms"]} == {
        "ApiFunctionCanaryErrorsAlarm",
        "ApiCanaryServerErrorsAlarm",
        "ApiCanaryLatencyAlarm",
    }
    stats = [q["MetricStat"]["Metric"]["MetricName"] for q in errors_5xx["Metrics"] if "MetricStat" in q]
    assert sorted(stats) == ["5XXError", "Count"]
    assert [q["Id"] for q in errors_5xx["Metrics"] if q.get("ReturnData", True)] == ["rate"]
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("Duration", "p99")
    assert latency["Threshold"] < 29000  # API Gateway's integration timeout


def test_background_functions_shift_linearly(template: dict[str, Any]) -> None:
    """GIVEN the functions other than the API WHEN their deployment types are read THEN linear, 10 % a minute."""
    for name, function in resources_of_type(template, FUNCTION).items():
        if name != "ApiFunction":
            assert (
                _deployment(template, function["Properties"])[1]["Type"] == "Linear10PercentEvery1Minute"
            ), name


def test_state_machines_and_callers_invoke_the_alias_not_latest(template: dict[str, Any]) -> None:
    """GIVEN every state machine and function WHEN the function references they pass on are read
    THEN they name `<Function>Aliaslive` (the canary's traffic), never the unqualified function."""
    functions = set(resources_of_type(template, FUNCTION))
    checked = 0
    for machine in resources_of_type(template, "AWS::Serverless::StateMachine").values():
        for key, value in machine["Properties"].get("DefinitionSubstitutions", {}).items():
            if key.removesuffix("Arn") in functions:
                assert value == {"Ref": f"{key.removesuffix('Arn')}Aliaslive"}, key
                checked += 1
    for function in resources_of_type(template, FUNCTION).values():
        for key, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, dict) and value.get("Ref") in functions:
                raise AssertionError(f"{key} names $LATEST of {value['Ref']}")
    assert checked >= 20


def test_sam_turns_every_function_into_a_gated_deployment_within_the_resource_limit(
    transformed: dict[str, Any],
) -> None:
    """GIVEN the transformed template WHEN its Lambda resources are read THEN every function has a `live`
    alias updated through a CodeDeploy deployment group with alarms, and the stack stays under 500 resources."""
    resources = transformed["Resources"]
    functions = [name for name, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    groups = {name: r for name, r in resources.items() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"}

    for name in functions:
        alias = resources[f"{name}Aliaslive"]
        assert alias["Type"] == "AWS::Lambda::Alias"
        assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"], name
        group = groups[f"{name}DeploymentGroup"]["Properties"]
        assert group["AlarmConfiguration"]["Enabled"] is True and group["AlarmConfiguration"]["Alarms"], name
        assert group["AutoRollbackConfiguration"]["Enabled"] is True, name
    assert len(resources) < 500, len(resources)


def _rule_names_dead_lettered_to(template: dict[str, Any], queue: str) -> set[str]:
    """The `Name` (as its !Sub text) of every schedule or rule whose dead letters go to `queue`."""
    names: set[str] = set()
    for resource in template["Resources"].values():
        sources = []
        if resource["Type"] == "AWS::Serverless::Function":
            sources = [
                event.get("Properties", {}) for event in (resource["Properties"].get("Events") or {}).values()
            ]
        elif resource["Type"] == "AWS::Events::Rule":
            props = resource["Properties"]
            sources = [{"Name": props.get("Name"), **target} for target in props.get("Targets") or []]
        for source in sources:
            if (source.get("DeadLetterConfig") or {}).get("Arn") == {"Fn::GetAtt": [queue, "Arn"]}:
                name = source.get("Name") or source.get("RuleName")  # a schedule's, a SAM rule event's
                names.add(str(name.get("Fn::Sub") if isinstance(name, dict) else name))
    return names


def test_the_event_dead_letter_queue_admits_every_rule_that_sends_to_it(template: dict[str, Any]) -> None:
    """GIVEN every schedule and rule whose undelivered events go to EventDeliveryDLQ WHEN its queue
    policy is read THEN it admits each of them by name (EventBridge's delivery is refused otherwise)."""
    senders = _rule_names_dead_lettered_to(template, "EventDeliveryDLQ")
    statement = template["Resources"]["EventDeliveryDLQPolicy"]["Properties"]["PolicyDocument"]["Statement"][
        0
    ]
    admitted = {
        arn["Fn::Sub"].rsplit("rule/", 1)[1] for arn in statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    }

    assert senders and senders <= admitted, sorted(senders - admitted)
