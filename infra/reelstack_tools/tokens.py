"""`reelstack token`: ID tokens from the local issuer, the local cloud's stand-in for Cognito.

The local cloud keeps an RSA key in `<state_dir>/issuer-key.pem` and publishes its JWKS at the user
pool's local ProviderURL. Tokens look like Cognito ID tokens (RS256, `token_use: id`,
`cognito:username`, `cognito:groups`), so the same verification code runs locally and in AWS.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import os
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud import cloudfile
from reelstack_tools.localcloud.cloudfile import default_state_dir

HELP = "print an ID token from the local issuer (the local cloud's Cognito stand-in)"
KEY_FILE = "issuer-key.pem"
_USER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://reelstack.local/users")


class IssuerNotFound(RuntimeError):
    """No local cloud state: `reelstack up` has not run with this state directory."""


@dataclass(frozen=True)
class IssuerState:
    issuer: str
    audience: str
    signing_key: Path
    user_pool_id: str = ""
    client_id: str = ""

    @classmethod
    def from_state_dir(cls, state_dir: Path | str) -> IssuerState:
        info = cloudfile.read(Path(state_dir)) or {}
        if not all(isinstance(info.get(key), str) for key in ("issuer", "audience", "signing_key")):
            raise IssuerNotFound(
                f"no local cloud state in {cloudfile.path(Path(state_dir))}: "
                "start the local cloud with `reelstack up` first"
            )
        return cls(
            issuer=info["issuer"],
            audience=info["audience"],
            signing_key=Path(info["signing_key"]),
            user_pool_id=info.get("user_pool_id", ""),
            client_id=info.get("client_id", ""),
        )


def ensure_signing_key(path: Path) -> Path:
    """Create the issuer's RSA key if it does not exist yet (reused across restarts)."""
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(pem)
    return path


def _private_key(path: Path) -> Any:
    """The signing key, parsed once per file version (parsing costs ~100 ms; tools mint many tokens)."""
    stat = path.stat()
    return _parsed_private_key(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parsed_private_key(path: str, mtime_ns: int, size: int) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(signing_key: Path) -> dict[str, str]:
    """The public key as a JWK; `kid` is its RFC 7638 thumbprint."""
    numbers = _private_key(signing_key).public_key().public_numbers()
    required = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**required, "alg": "RS256", "use": "sig", "kid": kid}


def jwks(signing_key: Path) -> dict[str, list[dict[str, str]]]:
    return {"keys": [public_jwk(signing_key)]}


def user_sub(user: str) -> str:
    return str(uuid.uuid5(_USER_NAMESPACE, user))


def _state(state: IssuerState | Path | str) -> IssuerState:
    return state if isinstance(state, IssuerState) else IssuerState.from_state_dir(state)


def issue_token(
    state: IssuerState | Path | str, user: str, roles: Iterable[str] = (), ttl: int = 3600
) -> str:
    """An RS256 ID token for `user` with `roles` as Cognito groups. `state` may be a state directory."""
    import jwt

    issuer = _state(state)
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_sub(user),
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "token_use": "id",
        "cognito:username": user,
        "auth_time": now,
        "iat": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
    }
    groups = list(roles)
    if groups:
        claims["cognito:groups"] = groups
    key_id = public_jwk(issuer.signing_key)["kid"]
    return str(
        jwt.encode(claims, _private_key(issuer.signing_key), algorithm="RS256", headers={"kid": key_id})
    )


class TokenVerifier:
    """Checks ID tokens of one issuer (the public key is loaded once)."""

    def __init__(self, state: IssuerState) -> None:
        self.state = state
        self._public_key = _private_key(state.signing_key).public_key()

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid ID token from this issuer; raises jwt.InvalidTokenError otherwise."""
        import jwt

        claims: dict[str, Any] = jwt.decode(
            token,
            self._public_key,
            algorithms=["RS256"],
            audience=self.state.audience,
            issuer=self.state.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
        if claims.get("token_use") != "id":
            raise jwt.InvalidTokenError("not an ID token")
        return claims


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="user name (cognito:username; sub is derived from it)")
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        dest="roles",
        metavar="ROLE",
        help="a group the user belongs to (repeatable)",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="the local cloud's state directory (default $REELSTACK_STATE_DIR or ./.reelstack)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        token = issue_token(args.state_dir or default_state_dir(), args.user, args.roles, args.ttl)
    except IssuerNotFound as error:
        sys.stderr.write(f"reelstack token: {error}\n")
        return 1
    sys.stdout.write(token + "\n")
    return 0
