"""The local cloud's AppConfig: the template's flags are deployed, and the data plane behaves as AWS's
does for a polling client (a configuration once, then empty answers until a new deployment; each poll
token good for one call)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reelstack.domain.release.flags import released_document

pytestmark = pytest.mark.integration


def test_a_session_gets_the_deployed_flags_once_then_only_changes(local_cloud: Any) -> None:
    data = local_cloud.client("appconfigdata")
    # GIVEN a configuration session on the stack's flags (by name, as Powertools asks)
    token = data.start_configuration_session(
        ApplicationIdentifier=local_cloud.name("FeatureFlagsApplication"),
        EnvironmentIdentifier=local_cloud.name("FeatureFlagsEnvironment"),
        ConfigurationProfileIdentifier=local_cloud.name("FeatureFlagsProfile"),
    )["InitialConfigurationToken"]
    # WHEN it polls THEN the first answer is the deployed document, the second is empty (unchanged)
    first = data.get_latest_configuration(ConfigurationToken=token)
    assert json.loads(first["Configuration"].read()) == released_document()
    second = data.get_latest_configuration(ConfigurationToken=first["NextPollConfigurationToken"])
    assert second["Configuration"].read() == b""
    # AND a token already used is refused
    with pytest.raises(ClientError) as used:
        data.get_latest_configuration(ConfigurationToken=token)
    assert used.value.response["Error"]["Code"] == "BadRequestException"


def test_an_unknown_application_is_not_found(local_cloud: Any) -> None:
    # GIVEN no such application WHEN a session is asked for THEN AWS's error comes back
    with pytest.raises(ClientError) as missing:
        local_cloud.client("appconfigdata").start_configuration_session(
            ApplicationIdentifier="nope", EnvironmentIdentifier="dev", ConfigurationProfileIdentifier="flags"
        )
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
