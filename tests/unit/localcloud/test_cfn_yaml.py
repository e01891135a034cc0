"""The template loader turns CloudFormation short tags into long form."""

from __future__ import annotations

import pytest

from reelstack_tools.localcloud.cfn_yaml import TemplateSyntaxError, loads


def test_short_tags_become_long_form() -> None:
    # GIVEN a template using every common short tag
    text = """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      A: !Ref Stage
      B: !GetAtt Dlq.Arn
      C: !Sub "${AWS::StackName}-q"
      D: !Sub ["${X}-y", {X: !Ref Stage}]
      E: !Join ["-", [a, !Select [0, !Split [",", "b,c"]]]]
      F: !If [IsProd, !Base64 on, !Ref AWS::NoValue]
      G: !Not [!Equals [!Ref Stage, prod]]
      H: !FindInMap [Sizes, !Ref Stage, Memory]
      I: !GetAZs ""
      J: !ImportValue shared-vpc
      K: !Condition IsProd
      L: !GetAtt [Dlq, Arn]
"""
    # WHEN it is loaded
    document = loads(text)
    props = document["Resources"]["Q"]["Properties"]
    # THEN each tag is in long form, and the date stays a string
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert props["A"] == {"Ref": "Stage"}
    assert props["B"] == {"Fn::GetAtt": ["Dlq", "Arn"]}
    assert props["C"] == {"Fn::Sub": "${AWS::StackName}-q"}
    assert props["D"] == {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Stage"}}]}
    assert props["E"] == {"Fn::Join": ["-", ["a", {"Fn::Select": [0, {"Fn::Split": [",", "b,c"]}]}]]}
    assert props["F"] == {"Fn::If": ["IsProd", {"Fn::Base64": "on"}, {"Ref": "AWS::NoValue"}]}
    assert props["G"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "prod"]}]}
    assert props["H"] == {"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}
    assert props["I"] == {"Fn::GetAZs": ""}
    assert props["J"] == {"Fn::ImportValue": "shared-vpc"}
    assert props["K"] == {"Condition": "IsProd"}
    assert props["L"] == {"Fn::GetAtt": ["Dlq", "Arn"]}


def test_a_getatt_without_an_attribute_is_rejected() -> None:
    # GIVEN a !GetAtt naming only a resource WHEN loaded THEN the error says what form is expected
    with pytest.raises(TemplateSyntaxError, match=r"Resource\.Attribute"):
        loads("Resources: {A: {Type: X, Properties: {B: !GetAtt Dlq}}}")


def test_a_non_mapping_document_is_rejected() -> None:
    # GIVEN YAML that is a list WHEN loaded THEN it is not a template
    with pytest.raises(TemplateSyntaxError):
        loads("- a\n- b\n")
