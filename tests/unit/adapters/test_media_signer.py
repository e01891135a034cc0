"""Signed links to held videos: CloudFront custom-policy signatures (checked with the public key, as
CloudFront does) and the presigned-S3 fallback of the local cloud."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, parse_qsl, urlsplit

import boto3
import pytest
from botocore.config import Config
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reelstack.adapters.media_signer import (
    CloudFrontSigner,
    PresignedS3Signer,
    held_preview,
    media_signer,
)

NOW = 1_790_000_000.0
DOMAIN = "d111111abcdef8.cloudfront.net"


def _cloudfront_b64decode(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_cloudfront_signature_verifies_with_the_public_key_and_covers_the_prefix(
    key: rsa.RSAPrivateKey,
) -> None:
    """GIVEN a signer with an RSA key pair WHEN it signs a held video's master playlist for 600 s
    THEN the URL carries Policy, Signature and Key-Pair-Id; the signature verifies (RSA-SHA1) against the
    public key over the policy, which grants everything under the video's prefix until now + 600 s."""
    signer = CloudFrontSigner(DOMAIN, "K2JCJMDEHXQW5F", lambda: _pem(key), clock=lambda: NOW)

    signed = signer.sign("renditions/v1/", "renditions/v1/master.m3u8", 600)

    parts = urlsplit(signed.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", DOMAIN, "/renditions/v1/master.m3u8")
    query = dict(parse_qsl(parts.query))
    assert set(query) == {"Policy", "Signature", "Key-Pair-Id"}
    assert query["Key-Pair-Id"] == "K2JCJMDEHXQW5F"
    policy = _cloudfront_b64decode(query["Policy"])
    key.public_key().verify(
        _cloudfront_b64decode(query["Signature"]), policy, padding.PKCS1v15(), hashes.SHA1()
    )
    (statement,) = json.loads(policy)["Statement"]
    assert statement["Resource"] == f"https://{DOMAIN}/renditions/v1/*"
    assert statement["Condition"]["DateLessThan"]["AWS:EpochTime"] == int(NOW) + 600
    assert signed.expires_at == int(NOW) + 600
    # The same signature for segments (query) and for web players (cookies).
    assert signed.query == parts.query
    assert signed.cookies == {f"CloudFront-{name}": value for name, value in query.items()}


def test_a_signature_from_another_key_does_not_verify(key: rsa.RSAPrivateKey) -> None:
    """GIVEN a URL signed with another key WHEN its signature is checked against our public key THEN it fails."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed = CloudFrontSigner(DOMAIN, "K1", lambda: _pem(other), clock=lambda: NOW).sign(
        "renditions/v1/", "renditions/v1/master.m3u8", 60
    )
    query = dict(parse_qsl(urlsplit(signed.url).query))

    with pytest.raises(InvalidSignature):
        key.public_key().verify(
            _cloudfront_b64decode(query["Signature"]),
            _cloudfront_b64decode(query["Policy"]),
            padding.PKCS1v15(),
            hashes.SHA1(),
        )


def test_a_key_outside_the_prefix_is_refused(key: rsa.RSAPrivateKey) -> None:
    """GIVEN a prefix WHEN a key of another video is asked for under it THEN ValueError (nothing signed)."""
    signer = CloudFrontSigner(DOMAIN, "K1", lambda: _pem(key), clock=lambda: NOW)

    with pytest.raises(ValueError):
        signer.sign("renditions/v1/", "renditions/v2/master.m3u8", 60)


def test_presigned_s3_fallback_signs_one_object_for_its_lifetime() -> None:
    """GIVEN no CloudFront key pair (the local cloud) WHEN a held video's preview is asked for
    THEN a presigned S3 GET of its master playlist, valid for the preview's lifetime, and no shared query."""
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:5000",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4"),
    )
    signer = media_signer("media", "", "K1", "arn:secret")
    assert isinstance(signer, PresignedS3Signer)
    signer = PresignedS3Signer("media", s3=s3, clock=lambda: NOW)

    preview = held_preview(signer, "v1")

    assert preview is not None
    parts = urlsplit(preview["url"])
    assert parts.path == "/media/renditions/v1/master.m3u8"
    assert parse_qs(parts.query)["X-Amz-Expires"] == ["3600"]
    assert (preview["query"], preview["cookies"], preview["expires_at"]) == ("", {}, int(NOW) + 3600)


def test_cloudfront_signing_needs_domain_key_pair_and_secret() -> None:
    """GIVEN the three private playback settings WHEN the signer is chosen THEN CloudFront's, only with all three."""
    assert isinstance(media_signer("media", DOMAIN, "K1", "arn:secret"), CloudFrontSigner)
    assert isinstance(media_signer("media", DOMAIN, "", "arn:secret"), PresignedS3Signer)
    assert held_preview(None, "v1") is None
