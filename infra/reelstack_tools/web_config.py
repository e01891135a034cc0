"""The web app's `config.json` for a deployed stack, made from the stack's outputs: the stage, the API stage's
URL, and the Cognito hosted UI's endpoints and app client (the same document the local cloud answers with
its own issuer, `localcloud.web_site.local_config`; `web/src/config.ts` reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What the app asks the hosted UI for (the template's UserPoolClient allows exactly these scopes).
SCOPE = "openid email profile"

# The outputs `reelstack web deploy` reads: the config's values, where the files go, what to invalidate.
REQUIRED_OUTPUTS = (
    "Stage",
    "ApiUrl",
    "SignInUrl",
    "UserPoolClientId",
    "MediaBucketName",
    "PlaybackDistributionId",
    "WebAppUrl",
)


class MissingOutputs(LookupError):
    """The stack lacks outputs the web app needs (deployed from a template older than the web app's)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"the stack has no output {', '.join(missing)}: deploy the current template first "
            "(sam build && sam deploy)"
        )
        self.missing = missing


def require_outputs(outputs: Mapping[str, str]) -> None:
    """Raise MissingOutputs unless every output the deploy reads is there."""
    missing = [name for name in REQUIRED_OUTPUTS if not outputs.get(name)]
    if missing:
        raise MissingOutputs(missing)


def deployed_config(outputs: Mapping[str, str]) -> dict[str, Any]:
    """config.json for the stack whose outputs are `outputs` (sign-in through its hosted UI)."""
    require_outputs(outputs)
    sign_in = outputs["SignInUrl"].rstrip("/")
    return {
        "stage": outputs["Stage"],
        "api_url": outputs["ApiUrl"].rstrip("/"),
        "auth": {
            "provider": "cognito",
            "authorize_url": f"{sign_in}/oauth2/authorize",
            "token_url": f"{sign_in}/oauth2/token",
            "logout_url": f"{sign_in}/logout",
            "client_id": outputs["UserPoolClientId"],
            "scope": SCOPE,
        },
    }
