"""SAM's function aliases (AutoPublishAlias) in the local cloud: what refers to `<Function>Aliaslive`
(state machines, other functions) gets the function it runs, qualified as in AWS."""

from __future__ import annotations

from pathlib import Path

from reelstack_tools.localcloud.naming import Naming, function_name
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    AutoPublishAlias: live
    DeploymentPreference: {Type: Linear10PercentEvery1Minute}
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        StepArn: !Ref StepAliaslive
        ByDot: !Ref Step.Alias
        Unqualified: !GetAtt Step.Arn
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: caller/
      Environment: {Variables: {STEP: !Ref StepAliaslive, TEXT: !Sub "${StepAliaslive}/x"}}
  Step:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, CodeUri: step/}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: plain/
      AutoPublishAlias: blue
      DeploymentPreference: {Alarms: [!Ref PlainErrors]}
  PlainErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Dimensions:
        - {Name: FunctionName, Value: !Ref Plain}
        - {Name: ExecutedVersion, Value: !GetAtt Plain.Version.Version}
"""


def _stack(tmp_path: Path) -> Stack:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))


def test_a_reference_to_the_alias_is_the_functions_arn_with_the_alias(tmp_path: Path) -> None:
    """GIVEN functions published through `live` (Globals) WHEN a state machine and a function name the alias
    THEN each gets the function's ARN qualified by `live`, which names the function the local cloud runs."""
    stack = _stack(tmp_path)
    arn = stack.get_att("Step", "Arn")

    substitutions = stack.properties("Flow")["DefinitionSubstitutions"]
    environment = stack.properties("Caller")["Environment"]["Variables"]

    assert substitutions == {"StepArn": f"{arn}:live", "ByDot": f"{arn}:live", "Unqualified": arn}
    assert environment == {"STEP": f"{arn}:live", "TEXT": f"{arn}:live/x"}
    assert function_name(substitutions["StepArn"]) == stack.physical_name("Step")


def test_only_the_alias_a_function_publishes_resolves(tmp_path: Path) -> None:
    """GIVEN a function whose own AutoPublishAlias overrides the Globals one WHEN its aliases are named
    THEN its own alias resolves and the Globals one is an undeclared name (a placeholder)."""
    stack = _stack(tmp_path)

    assert stack.ref("PlainAliasblue") == f"{stack.get_att('Plain', 'Arn')}:blue"
    assert stack.ref("PlainAliaslive") == "reelstack-PlainAliaslive-local"


def test_whoever_names_an_alias_is_ordered_after_its_function(tmp_path: Path) -> None:
    """GIVEN a state machine and a function that refer to another function only through its alias
    WHEN the resources are ordered THEN the function comes first."""
    template = _stack(tmp_path).template

    order = template.order(["Flow", "Caller", "Step", "Plain"])

    assert order.index("Step") < order.index("Flow")
    assert order.index("Step") < order.index("Caller")


def test_a_functions_rollback_alarm_is_ordered_after_it_not_in_a_cycle(tmp_path: Path) -> None:
    """GIVEN a function whose DeploymentPreference names an alarm that watches the function
    WHEN the resources are ordered THEN the function comes first (SAM moves the preference to a
    deployment group, so the two do not depend on each other)."""
    template = _stack(tmp_path).template

    order = template.order(["PlainErrors", "Plain"])

    assert order == ["Plain", "PlainErrors"]
