"""Custom resources are created the way CloudFormation creates them: the ServiceToken's function gets a
Create request with the resolved properties, in dependency order; a FAILED answer or a function error
stops the start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelstack_tools.localcloud.custom_resources import (
    CustomResourceFailed,
    is_custom_resource,
    run_custom_resources,
)
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.pool import InvokeResult
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template

TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Boot:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.handler, CodeUri: .}
  Second:
    Type: AWS::CloudFormation::CustomResource
    Properties: {ServiceToken: !GetAtt Boot.Arn, After: !Ref First}
  First:
    Type: Custom::Indices
    Properties: {ServiceToken: !GetAtt Boot.Arn, Versions: !Sub "v1-${Stage}"}
"""


def _stack(tmp_path: Path) -> Stack:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))


def test_custom_resource_types() -> None:
    # GIVEN resource types WHEN classified THEN Custom::* and the generic type are custom resources
    assert is_custom_resource("Custom::SearchIndices")
    assert is_custom_resource("AWS::CloudFormation::CustomResource")
    assert not is_custom_resource("AWS::OpenSearchService::Domain")


def test_each_is_created_in_order_with_its_resolved_properties(tmp_path: Path) -> None:
    # GIVEN two custom resources, the second depending on the first, and a function that succeeds
    requests: list[tuple[str, dict[str, object]]] = []

    def invoke(function: str, payload: str) -> InvokeResult:
        request = json.loads(payload)
        requests.append((function, request))
        answer = {"Status": "SUCCESS", "PhysicalResourceId": "p", "Data": {"n": len(requests)}}
        return InvokeResult(payload=json.dumps(answer).encode(), request_id="r")

    # WHEN they are run
    answers = run_custom_resources(_stack(tmp_path), invoke)
    # THEN First then Second got a Create request naming its function, with resolved properties
    assert [request["LogicalResourceId"] for _, request in requests] == ["First", "Second"]
    assert {function for function, _ in requests} == {"arn:aws:lambda:us-east-1:123456789012:function:Boot"}
    first = requests[0][1]
    assert (first["RequestType"], first["ResponseURL"], first["ResourceType"]) == (
        "Create",
        "",
        "Custom::Indices",
    )
    assert first["ResourceProperties"]["Versions"] == "v1-dev"  # type: ignore[index]
    assert answers["Second"]["Data"] == {"n": 2}


@pytest.mark.parametrize(
    ("payload", "error_type"),
    [(b'{"Status": "FAILED", "Reason": "boom"}', None), (b'{"errorMessage": "crash"}', "Unhandled")],
)
def test_a_failed_answer_or_a_crash_stops_the_start(
    tmp_path: Path, payload: bytes, error_type: str | None
) -> None:
    # GIVEN a function that answers FAILED (or crashes) WHEN the resources run THEN the start stops
    def invoke(function: str, body: str) -> InvokeResult:
        return InvokeResult(payload=payload, request_id="r", error_type=error_type)

    with pytest.raises(CustomResourceFailed, match="First"):
        run_custom_resources(_stack(tmp_path), invoke)
