"""From an Authorization header to a Principal (bearer JWT, verified against the issuer's JWKS)."""

from __future__ import annotations

from collections.abc import Mapping

from reelstack.adapters.tokens import JwtVerifier
from reelstack.domain.identity import Principal, principal_from_claims
from reelstack.errors import Unauthorized


class Authenticator:
    def __init__(self, verifier: JwtVerifier) -> None:
        self.verifier = verifier

    def principal(self, headers: Mapping[str, str]) -> Principal:
        header = headers.get("authorization") or headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthorized("an Authorization: Bearer <token> header is required", code="missing_token")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'", code="invalid_token")
        return principal_from_claims(self.verifier.verify(token.strip()))
