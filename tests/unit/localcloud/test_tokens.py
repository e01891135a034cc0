"""The local issuer: Cognito-like ID tokens, verifiable with the published JWKS."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jwt
import pytest

from reelstack_tools.tokens import (
    IssuerState,
    TokenVerifier,
    add_arguments,
    ensure_signing_key,
    issue_token,
    jwks,
    run,
    user_sub,
)

ISSUER = "http://127.0.0.1:4566/cognito/us-east-1_local"


@pytest.fixture
def state(tmp_path: Path) -> IssuerState:
    return IssuerState(ISSUER, "reelstack-local-client", ensure_signing_key(tmp_path / "issuer-key.pem"))


def test_a_token_carries_cognito_claims_and_verifies_with_the_jwks(state: IssuerState) -> None:
    token = issue_token(state, "alice", roles=["reviewer"], ttl=600)
    key = jwks(state.signing_key)["keys"][0]
    # GIVEN only the public JWK (as an app fetching the JWKS would have it)
    public = jwt.PyJWK(key)
    claims = jwt.decode(token, public, algorithms=["RS256"], audience="reelstack-local-client", issuer=ISSUER)
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == ["reviewer"]
    assert claims["token_use"] == "id"
    assert claims["sub"] == user_sub("alice") == user_sub("alice")
    assert claims["exp"] - claims["iat"] == 600


def test_the_key_is_created_once_and_reused(state: IssuerState) -> None:
    before = jwks(state.signing_key)
    ensure_signing_key(state.signing_key)
    assert jwks(state.signing_key) == before
    assert oct(state.signing_key.stat().st_mode & 0o777) == "0o600"


def test_users_without_roles_have_no_groups_claim(state: IssuerState) -> None:
    assert "cognito:groups" not in TokenVerifier(state).verify(issue_token(state, "bob"))


def test_expired_and_foreign_tokens_are_rejected(state: IssuerState, tmp_path: Path) -> None:
    verifier = TokenVerifier(state)
    with pytest.raises(jwt.ExpiredSignatureError):
        verifier.verify(issue_token(state, "alice", ttl=-120))
    other = IssuerState(ISSUER, "another-client", state.signing_key)
    with pytest.raises(jwt.InvalidAudienceError):
        verifier.verify(issue_token(other, "alice"))
    stranger = IssuerState(ISSUER, "reelstack-local-client", ensure_signing_key(tmp_path / "other.pem"))
    with pytest.raises(jwt.InvalidSignatureError):
        verifier.verify(issue_token(stranger, "alice"))


def test_the_state_can_come_from_a_state_dir(tmp_path: Path) -> None:
    key = ensure_signing_key(tmp_path / "issuer-key.pem")
    cloud = {"issuer": ISSUER, "audience": "reelstack-local-client", "signing_key": str(key)}
    (tmp_path / "cloud.json").write_text(json.dumps(cloud))
    token = issue_token(tmp_path, "carol")
    assert TokenVerifier(IssuerState.from_state_dir(tmp_path)).verify(token)["cognito:username"] == "carol"


@pytest.mark.parametrize("content", ["{not json", json.dumps({"ready": False}), "[]"])
def test_an_unreadable_state_file_is_reported_not_a_traceback(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a state dir whose cloud.json is garbled or not a local cloud's
    (tmp_path / "cloud.json").write_text(content)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    # WHEN `reelstack token` runs against it
    code = run(parser.parse_args(["--user", "dave", "--state-dir", str(tmp_path)]))
    # THEN it exits 1 with a sentence saying to start the local cloud
    assert code == 1
    assert "start the local cloud with `reelstack up` first" in capsys.readouterr().err
