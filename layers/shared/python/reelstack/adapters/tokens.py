"""Verifying bearer JWTs against the issuer's JWKS (Cognito in AWS, the local issuer locally).

Refusals carry our codes and plain messages; PyJWT's own message stays in the exception chain (the API
logs it with the request's correlation id), never in the answer.
"""

from __future__ import annotations

from typing import Any

import jwt

from reelstack.errors import Unauthorized


class JwtVerifier:
    """Checks signature (RS256, key by `kid` from the JWKS), expiry, issuer, audience and `token_use`.

    `token_use` must be present and equal the expected kind: Cognito ID tokens and the local issuer's
    carry `id` and name the app client in `aud`; Cognito access tokens carry `access` and name it in
    `client_id` (they have no `aud`). `audience` is the app client either way.
    """

    def __init__(
        self, issuer: str, audience: str, jwks_url: str, jwks_client: Any = None, token_use: str = "id"
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.token_use = token_use
        self._jwks = jwks_client

    @property
    def jwks(self) -> jwt.PyJWKClient:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=3600, timeout=5)
        return self._jwks

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss"], "verify_aud": False},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired", code="token_expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("the token comes from an unknown issuer", code="invalid_issuer") from exc
        except jwt.PyJWKClientConnectionError as exc:
            raise Unauthorized("the issuer's keys cannot be fetched", code="issuer_unreachable") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("the token is invalid", code="invalid_token") from exc
        if claims.get("token_use") != self.token_use:
            raise Unauthorized(f"the token must be an {self.token_use} token", code="invalid_token_use")
        client = claims.get("client_id" if self.token_use == "access" else "aud")
        if self.audience not in (client if isinstance(client, list) else [client]):
            raise Unauthorized("the token is not for this API", code="invalid_audience")
        return claims
