"""CloudFront signed URLs and cookies, checked locally the way CloudFront checks them.

In AWS the private playback distribution trusts a key group (the template's PlaybackPublicKey, from
the `PlaybackSigningPublicKey` parameter) and the API signs with the private key kept in Secrets
Manager (`PlaybackSigningKeySecretArn`). The local cloud does the same with a key pair of its own:
made once per state dir, its public half passed as that parameter (so the template's private
distribution, key group and public key exist locally too), its private half stored as a secret in
moto. The local CDN (`cdn.LocalCdn`) then serves the private distribution's path only to requests
that carry a valid signature: a custom policy (`Policy`) or a canned one (`Expires`), with `Signature`
and `Key-Pair-Id`, in the query string or as the `CloudFront-*` cookies.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PUBLIC_KEY_PARAMETER = "PlaybackSigningPublicKey"
SECRET_PARAMETER = "PlaybackSigningKeySecretArn"
SECRET_NAME = "reelstack-local/playback-signing-key"
KEY_FILE = "playback-signing-key.pem"
SIGNING_FIELDS = ("Policy", "Expires", "Signature", "Key-Pair-Id")


class SignatureRefused(ValueError):
    """The request carries no valid CloudFront signature for its URL (CloudFront answers 403)."""


def ensure_key(path: Path) -> rsa.RSAPrivateKey:
    """The state dir's playback signing key (RSA 2048), made on first use."""
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(private_pem(key))
    path.chmod(0o600)
    return key


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signing_parameters(
    declared: Mapping[str, Any], overrides: Mapping[str, str], key: rsa.RSAPrivateKey
) -> dict[str, str]:
    """The two signing parameters for a template that declares them and was given neither."""
    if PUBLIC_KEY_PARAMETER not in declared or SECRET_PARAMETER not in declared:
        return {}
    if PUBLIC_KEY_PARAMETER in overrides or SECRET_PARAMETER in overrides:
        return {}
    return {PUBLIC_KEY_PARAMETER: public_pem(key), SECRET_PARAMETER: SECRET_NAME}


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("a CloudFront public key must be RSA")
    return key


def _b64decode(text: str) -> bytes:
    """CloudFront's URL-safe base64 (`-` for `+`, `_` for `=`, `~` for `/`)."""
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)
    except ValueError:
        raise SignatureRefused("malformed signature or policy") from None


def _resource_matches(pattern: str, url: str) -> bool:
    """CloudFront's policy resources: `*` any run of characters, `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, url) is not None


def signing_values(query: Mapping[str, str], cookies: Mapping[str, str]) -> dict[str, str]:
    """The signature's fields from the query string, else from the `CloudFront-*` cookies."""
    if "Signature" in query:
        return {name: query[name] for name in SIGNING_FIELDS if name in query}
    return {name: cookies[f"CloudFront-{name}"] for name in SIGNING_FIELDS if f"CloudFront-{name}" in cookies}


def verify(url: str, values: Mapping[str, str], keys: Mapping[str, rsa.RSAPublicKey], now: float) -> None:
    """Raise SignatureRefused unless `values` sign `url` (without its signing query) with a trusted key."""
    key_id, signature = values.get("Key-Pair-Id"), values.get("Signature")
    if not key_id or not signature:
        raise SignatureRefused("missing key pair id or signature")
    if key_id not in keys:
        raise SignatureRefused(f"key pair {key_id} is not trusted by this distribution")
    if "Policy" in values:
        policy = _b64decode(values["Policy"])
    elif "Expires" in values:
        statement = {
            "Resource": url,
            "Condition": {"DateLessThan": {"AWS:EpochTime": int(values["Expires"])}},
        }
        policy = json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()
    else:
        raise SignatureRefused("missing policy or expiry")
    try:
        keys[key_id].verify(_b64decode(signature), policy, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature:
        raise SignatureRefused("the signature does not match") from None
    try:
        (statement,) = json.loads(policy)["Statement"]
        resource = str(statement.get("Resource", "*"))
        condition = statement["Condition"]
        expires = int(condition["DateLessThan"]["AWS:EpochTime"])
        not_before = int(condition.get("DateGreaterThan", {}).get("AWS:EpochTime", 0))
    except (KeyError, TypeError, ValueError):
        raise SignatureRefused("malformed policy") from None
    if not _resource_matches(resource, url):
        raise SignatureRefused(f"the policy does not cover {url}")
    if not not_before <= now < expires:
        raise SignatureRefused("the signature has expired or is not valid yet")
