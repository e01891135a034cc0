"""The local stand-in for a CloudFront distribution over the media bucket: `GET /_cdn/<bucket>/<key>`.

CloudFront reads a private bucket through origin access control (it signs its own requests); the
local CDN reads moto's S3 store directly, so players fetch published renditions with plain HTTP GETs
and relative HLS paths, exactly as from `https://<id>.cloudfront.net/<key>`. It answers GET and
HEAD, single byte ranges (players seek with them), CORS for web players. Like the bucket policy in
AWS, it serves only objects tagged `visibility=public` (Publish tags a video's renditions) with 403
otherwise, and refuses objects in an archive storage class that has not been restored.

A distribution whose behaviour trusts a key group (the private playback distribution) is served under
`GET /_cdn-signed/<bucket>/<key>`: any object, tagged or not, but only to a request signed with one
of the trusted keys (`cdn_signing.verify`), 403 otherwise, as CloudFront answers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote

from cryptography.hazmat.primitives.asymmetric import rsa

from reelstack_tools.localcloud.cdn_signing import SignatureRefused, signing_values, verify
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, PARTITION
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, respond

PREFIX = "/_cdn/"
SIGNED_PREFIX = "/_cdn-signed/"
PUBLIC_TAG = ("visibility", "public")  # the bucket policy's s3:ExistingObjectTag condition
ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def cdn_path(bucket: str, origin_path: str = "", signed: bool = False) -> str:
    """The path a distribution over `bucket` (and its origin path) is served under."""
    return f"{SIGNED_PREFIX if signed else PREFIX}{bucket}{origin_path.rstrip('/')}"


def _backend() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ACCOUNT_ID][PARTITION]


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range within `size`; None for no (or an unsupported) range."""
    match = _RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first_text, last_text = match.groups()
    if first_text == "":
        first, last = max(0, size - int(last_text)), size - 1
    else:
        first, last = int(first_text), min(int(last_text), size - 1) if last_text else size - 1
    return (first, last) if first <= last and first < size else (size, size)


def _cookies(environ: Environ) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(str(environ.get("HTTP_COOKIE", "")))
    except Exception:  # a malformed Cookie header carries no signature
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


class LocalCdn:
    def __init__(
        self,
        trusted_keys: Callable[[], Mapping[str, rsa.RSAPublicKey]] = dict,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._trusted_keys = trusted_keys
        self._clock = clock

    @staticmethod
    def matches(environ: Environ) -> bool:
        path = str(environ.get("PATH_INFO", ""))
        return path.startswith(PREFIX) or path.startswith(SIGNED_PREFIX)

    def _refusal(self, environ: Environ) -> str | None:
        """Why a request to the signed path is refused (None: it is signed for its URL)."""
        path = str(environ["PATH_INFO"])
        url = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{path}"
        query = dict(parse_qsl(str(environ.get("QUERY_STRING", ""))))
        try:
            verify(url, signing_values(query, _cookies(environ)), self._trusted_keys(), self._clock())
        except SignatureRefused as refused:
            return str(refused)
        return None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        cors = [("Access-Control-Allow-Origin", "*")]
        method = environ.get("REQUEST_METHOD")
        if method == "OPTIONS":
            allow = [("Access-Control-Allow-Methods", "GET, HEAD"), ("Access-Control-Allow-Headers", "Range")]
            return respond(start_response, 204, b"", [*cors, *allow])
        if method not in ("GET", "HEAD"):
            return respond(start_response, 405, b"", [*cors, ("Allow", "GET, HEAD, OPTIONS")])
        path = str(environ["PATH_INFO"])
        signed = path.startswith(SIGNED_PREFIX)
        if signed:
            refusal = self._refusal(environ)
            if refusal is not None:
                return respond(start_response, 403, f"AccessDenied: {refusal}".encode(), cors)
        bucket, _, key = unquote(path[len(SIGNED_PREFIX if signed else PREFIX) :]).partition("/")
        stored = _backend().get_object(bucket, key) if bucket and key else None
        if stored is None:
            return respond(start_response, 404, b"Not Found", cors)
        tags = {tag["Key"]: tag["Value"] for tag in _backend().get_object_tagging(stored).get("Tags", [])}
        if not signed and tags.get(PUBLIC_TAG[0]) != PUBLIC_TAG[1]:
            return respond(start_response, 403, b"AccessDenied: not published", cors)
        if stored.storage_class in ARCHIVED and getattr(stored, "status", None) != "RESTORED":
            return respond(start_response, 403, b"InvalidObjectState: the object is archived", cors)
        body, size = stored.value, stored.size
        headers = [
            *cors,
            ("Content-Type", str(stored.metadata.get("Content-Type") or "binary/octet-stream")),
            ("ETag", stored.etag),
            ("Last-Modified", stored.last_modified_RFC1123),
            ("Accept-Ranges", "bytes"),
        ]
        if stored.metadata.get("Cache-Control"):
            headers.append(("Cache-Control", str(stored.metadata["Cache-Control"])))
        status, wanted = 200, _byte_range(str(environ.get("HTTP_RANGE", "")), size)
        if wanted is not None:
            first, last = wanted
            if first >= size:
                return respond(start_response, 416, b"", [*cors, ("Content-Range", f"bytes */{size}")])
            body, status = body[first : last + 1], 206
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
        if method == "HEAD":
            headers.append(("Content-Length", str(len(body))))
            start_response(f"{status} {'OK' if status == 200 else 'Partial Content'}", headers)
            return [b""]
        return respond(start_response, status, body, headers)
