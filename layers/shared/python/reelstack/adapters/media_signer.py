"""Links to media that is not public: a held video (in review) for its owner and its reviewers.

Two signers, one shape (`SignedMedia`):
- `CloudFrontSigner` (AWS, when the stack has a key pair): a CloudFront signed URL on the private
  distribution, whose every cache behaviour trusts only the stack's key group. The signature is a
  custom policy over the whole prefix (`renditions/<video>/*`), so the same `query` string also signs
  every playlist and segment the master playlist names (players append it to each request: hls.js
  `xhrSetup`, AVFoundation's resource loader), or becomes the three `CloudFront-*` cookies. The
  private key (PEM, RSA) is read once from Secrets Manager.
  The local cloud runs this signer too, with a key pair of its own, and its CDN stand-in checks the
  signatures as CloudFront does (`reelstack_tools.localcloud.cdn_signing`).
- `PresignedS3Signer` (a stack deployed without a key pair): a presigned S3 GET of the one object;
  `query` is empty because S3 signatures cover one key each, so only the master playlist opens.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from botocore.signers import CloudFrontSigner as BotocoreCloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reelstack.adapters.aws import client
from reelstack.domain.media.renditions import MASTER_PLAYLIST
from reelstack.errors import DependencyFailed

PREVIEW_SECONDS = 3600  # long enough to watch a held video of the longest length accepted (600 s) a few times


@dataclass(frozen=True)
class SignedMedia:
    url: str  # the object itself, signed
    expires_at: int  # epoch seconds
    # The signature as a query string that also signs every other key under the same prefix ("" when
    # each URL is signed on its own), and the same as CloudFront's signed cookies ({} likewise).
    query: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "expires_at": self.expires_at, "query": self.query, "cookies": self.cookies}


class MediaSigner(Protocol):
    def sign(self, prefix: str, key: str, expires_in: int) -> SignedMedia:
        """A link to `key` (under `prefix`, e.g. `renditions/<video>/`) valid for `expires_in` seconds."""
        ...


def _base_url(domain: str) -> str:
    """`https://<domain>`; plain http for a loopback domain (the local cloud's CDN stand-in)."""
    domain = domain.strip().rstrip("/")
    if "://" in domain:
        return domain
    host = domain.split("/", 1)[0].rsplit(":", 1)[0]
    return f"{'http' if host in ('127.0.0.1', 'localhost', '[::1]') else 'https'}://{domain}"


class CloudFrontSigner:
    """CloudFront signed URLs and cookies with a custom policy (RSA-SHA1, as CloudFront requires)."""

    def __init__(
        self,
        domain: str,
        key_pair_id: str,
        private_key: Callable[[], bytes],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = _base_url(domain)
        self.key_pair_id = key_pair_id
        self._private_key_pem = private_key
        self._clock = clock

    @cached_property
    def _key(self) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key(self._private_key_pem(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DependencyFailed("the playback signing key is not an RSA key")
        return key

    def _rsa_sha1(self, message: bytes) -> bytes:
        return self._key.sign(
            message, padding.PKCS1v15(), hashes.SHA1()
        )  # CloudFront signs with RSA-SHA1 only

    def policy(self, prefix: str, expires_at: int) -> str:
        """The custom policy: any object under `prefix` of this distribution until `expires_at`."""
        resource = f"{self.base_url}/{quote(prefix)}*"
        statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires_at}}}
        return json.dumps({"Statement": [statement]}, separators=(",", ":"))

    def sign(self, prefix: str, key: str, expires_in: int) -> SignedMedia:
        if not key.startswith(prefix):
            raise ValueError(f"{key} is not under {prefix}")
        expires_at = int(self._clock()) + expires_in
        policy = self.policy(prefix, expires_at)
        signer = BotocoreCloudFrontSigner(self.key_pair_id, self._rsa_sha1)
        url = f"{self.base_url}/{quote(key)}"
        signed_url = str(signer.generate_presigned_url(url, policy=policy))
        # Policy, Signature and Key-Pair-Id, in CloudFront's URL-safe base64 (nothing to percent-encode).
        query = urlsplit(signed_url).query
        return SignedMedia(
            url=signed_url,
            expires_at=expires_at,
            query=query,
            cookies={f"CloudFront-{name}": value for name, value in parse_qsl(query)},
        )


class PresignedS3Signer:
    """Presigned S3 GETs of single objects (no CDN in front: the local cloud, or no key pair)."""

    def __init__(self, bucket: str, s3: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.bucket = bucket
        self._s3 = s3
        self._clock = clock

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

    def sign(self, prefix: str, key: str, expires_in: int) -> SignedMedia:
        if not key.startswith(prefix):
            raise ValueError(f"{key} is not under {prefix}")
        try:
            url = self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed(f"presigning {key} failed: {exc}") from exc
        return SignedMedia(url=str(url), expires_at=int(self._clock()) + expires_in)


def secret_text(secret_id: str, secrets: Any = None) -> Callable[[], bytes]:
    """Reads a Secrets Manager secret's string when first called (the signing key, at first use)."""

    def read() -> bytes:
        try:
            value = (secrets or client("secretsmanager")).get_secret_value(SecretId=secret_id)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed(f"reading the playback signing key failed: {exc}") from exc
        return str(value["SecretString"]).encode()

    return read


def held_preview(signer: MediaSigner | None, video_id: str) -> dict[str, Any] | None:
    """A signed link to a held video's master playlist (and, through `query`, to all beside it)."""
    if signer is None:
        return None
    prefix = f"renditions/{video_id}/"
    return signer.sign(prefix, f"{prefix}{MASTER_PLAYLIST}", PREVIEW_SECONDS).to_dict()


def media_signer(
    bucket: str, domain: str = "", key_pair_id: str = "", key_secret: str = "", secrets: Any = None
) -> MediaSigner:
    """CloudFront signing when the stack has a private distribution and a key (all three set), else S3's."""
    if domain and key_pair_id and key_secret:
        return CloudFrontSigner(domain, key_pair_id, secret_text(key_secret, secrets))
    return PresignedS3Signer(bucket)
