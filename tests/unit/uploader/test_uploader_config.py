"""Where the API is and which token to send: flags, environment, the local cloud's state file."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from reelstack_tools import tokens
from reelstack_tools.uploader.config import ConfigError, cloud_state_path, resolve_api_url, resolve_token


def write_state(directory: Path, **state: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cloud.json").write_text(json.dumps(state), encoding="utf-8")


def test_the_api_url_comes_from_the_flag_then_env_then_state_then_default(tmp_path: Path) -> None:
    # GIVEN a local cloud state in ./.reelstack and in $REELSTACK_STATE_DIR
    write_state(tmp_path / ".reelstack", api_url="http://127.0.0.1:8100/")
    write_state(tmp_path / "state", api_url="http://127.0.0.1:8200")
    cwd_only: dict[str, str] = {}
    state_dir = {"REELSTACK_STATE_DIR": str(tmp_path / "state")}
    # WHEN resolved with each source THEN the most explicit wins, trailing slashes dropped
    assert resolve_api_url("http://x:1/", {"REELSTACK_API": "http://y:2"}, tmp_path) == "http://x:1"
    assert resolve_api_url(None, {"REELSTACK_API": "http://y:2", **state_dir}, tmp_path) == "http://y:2"
    assert resolve_api_url(None, state_dir, tmp_path) == "http://127.0.0.1:8200"
    assert resolve_api_url(None, cwd_only, tmp_path) == "http://127.0.0.1:8100"
    assert resolve_api_url(None, {}, tmp_path / "elsewhere") == "http://127.0.0.1:8000"


def test_the_state_file_is_under_the_state_dir_or_the_working_directory(tmp_path: Path) -> None:
    assert cloud_state_path({"REELSTACK_STATE_DIR": "/s"}, tmp_path) == Path("/s/cloud.json")
    assert cloud_state_path({}, tmp_path) == tmp_path / ".reelstack" / "cloud.json"


def test_an_explicit_token_wins_then_the_environment() -> None:
    # GIVEN a token flag and REELSTACK_TOKEN WHEN resolved THEN the flag wins; without it the variable
    assert resolve_token("flag", None, {"REELSTACK_TOKEN": "env"}) == "flag"
    assert resolve_token(None, None, {"REELSTACK_TOKEN": "env"}) == "env"


def test_no_token_at_all_is_a_clear_error(tmp_path: Path) -> None:
    # GIVEN no flag, no variable WHEN resolved THEN the error says how to get one
    with pytest.raises(ConfigError, match="--user NAME"):
        resolve_token(None, None, {}, tmp_path)


def test_minting_for_a_user_needs_the_local_cloud_state(tmp_path: Path) -> None:
    # GIVEN --user but no local cloud state WHEN resolved THEN the error points at `reelstack up`
    with pytest.raises(ConfigError, match="reelstack up"):
        resolve_token(None, "alice", {}, tmp_path)


def test_a_user_gets_a_token_from_the_local_issuer(tmp_path: Path) -> None:
    # GIVEN a local cloud state directory (cloud.json naming the issuer and its signing key)
    key = tokens.ensure_signing_key(tmp_path / "issuer-key.pem")
    write_state(tmp_path, issuer="http://127.0.0.1:8000/issuer", audience="reelstack", signing_key=str(key))
    # WHEN a token is resolved for --user alice (even with another token in the environment)
    token = resolve_token(None, "alice", {"REELSTACK_STATE_DIR": str(tmp_path), "REELSTACK_TOKEN": "other"})
    # THEN it is a JWT minted for alice
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["cognito:username"] == "alice"
