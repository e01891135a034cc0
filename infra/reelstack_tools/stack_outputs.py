"""A deployed stack's outputs, the way every `--stack NAME` option reads them (rank, flags, web deploy)."""

from __future__ import annotations

from typing import Any


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The outputs of the deployed stack `stack`, by key (a CloudFormation client's DescribeStacks)."""
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}
