"""The template bound to the local context: Globals, names, Ref/GetAtt values, conditions, order."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack_tools.localcloud.naming import Naming, bucket_name
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template, TemplateError, merge_globals

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Globals:
  Function:
    Timeout: 10
    Layers: [!Ref Shared]
    Environment:
      Variables: {STAGE: !Ref Stage, LEVEL: INFO}
Resources:
  Shared: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layer/}}
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
  Dlq: {Type: AWS::SQS::Queue}
  Media:
    Type: AWS::S3::Bucket
  Named:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Sub "media-${Stage}-${AWS::AccountId}"}
  Items: {Type: AWS::DynamoDB::Table, Properties: {TableName: items}}
  ProdOnly: {Type: AWS::SQS::Queue, Condition: IsProd}
  Pool: {Type: AWS::Cognito::UserPool}
  Client: {Type: AWS::Cognito::UserPoolClient}
  Role: {Type: AWS::IAM::Role}
  Flow: {Type: AWS::Serverless::StateMachine, Properties: {Name: !Sub "flow-${Stage}"}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: fn/
      Layers: [arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:1]
      Environment:
        Variables: {LEVEL: DEBUG, QUEUE: !Ref Work}
"""


def stack(tmp_path: Path, **overrides: str) -> Stack:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    template = Template.load(tmp_path / "template.yaml", overrides)
    return Stack(template, Naming("reelstack", "http://127.0.0.1:4566", redis_port=6390))


def test_globals_merge_maps_and_append_lists(tmp_path: Path) -> None:
    # GIVEN Globals.Function with a timeout, a layer and variables, and a function overriding one variable
    props = stack(tmp_path).properties("Fn")
    # THEN maps merge with the function winning, lists concatenate Globals first, scalars come from Globals
    assert props["Environment"]["Variables"] == {
        "STAGE": "dev",
        "LEVEL": "DEBUG",
        "QUEUE": "http://127.0.0.1:4566/123456789012/Work",
    }
    assert props["Layers"][0] == "arn:aws:lambda:us-east-1:123456789012:layer:Shared:1"
    assert len(props["Layers"]) == 2
    assert props["Timeout"] == 10
    assert merge_globals({"a": [1], "b": {"x": 1}}, {"a": [2], "b": {"y": 2}, "c": 3}) == {
        "a": [1, 2],
        "b": {"x": 1, "y": 2},
        "c": 3,
    }


def test_physical_names_use_explicit_names_else_the_logical_id(tmp_path: Path) -> None:
    s = stack(tmp_path)
    assert s.physical_name("Named") == "media-dev-123456789012"
    assert s.physical_name("Media") == "reelstack-media"
    assert s.physical_name("Items") == "items"
    assert s.physical_name("Work") == "Work"
    assert s.physical_name("Fn") == "Fn"
    assert s.physical_name("Flow") == "flow-dev"
    assert bucket_name("Reelstack_Media..Bucket") == "reelstack-media-bucket"


def test_ref_and_getatt_values(tmp_path: Path) -> None:
    s = stack(tmp_path)
    # Queues: Ref is the URL; GetAtt Arn and QueueName
    assert s.ref("Work") == "http://127.0.0.1:4566/123456789012/Work"
    assert s.get_att("Dlq", "Arn") == "arn:aws:sqs:us-east-1:123456789012:Dlq"
    assert s.get_att("Dlq", "QueueName") == "Dlq"
    # Functions, tables, buckets, state machines
    assert s.get_att("Fn", "Arn") == "arn:aws:lambda:us-east-1:123456789012:function:Fn"
    assert s.get_att("Items", "Arn") == "arn:aws:dynamodb:us-east-1:123456789012:table/items"
    assert s.get_att("Media", "Arn") == "arn:aws:s3:::reelstack-media"
    assert s.ref("Flow") == "arn:aws:states:us-east-1:123456789012:stateMachine:flow-dev"
    assert s.get_att("Flow", "Name") == "flow-dev"
    # The identity provider is the local issuer, with its scheme
    assert s.ref("Pool") == "us-east-1_local"
    assert s.get_att("Pool", "ProviderURL") == "http://127.0.0.1:4566/cognito/us-east-1_local"
    assert s.ref("Client") == "reelstack-local-client"
    # Unprovisioned types still answer plausibly; pseudo parameters too
    assert s.get_att("Role", "Arn").startswith("arn:aws:iam::123456789012:role/")
    assert s.ref("AWS::StackName") == "reelstack"
    assert s.ref("AWS::StackId").startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/reelstack/")


def test_recorded_values_win_over_computed_ones(tmp_path: Path) -> None:
    # GIVEN a table whose real stream ARN is only known after creation
    s = stack(tmp_path)
    s.record("Items", StreamArn="arn:aws:dynamodb:us-east-1:123456789012:table/items/stream/2024")
    # THEN GetAtt answers the recorded value
    assert s.get_att("Items", "StreamArn").endswith("/stream/2024")


def test_conditions_and_parameter_overrides(tmp_path: Path) -> None:
    # GIVEN the default stage THEN the prod-only queue does not exist; WITH Stage=prod it does
    assert not stack(tmp_path).active("ProdOnly")
    assert stack(tmp_path, Stage="prod").active("ProdOnly")
    with pytest.raises(TemplateError, match="not one of"):
        stack(tmp_path, Stage="qa")
    with pytest.raises(TemplateError, match="unknown parameters"):
        stack(tmp_path, Nope="1")


def test_order_puts_dependencies_first(tmp_path: Path) -> None:
    # GIVEN a queue declared before its dead-letter queue WHEN ordered THEN the DLQ comes first
    s = stack(tmp_path)
    order = s.template.order(["Work", "Dlq", "Media"])
    assert order.index("Dlq") < order.index("Work")


def test_a_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  A: {Type: AWS::SQS::Queue, Properties: {X: !Ref B}}\n"
        "  B: {Type: AWS::SQS::Queue, Properties: {X: !Ref A}}\n"
    )
    with pytest.raises(TemplateError, match="circular"):
        Template.load(tmp_path / "t.yaml").order(["A", "B"])
