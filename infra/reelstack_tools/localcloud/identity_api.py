"""The local issuer's discovery documents on the AWS endpoint, where Cognito would publish them:
`GET /cognito/<pool>/.well-known/jwks.json` and `.../openid-configuration`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reelstack_tools.localcloud.wsgi import Environ, StartResponse, json_response, path_match
from reelstack_tools.tokens import IssuerState, jwks

PATH = re.compile(r"^/cognito/(?P<pool>[^/]+)/\.well-known/(?P<document>jwks\.json|openid-configuration)$")


class IdentityApi:
    def __init__(self, state: IssuerState) -> None:
        self._state = state
        self._jwks = jwks(state.signing_key)
        self._configuration = {
            "issuer": state.issuer,
            "jwks_uri": f"{state.issuer}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
        }

    @staticmethod
    def matches(environ: Environ) -> bool:
        return path_match(environ, "GET", PATH) is not None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        match = path_match(environ, "GET", PATH)
        assert match is not None
        if match.group("pool") != self._state.user_pool_id:
            message = f"User pool {match.group('pool')} does not exist."
            return json_response(
                start_response, 404, {"__type": "ResourceNotFoundException", "message": message}
            )
        document = self._jwks if match.group("document") == "jwks.json" else self._configuration
        return json_response(start_response, 200, document)
