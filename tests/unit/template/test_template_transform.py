"""aws-sam-translator turns the template into the CloudFormation we expect, offline."""

from __future__ import annotations

import json
import re
from typing import Any

from template_support import resources_of_type

SERVERLESS_FUNCTION = "AWS::Serverless::Function"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_logical_id(function: dict[str, Any]) -> str:
    role = function["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, f"function role is not a generated role: {role}"
    return str(role["Fn::GetAtt"][0])


def test_each_serverless_resource_becomes_its_cloudformation_resource(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    """GIVEN the SAM template WHEN it is transformed
    THEN each function, the API, the SQS event source and the state machine have their CFN resources."""
    types = {name: resource["Type"] for name, resource in transformed["Resources"].items()}

    for name in resources_of_type(template, SERVERLESS_FUNCTION):
        assert types.get(name) == "AWS::Lambda::Function", name
    assert types.get("Api") == "AWS::ApiGateway::RestApi"
    assert types.get("IngestStateMachine") == "AWS::StepFunctions::StateMachine"
    assert "AWS::Lambda::LayerVersion" in types.values()
    assert "AWS::ApiGateway::Stage" in types.values()
    assert "AWS::Lambda::EventInvokeConfig" in types.values()


def test_sqs_event_source_mappings_report_batch_item_failures(transformed: dict[str, Any]) -> None:
    """GIVEN the transformed template WHEN its event source mappings are read
    THEN there is one, and every one reports partial batch failures."""
    mappings = resources_of_type(transformed, "AWS::Lambda::EventSourceMapping")

    assert mappings
    for name, mapping in mappings.items():
        assert mapping["Properties"].get("FunctionResponseTypes") == ["ReportBatchItemFailures"], name


def test_state_machine_definition_is_inlined_with_its_substitutions(transformed: dict[str, Any]) -> None:
    """GIVEN the transformed template WHEN the state machine is read
    THEN it carries the definition, and a substitution for every stage function's live alias."""
    properties = transformed["Resources"]["IngestStateMachine"]["Properties"]
    substitutions = properties["DefinitionSubstitutions"]

    assert "DefinitionString" in properties or "Definition" in properties
    functions = {key: value for key, value in substitutions.items() if key.endswith("FunctionArn")}
    # The live alias (the canary's traffic), not $LATEST.
    assert functions == {key: {"Ref": f"{key.removesuffix('Arn')}Aliaslive"} for key in functions}
    assert {"IngestAdmitFunctionArn", "IngestFailFunctionArn", "IngestPublishFunctionArn"} <= set(functions)
    assert substitutions["ReviewQueueUrl"] == {"Ref": "ReviewQueue"}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ERROR"


def test_api_gateway_errors_use_the_app_error_shape(transformed: dict[str, Any]) -> None:
    """GIVEN the transformed REST API WHEN its gateway responses are read
    THEN DEFAULT_4XX and DEFAULT_5XX answer {"code": ..., "message": ...}."""
    body = transformed["Resources"]["Api"]["Properties"]["Body"]
    responses = body["x-amazon-apigateway-gateway-responses"]

    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        template = responses[kind]["responseTemplates"]["application/json"]
        assert template == '{"code":"$context.error.responseType","message":$context.error.messageString}'


def _data_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's inline statements that grant S3 or DynamoDB actions."""
    statements = []
    for policy in role["Properties"].get("Policies", []):
        for statement in _as_list(policy["PolicyDocument"]["Statement"]):
            actions = [str(action) for action in _as_list(statement.get("Action", []))]
            if any(action.lower().startswith(("s3:", "dynamodb:")) or action == "*" for action in actions):
                statements.append(statement)
    return statements


def _arn_text(resource: Any) -> str:
    """A resource ARN as text: the string itself, or the template string of its Fn::Sub."""
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        return str(sub[0] if isinstance(sub, list) else sub)
    return resource if isinstance(resource, str) else json.dumps(resource)


def _is_wildcard_resource(resource: Any) -> bool:
    """`*`, every bucket (`arn:aws:s3:::*`), every table (`...:table/*`) or everything in a service."""
    return re.search(r"^\*$|s3:::\*|:table/\*|:\*$", _arn_text(resource)) is not None


def test_no_function_role_grants_s3_or_dynamodb_on_every_resource(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    """GIVEN each function's generated role
    WHEN its S3 and DynamoDB statements are read
    THEN each names resources (bucket, prefix, table ARNs), never `*`, and no action is `*` or `s3:*`."""
    for name in resources_of_type(template, SERVERLESS_FUNCTION):
        role = transformed["Resources"][_role_logical_id(transformed["Resources"][name])]
        assert role["Type"] == "AWS::IAM::Role"
        for statement in _data_statements(role):
            assert statement.get("Effect") == "Allow"
            actions = [str(action) for action in _as_list(statement["Action"])]
            assert not any(action in ("*", "s3:*", "dynamodb:*") for action in actions), (name, actions)
            resources = _as_list(statement.get("Resource", "*"))
            assert not any(_is_wildcard_resource(resource) for resource in resources), (name, statement)
            assert "NotResource" not in statement, name


def test_s3_grants_are_scoped_to_the_media_bucket_prefixes(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    """GIVEN each function's generated role WHEN its S3 object statements are read
    THEN they name prefixes of the media bucket or the lake bucket (never a whole bucket), and listing is
    prefix-bound."""
    for name in resources_of_type(template, SERVERLESS_FUNCTION):
        role = transformed["Resources"][_role_logical_id(transformed["Resources"][name])]
        for statement in _data_statements(role):
            actions = [str(action) for action in _as_list(statement["Action"])]
            if not any(action.startswith("s3:") for action in actions):
                continue
            rendered = json.dumps(statement["Resource"])
            assert (
                "${MediaBucket}" in rendered or "${LakeBucket.Arn}" in rendered or "LakeBucket" in rendered
            ), (
                name,
                rendered,
            )
            if actions == ["s3:ListBucket"]:
                assert statement["Condition"]["StringLike"]["s3:prefix"], name
            else:
                prefixes = (
                    "/staging/*",
                    "/originals/*",
                    "/renditions/*",
                    "/moderation/*",
                    "/candidates/*",
                    "/work/*",
                    "/reclaim/*",
                    "/reports/tiering/*",
                    "/models/play-predictor/*",
                    "/lake/profiles/runs/*",
                    "/lake/interactions/*",
                    "/jobs/*",
                    "/feed/hot/*",
                    "/avatar-uploads/*",
                    "/avatars/*",
                )
                for resource in _as_list(statement["Resource"]):
                    text = json.dumps(resource)
                    assert any(prefix in text for prefix in prefixes), (name, text)


def test_merge_failures_can_reach_their_queue(transformed: dict[str, Any]) -> None:
    """GIVEN the merge function's async invoke config WHEN it is transformed
    THEN failures go to MergeFailureQueue after two retries, and the role may send there."""
    config = transformed["Resources"]["MergeFunctionEventInvokeConfig"]["Properties"]
    role = transformed["Resources"][_role_logical_id(transformed["Resources"]["MergeFunction"])]

    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["MergeFailureQueue", "Arn"]
    }
    granted = [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in _as_list(policy["PolicyDocument"]["Statement"])
        if statement.get("Resource") == {"Fn::GetAtt": ["MergeFailureQueue", "Arn"]}
    ]
    assert any("sqs:SendMessage" in _as_list(statement["Action"]) for statement in granted)


CLOUDFORMATION_RESOURCE_LIMIT = 500


def test_the_deployed_stack_stays_under_cloudformations_resource_limit(transformed: dict[str, Any]) -> None:
    """GIVEN the transformed template (every function's version, alias, deployment group and role
    included) WHEN its resources are counted THEN there is room under CloudFormation's 500 per stack
    (a nested stack or a second stack is the way out when this fails)."""
    count = len(transformed["Resources"])
    print(f"resources after the SAM transform: {count} of {CLOUDFORMATION_RESOURCE_LIMIT}")
    assert count < CLOUDFORMATION_RESOURCE_LIMIT
