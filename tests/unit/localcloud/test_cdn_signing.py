"""The local CDN's signature check, against URLs and cookies the API's signer makes: CloudFront's
rules (trusted key, matching signature, the policy's resource and expiry, canned or custom policy)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.signers import CloudFrontSigner as BotocoreSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reelstack.adapters.media_signer import CloudFrontSigner
from reelstack_tools.localcloud.cdn_signing import (
    PUBLIC_KEY_PARAMETER,
    SECRET_NAME,
    SECRET_PARAMETER,
    SignatureRefused,
    ensure_key,
    load_public_key,
    private_pem,
    public_pem,
    signing_parameters,
    signing_values,
    verify,
)

NOW = 1_790_000_000.0
DOMAIN = "127.0.0.1:4566/_cdn-signed/media"
BASE = f"http://{DOMAIN}"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> rsa.RSAPrivateKey:
    return ensure_key(tmp_path_factory.mktemp("signing") / "key.pem")


@pytest.fixture(scope="module")
def keys(key: rsa.RSAPrivateKey) -> dict[str, rsa.RSAPublicKey]:
    return {"PlaybackPublicKey": load_public_key(public_pem(key))}


def _signed(key: rsa.RSAPrivateKey, seconds: int = 600) -> tuple[str, dict[str, str]]:
    """The master playlist's signed URL (without its query) and the signature's fields."""
    signer = CloudFrontSigner(DOMAIN, "PlaybackPublicKey", lambda: private_pem(key), clock=lambda: NOW)
    signed = signer.sign("renditions/v1/", "renditions/v1/master.m3u8", seconds)
    parts = urlsplit(signed.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(parse_qsl(signed.query))


def test_the_apis_signature_opens_every_file_of_the_video(
    key: rsa.RSAPrivateKey, keys: dict[str, rsa.RSAPublicKey]
) -> None:
    """GIVEN a held video's preview signed by the API's signer (loopback: http)
    WHEN the master, a variant playlist and a segment are checked with its query THEN all pass."""
    url, values = _signed(key)

    assert url == f"{BASE}/renditions/v1/master.m3u8"
    for path in ("master.m3u8", "720p/index.m3u8", "720p/seg_00001.m4s"):
        verify(f"{BASE}/renditions/v1/{path}", values, keys, NOW + 1)


@pytest.mark.parametrize(
    ("case", "url_path", "now", "change"),
    [
        ("another video", "renditions/v2/master.m3u8", NOW, {}),
        ("expired", "renditions/v1/master.m3u8", NOW + 600, {}),
        ("untrusted key id", "renditions/v1/master.m3u8", NOW, {"Key-Pair-Id": "K-OTHER"}),
        ("tampered policy", "renditions/v1/master.m3u8", NOW, {"Policy": "eyJTdGF0ZW1lbnQiOltdfQ__"}),
        ("no signature", "renditions/v1/master.m3u8", NOW, {"Signature": ""}),
    ],
)
def test_what_cloudfront_refuses_is_refused(
    key: rsa.RSAPrivateKey,
    keys: dict[str, rsa.RSAPublicKey],
    case: str,
    url_path: str,
    now: float,
    change: dict[str, str],
) -> None:
    """GIVEN a signed preview WHEN it is used for another video, too late, with another key, with a
    changed policy or without its signature THEN SignatureRefused (the CDN answers 403)."""
    _, values = _signed(key)

    with pytest.raises(SignatureRefused):
        verify(f"{BASE}/{url_path}", {**values, **change}, keys, now)


def test_a_signature_by_another_key_under_a_trusted_id_is_refused(keys: dict[str, rsa.RSAPublicKey]) -> None:
    """GIVEN a URL signed by a key that is not the trusted one, naming the trusted id WHEN checked THEN refused."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(SignatureRefused):
        verify(f"{BASE}/renditions/v1/master.m3u8", _signed(other)[1], keys, NOW)


def test_cookies_and_canned_policies_are_accepted(
    key: rsa.RSAPrivateKey, keys: dict[str, rsa.RSAPublicKey]
) -> None:
    """GIVEN the signature as CloudFront-* cookies, and a canned-policy URL (Expires) WHEN checked THEN both pass;
    a canned URL opens only its own object."""
    _, values = _signed(key)
    cookies = {f"CloudFront-{name}": value for name, value in values.items()}
    verify(f"{BASE}/renditions/v1/720p/seg_00002.m4s", signing_values({}, cookies), keys, NOW)

    def rsa_sha1(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    url = f"{BASE}/renditions/v1/poster.jpg"
    canned = BotocoreSigner("PlaybackPublicKey", rsa_sha1).generate_presigned_url(
        url, date_less_than=datetime.fromtimestamp(NOW + 60, tz=UTC)
    )
    canned_values = dict(parse_qsl(urlsplit(canned).query))
    assert "Expires" in canned_values
    verify(url, signing_values(canned_values, {}), keys, NOW)
    with pytest.raises(SignatureRefused):
        verify(f"{BASE}/renditions/v1/master.m3u8", canned_values, keys, NOW)


def test_the_local_cloud_sets_the_signing_parameters_only_when_declared_and_not_given(
    key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    """GIVEN a template declaring the two signing parameters WHEN the local cloud starts without them
    THEN it passes its own public key and secret name; given either, or undeclared, it passes nothing;
    the key file is made once and kept."""
    declared = {PUBLIC_KEY_PARAMETER: {}, SECRET_PARAMETER: {}}

    parameters = signing_parameters(declared, {}, key)

    assert parameters == {PUBLIC_KEY_PARAMETER: public_pem(key), SECRET_PARAMETER: SECRET_NAME}
    assert "BEGIN PUBLIC KEY" in json.dumps(parameters)
    assert signing_parameters(declared, {PUBLIC_KEY_PARAMETER: "pem"}, key) == {}
    assert signing_parameters({}, {}, key) == {}
    first = ensure_key(tmp_path / "k.pem")
    assert private_pem(ensure_key(tmp_path / "k.pem")) == private_pem(first)
