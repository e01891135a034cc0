"""Fixtures for the template tests: the SAM template, its ASL definitions, and its offline transform."""

from __future__ import annotations

import json
from typing import Any

import pytest
from template_support import (
    REPO_ROOT,
    TEMPLATE_PATH,
    OfflineManagedPolicyMap,
    load_cfn_yaml,
    offline_sam_input,
    resources_of_type,
)


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_cfn_yaml(TEMPLATE_PATH)


@pytest.fixture(scope="session")
def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each AWS::Serverless::StateMachine with its ASL file loaded: name -> {"resource", "path", "asl"}."""
    machines: dict[str, dict[str, Any]] = {}
    for name, resource in resources_of_type(template, "AWS::Serverless::StateMachine").items():
        path = REPO_ROOT / resource["Properties"]["DefinitionUri"]
        machines[name] = {
            "resource": resource,
            "path": path,
            "asl": json.loads(path.read_text(encoding="utf-8")),
        }
    return machines


@pytest.fixture(scope="session")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template aws-sam-translator produces, offline."""
    from samtranslator.translator.transform import transform

    with pytest.MonkeyPatch.context() as patch:
        # The translator needs a region for its pseudo parameters; no AWS call is made.
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(offline_sam_input(template), {}, OfflineManagedPolicyMap())
