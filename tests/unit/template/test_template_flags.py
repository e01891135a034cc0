"""The template's feature flags: AppConfig deploys the released document, and the API reads it."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator

from reelstack.domain.release.flags import released_document


def test_the_stack_deploys_every_flag_released_in_powertools_schema(template: dict[str, Any]) -> None:
    # GIVEN the hosted configuration version the stack deploys first
    resources = template["Resources"]
    content = json.loads(resources["FeatureFlagsReleased"]["Properties"]["Content"])
    # THEN it is the domain's released document, valid for Powertools, deployed at once
    assert content == released_document()
    SchemaValidator(content).validate()
    deployment = resources["FeatureFlagsDeployment"]["Properties"]
    assert deployment["ConfigurationVersion"] == {"Ref": "FeatureFlagsReleased"}
    strategy = resources[deployment["DeploymentStrategyId"]["Ref"]]["Properties"]
    assert (strategy["DeploymentDurationInMinutes"], strategy["FinalBakeTimeInMinutes"]) == (0, 0)


def test_the_api_reads_the_flags_with_least_privilege(template: dict[str, Any]) -> None:
    # GIVEN the API function
    api = template["Resources"]["ApiFunction"]["Properties"]
    variables = api["Environment"]["Variables"]
    # THEN it is told where the flags are, and may read exactly that configuration
    assert variables["FEATURE_FLAGS_APPLICATION"] == {"Ref": "FeatureFlagsApplication"}
    assert variables["FEATURE_FLAGS_PROFILE"] == {"Ref": "FeatureFlagsProfile"}
    statements = [s for p in api["Policies"] if isinstance(p, dict) for s in p.get("Statement", [])]
    reads = [s for s in statements if s.get("Sid") == "ReadFeatureFlags"]
    assert reads and set(reads[0]["Action"]) == {
        "appconfig:StartConfigurationSession",
        "appconfig:GetLatestConfiguration",
    }
