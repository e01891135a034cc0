"""Load CloudFormation / SAM YAML (or JSON): short-form tags such as `!Ref` and `!Sub` become long form.

`!Ref X` -> `{"Ref": "X"}`, `!GetAtt A.B` -> `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` ->
`{"Condition": "C"}`, and every other `!Name value` -> `{"Fn::Name": value}`. Dates stay strings, as
CloudFormation reads them (`AWSTemplateFormatVersion: 2010-09-09`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_FUNCTION_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class TemplateSyntaxError(ValueError):
    """The file is not valid CloudFormation YAML/JSON."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that knows CloudFormation's tags and keeps timestamps as plain strings."""


_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_any(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise TemplateSyntaxError(f"unexpected YAML node {node!r}")


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Ref": _construct_any(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return {"Condition": _construct_any(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = _construct_any(loader, node)
    if isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        if not attribute:
            raise TemplateSyntaxError(f"!GetAtt {value!r} needs the form Resource.Attribute")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {"Fn::GetAtt": value}


def _function(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        return {f"Fn::{name}": _construct_any(loader, node)}

    return construct


_CfnLoader.add_constructor("!Ref", _ref)
_CfnLoader.add_constructor("!Condition", _condition)
_CfnLoader.add_constructor("!GetAtt", _get_att)
for _name in _FUNCTION_TAGS:
    _CfnLoader.add_constructor(f"!{_name}", _function(_name))


def loads(text: str) -> dict[str, Any]:
    """Parse template text into a long-form document."""
    try:
        document = yaml.load(text, Loader=_CfnLoader)
    except yaml.YAMLError as error:
        raise TemplateSyntaxError(str(error)) from error
    if not isinstance(document, dict):
        raise TemplateSyntaxError("a template must be a mapping at the top level")
    return document


def load(path: Path) -> dict[str, Any]:
    """Read and parse a template file."""
    return loads(path.read_text(encoding="utf-8"))
