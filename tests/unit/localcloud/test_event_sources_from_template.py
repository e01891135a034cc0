"""Schedules, EventBridge rules and SQS mappings are read from the template as SAM and CloudFormation
declare them."""

from __future__ import annotations

from pathlib import Path

from reelstack_tools.localcloud.eventbridge import rules_from_stack
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.provision import unsupported_parts
from reelstack_tools.localcloud.scheduler import schedules_from_stack
from reelstack_tools.localcloud.sqs_poller import sqs_mappings
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template

TEMPLATE = """
Resources:
  Work: {Type: AWS::SQS::Queue}
  Hot:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: .
      Events:
        Every10:
          Type: Schedule
          Properties: {Schedule: rate(10 minutes), Input: '{"list": "hot"}'}
        Nightly:
          Type: ScheduleV2
          Properties: {ScheduleExpression: "cron(0 2 * * ? *)", ScheduleExpressionTimezone: Europe/Paris, State: DISABLED}
        Published:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [reelstack]}, EventBusName: media}
        Batch:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 25
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            ScalingConfig: {MaximumConcurrency: 5}
        Stream:
          Type: DynamoDB
          Properties: {Stream: arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1, StartingPosition: LATEST}
  Tiering:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: "cron(30 3 * * ? *)"
      Targets: [{Id: fn, Arn: !GetAtt Hot.Arn, Input: '{"job": "tiering"}'}]
  Audit:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {detail-type: [Audit]}
      Targets:
        - {Id: fn, Arn: !GetAtt Hot.Arn, InputPath: $.detail}
        - {Id: q, Arn: !GetAtt Work.Arn}
"""


def stack(tmp_path: Path) -> Stack:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))


def test_schedules(tmp_path: Path) -> None:
    schedules = {spec.name: spec for spec in schedules_from_stack(stack(tmp_path))}
    assert set(schedules) == {"Tiering", "HotEvery10", "HotNightly"}
    assert schedules["HotEvery10"].targets[0].input == '{"list": "hot"}'
    assert schedules["HotEvery10"].targets[0].arn.endswith(":function:Hot")
    assert (schedules["HotNightly"].enabled, schedules["HotNightly"].timezone) == (False, "Europe/Paris")
    assert schedules["HotNightly"].source == "aws.scheduler"
    assert schedules["Tiering"].targets[0].input == '{"job": "tiering"}'


def test_pattern_rules_keep_only_targets_moto_cannot_reach(tmp_path: Path) -> None:
    rules = {rule.name: rule for rule in rules_from_stack(stack(tmp_path))}
    assert set(rules) == {"Audit", "HotPublished"}
    assert [target.input_path for target in rules["Audit"].targets] == ["$.detail"]
    assert (rules["HotPublished"].bus, rules["HotPublished"].pattern) == ("media", {"source": ["reelstack"]})


def test_sqs_mappings_and_unsupported_event_types(tmp_path: Path) -> None:
    s = stack(tmp_path)
    (mapping,) = sqs_mappings(s)
    assert (mapping.function, mapping.queue_name, mapping.batch_size, mapping.window_seconds) == (
        "Hot",
        "Work",
        25,
        2.0,
    )
    assert mapping.report_batch_item_failures
    assert unsupported_parts(s) == ["Hot.Stream (event type DynamoDB)"]
