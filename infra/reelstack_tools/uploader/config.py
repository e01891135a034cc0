"""Where the API is and who the caller is: flags, then environment, then the local cloud's state file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud import cloudfile

from .errors import UploadError

DEFAULT_API_URL = "http://127.0.0.1:8000"


class ConfigError(UploadError):
    code = "config_error"


def cloud_state_path(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """``$REELSTACK_STATE_DIR/cloud.json``, else ``./.reelstack/cloud.json``."""
    return cloudfile.path((cwd or Path.cwd()) / cloudfile.default_state_dir(env))


def load_cloud_state(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any] | None:
    """The running local cloud's state, or ``None`` when there is none (or it is unreadable)."""
    return cloudfile.read(cloud_state_path(env, cwd).parent)


def resolve_api_url(
    explicit: str | None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> str:
    """``--api``, else ``$REELSTACK_API``, else the local cloud's ``api_url``, else ``http://127.0.0.1:8000``."""
    env = os.environ if env is None else env
    if explicit:
        return explicit.rstrip("/")
    if env.get("REELSTACK_API"):
        return env["REELSTACK_API"].rstrip("/")
    state = load_cloud_state(env, cwd)
    if state and isinstance(state.get("api_url"), str) and state["api_url"]:
        return str(state["api_url"]).rstrip("/")
    return DEFAULT_API_URL


def resolve_token(
    explicit: str | None,
    user: str | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """``--token``, else a local token minted for ``--user``, else ``$REELSTACK_TOKEN``.

    The explicit flags win over the environment, so ``--user bob`` is bob even with ``REELSTACK_TOKEN`` set.
    """
    env = os.environ if env is None else env
    if explicit:
        return explicit
    if user:
        state_file = cloud_state_path(env, cwd)
        if not state_file.is_file():
            raise ConfigError(
                f"--user needs the local cloud's state ({state_file} not found): "
                "start it with `reelstack up`, or pass --token"
            )
        return mint_local_token(state_file.parent, user)
    if env.get("REELSTACK_TOKEN"):
        return env["REELSTACK_TOKEN"]
    raise ConfigError("no token: pass --token JWT, set REELSTACK_TOKEN, or --user NAME (local cloud)")


def mint_local_token(state_dir: Path, user: str) -> str:
    """A JWT from the local issuer whose state (``cloud.json``, signing key) is in ``state_dir``.

    Imported lazily: only ``--user`` needs it (and it pulls in PyJWT and cryptography).
    """
    from reelstack_tools.tokens import issue_token

    return str(issue_token(state_dir, user))
