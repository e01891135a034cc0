"""Intrinsic functions resolve against parameters, pseudo parameters, conditions and resources."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack_tools.localcloud.intrinsics import IntrinsicError, Resolver, references


def resolver(**conditions: Any) -> Resolver:
    values = {"Stage": "dev", "AWS::Region": "us-east-1", "Names": ["a", "b"], "Queue": "http://q"}

    def ref(name: str) -> Any:
        if name not in values:
            raise IntrinsicError(f"unknown {name}")
        return values[name]

    def get_att(logical_id: str, attribute: str) -> Any:
        return f"{logical_id}.{attribute}"

    return Resolver(
        ref=ref,
        get_att=get_att,
        mappings={"Sizes": {"dev": {"Memory": 128}}},
        conditions=conditions or {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    )


def test_sub_replaces_refs_attributes_variables_and_keeps_escaped_literals() -> None:
    # GIVEN a Sub with a parameter, a pseudo parameter, an attribute, a local variable and ${!literal}
    node = {"Fn::Sub": ["${Stage}-${AWS::Region}-${Dlq.Arn}-${Local}-${!Keep}", {"Local": {"Ref": "Stage"}}]}
    # WHEN resolved THEN each is replaced and the escaped one stays literal
    assert resolver().resolve(node) == "dev-us-east-1-Dlq.Arn-dev-${Keep}"


def test_join_select_split_and_find_in_map() -> None:
    # GIVEN list functions and a mapping lookup WHEN resolved THEN they compute like CloudFormation
    r = resolver()
    assert r.resolve({"Fn::Join": ["/", {"Ref": "Names"}]}) == "a/b"
    assert r.resolve({"Fn::Select": ["1", {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert r.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 128
    assert r.resolve({"Fn::FindInMap": ["Sizes", "prod", "Memory", {"DefaultValue": 512}]}) == 512


def test_conditions_and_no_value_remove_keys_and_items() -> None:
    # GIVEN an If over a false condition whose false branch is AWS::NoValue
    node = {
        "Keep": 1,
        "Drop": {"Fn::If": ["IsProd", "yes", {"Ref": "AWS::NoValue"}]},
        "List": ["a", {"Ref": "AWS::NoValue"}],
    }
    # WHEN resolved THEN the key and the list item disappear
    assert resolver().resolve(node) == {"Keep": 1, "List": ["a"]}


def test_boolean_functions_and_condition_references() -> None:
    # GIVEN conditions built from Not/And/Or/Equals and references to other conditions
    r = resolver(
        IsDev={"Fn::Equals": [{"Ref": "Stage"}, "dev"]},
        NotDev={"Fn::Not": [{"Condition": "IsDev"}]},
        Both={"Fn::And": [{"Condition": "IsDev"}, {"Fn::Equals": ["1", 1]}]},
        Either={"Fn::Or": [{"Condition": "NotDev"}, {"Condition": "IsDev"}]},
    )
    # WHEN they are evaluated THEN they follow boolean logic (numbers compare as text)
    assert (r.condition("IsDev"), r.condition("NotDev"), r.condition("Both"), r.condition("Either")) == (
        True,
        False,
        True,
        True,
    )


def test_base64_azs_and_json() -> None:
    r = resolver()
    assert r.resolve({"Fn::Base64": "hi"}) == "aGk="
    assert r.resolve({"Fn::GetAZs": ""}) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert r.resolve({"Fn::ToJsonString": {"a": {"Ref": "Stage"}}}) == '{"a":"dev"}'


def test_errors_are_clear() -> None:
    # GIVEN malformed or unknown references WHEN resolved THEN an IntrinsicError names the problem
    r = resolver()
    with pytest.raises(IntrinsicError, match="unknown"):
        r.resolve({"Ref": "Missing"})
    with pytest.raises(IntrinsicError, match="out of range"):
        r.resolve({"Fn::Select": [5, ["a"]]})
    with pytest.raises(IntrinsicError, match="unknown condition"):
        r.resolve({"Fn::If": ["Nope", 1, 2]})
    with pytest.raises(IntrinsicError, match="not supported"):
        r.resolve({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})


def test_references_finds_refs_attributes_and_sub_names() -> None:
    # GIVEN a node mentioning resources three ways WHEN scanned THEN all three names are found
    node = {
        "A": {"Ref": "Queue"},
        "B": {"Fn::GetAtt": ["Dlq", "Arn"]},
        "C": {"Fn::Sub": "${Bucket}/${Fn.Arn}/${!X}"},
    }
    assert references(node) == {"Queue", "Dlq", "Bucket", "Fn"}
