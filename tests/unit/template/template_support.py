"""Helpers of the template tests: paths, a YAML loader for CloudFormation short tags, the offline SAM input.

The loader turns CloudFormation short tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) into their long forms
(`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, ...), which is also what aws-sam-translator takes.
(This module has a name of its own: a test module importing `conftest` could get another folder's.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_SHORT_TAGS = (
    "Ref",
    "Condition",
    "GetAtt",
    "Sub",
    "Select",
    "Split",
    "Join",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Transform",
)


class CfnYamlLoader(yaml.SafeLoader):
    """A safe YAML loader that understands CloudFormation's short-form intrinsic tags."""


def _long_form(tag: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _tag in _SHORT_TAGS:
    CfnYamlLoader.add_constructor(f"!{_tag}", _long_form(_tag))


def load_cfn_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        # CfnYamlLoader is a SafeLoader: no arbitrary Python objects.
        loaded = yaml.load(handle, Loader=CfnYamlLoader)
    assert isinstance(loaded, dict), f"{path} is not a mapping"
    return loaded


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res.get("Type") == resource_type}


class OfflineManagedPolicyMap:
    """aws-sam-translator's managed-policy loader without IAM: no managed policy names to resolve.

    The template names managed policies by ARN only (SAM adds the Lambda basic-execution and X-Ray
    ones by ARN too), so the name -> ARN map that `load()` would fetch from IAM is empty.
    """

    def load(self) -> dict[str, str]:
        return {}


def queue_logical_id(queue_arn: Any) -> str:
    """The queue a `!GetAtt <Queue>.Arn` names (fails on anything else)."""
    assert isinstance(queue_arn, dict) and "Fn::GetAtt" in queue_arn, f"not a GetAtt of a queue: {queue_arn}"
    logical_id, attribute = queue_arn["Fn::GetAtt"]
    assert attribute == "Arn"
    return str(logical_id)


def offline_sam_input(template: dict[str, Any]) -> dict[str, Any]:
    """The template as `sam package` would hand it over: code in S3, images in ECR, ASL definitions inline."""
    sam_input = copy.deepcopy(template)
    for name, resource in sam_input["Resources"].items():
        properties = resource.get("Properties", {})
        if properties.get("PackageType") == "Image":
            tag = resource.get("Metadata", {}).get("DockerTag", "latest")
            properties["ImageUri"] = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name.lower()}:{tag}"
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://reelstack-artifacts/{name}.zip"
        if isinstance(properties.get("DefinitionUri"), str):
            path = REPO_ROOT / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(path.read_text(encoding="utf-8"))
    return sam_input
