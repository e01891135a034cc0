"""The deployed web app's config.json, from the stack's outputs."""

from __future__ import annotations

import pytest

from reelstack_tools.web_config import REQUIRED_OUTPUTS, MissingOutputs, deployed_config

OUTPUTS = {
    "Stage": "dev",
    "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/",
    "SignInUrl": "https://reelstack-dev-123456789012.auth.eu-west-1.amazoncognito.com",
    "UserPoolClientId": "4h2example7client",
    "MediaBucketName": "reelstack-media-dev-uuid",
    "PlaybackDistributionId": "E2EXAMPLE",
    "WebAppUrl": "https://d111111abcdef8.cloudfront.net/",
}


def test_the_config_names_the_api_stage_and_the_hosted_ui() -> None:
    # GIVEN a deployed stack's outputs WHEN the app's configuration is made
    config = deployed_config(OUTPUTS)
    # THEN it is the stage, the API stage's URL without its slash, and the hosted UI's code flow endpoints
    assert config == {
        "stage": "dev",
        "api_url": "https://abc123.execute-api.eu-west-1.amazonaws.com/dev",
        "auth": {
            "provider": "cognito",
            "authorize_url": f"{OUTPUTS['SignInUrl']}/oauth2/authorize",
            "token_url": f"{OUTPUTS['SignInUrl']}/oauth2/token",
            "logout_url": f"{OUTPUTS['SignInUrl']}/logout",
            "client_id": "4h2example7client",
            "scope": "openid email profile",
        },
    }


def test_a_stack_from_before_the_web_app_is_told_to_deploy_first() -> None:
    # GIVEN the outputs of a stack deployed from an older template (no sign-in domain, no distribution id)
    older = {
        key: value for key, value in OUTPUTS.items() if key not in ("SignInUrl", "PlaybackDistributionId")
    }
    # WHEN a configuration is asked for THEN the missing outputs are named, with what to do
    with pytest.raises(MissingOutputs) as raised:
        deployed_config(older)
    assert raised.value.missing == ["SignInUrl", "PlaybackDistributionId"]
    assert "sam deploy" in str(raised.value)
    assert set(OUTPUTS) == set(REQUIRED_OUTPUTS)
