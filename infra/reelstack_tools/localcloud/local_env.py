"""Constants and environment shared by every part of the local cloud (region, account, credentials)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
PARTITION = "aws"
LOG = "reelstack.localcloud"
# The directory holding the reelstack_tools package: worker processes import their runtime from it.
INFRA_DIR = Path(__file__).resolve().parents[2]

CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}

# Only these survive from the developer's environment into a function's sandbox.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")


def apply_credentials(environ: dict[str, str] | None = None) -> None:
    """Point the current process (by default) at fake credentials and the local region."""
    target = os.environ if environ is None else environ
    for key, value in CREDENTIALS.items():
        target[key] = value
    target.pop("AWS_SESSION_TOKEN", None)
    target.pop("AWS_PROFILE", None)


def inherited_environment() -> dict[str, str]:
    """The few host variables a sandbox keeps (PATH finds ffmpeg; HOME and TMPDIR for caches)."""
    return {key: os.environ[key] for key in _INHERITED if key in os.environ}


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{resource}"
