"""Bearer token checks (adapters.tokens.JwtVerifier): the expected `token_use` is required, and refusals
carry our codes and plain messages, never PyJWT's."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from reelstack.adapters.tokens import JwtVerifier
from reelstack.errors import Unauthorized

ISSUER, AUDIENCE = "https://issuer.test", "app-client"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class _SigningKey:
    key: Any


class LocalKeys:
    """The issuer's JWKS, already fetched: PyJWKClient's one method the verifier calls."""

    def get_signing_key_from_jwt(self, token: str) -> _SigningKey:
        jwt.get_unverified_header(token)  # malformed tokens fail here, as with the real client
        return _SigningKey(KEY.public_key())


def _token(**changes: Any) -> str:
    now = int(time.time())
    claims = {"sub": "u-1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "token_use": "id"}
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="RS256")


def _verifier(token_use: str = "id") -> JwtVerifier:
    return JwtVerifier(
        ISSUER, AUDIENCE, "https://issuer.test/jwks", jwks_client=LocalKeys(), token_use=token_use
    )


def test_an_id_token_is_accepted() -> None:
    assert _verifier().verify(_token())["sub"] == "u-1"


@pytest.mark.parametrize("token_use", [None, "access", "ID", ""])
def test_a_token_without_the_expected_token_use_is_refused(token_use: str | None) -> None:
    # GIVEN a well-signed token for this API whose token_use is missing or another kind
    # WHEN verified THEN 401 invalid_token_use (a missing claim was taken for "id" before)
    with pytest.raises(Unauthorized) as refused:
        _verifier().verify(_token(token_use=token_use))
    assert refused.value.code == "invalid_token_use"


def test_the_expected_token_use_is_a_setting() -> None:
    # GIVEN an API configured for access tokens, which name the app client in client_id (no aud)
    verifier = _verifier(token_use="access")
    # WHEN an access token for this client comes THEN it is accepted; an ID token is refused
    assert verifier.verify(_token(token_use="access", aud=None, client_id=AUDIENCE))["token_use"] == "access"
    with pytest.raises(Unauthorized):
        verifier.verify(_token())
    # AND an access token of another client is not for this API
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(_token(token_use="access", aud=None, client_id="other-client"))
    assert refused.value.code == "invalid_audience"


@pytest.mark.parametrize("aud", ["other-app", ["other-app", "more"], None])
def test_an_id_token_for_another_audience_is_refused(aud: object) -> None:
    with pytest.raises(Unauthorized) as refused:
        _verifier().verify(_token(aud=aud))
    assert refused.value.code == "invalid_audience"
    assert _verifier().verify(_token(aud=["other-app", AUDIENCE]))["sub"] == "u-1"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", _token(sub=None), _token()[:-4] + "AAAA"])
def test_refusals_carry_a_plain_message_not_pyjwts(token: str) -> None:
    # GIVEN malformed, incomplete or tampered tokens WHEN verified THEN invalid_token, our message only
    with pytest.raises(Unauthorized) as refused:
        _verifier().verify(token)
    assert (refused.value.code, refused.value.message) == ("invalid_token", "the token is invalid")
