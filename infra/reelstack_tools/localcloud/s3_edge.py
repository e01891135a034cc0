"""The S3 edge: what real S3 enforces and moto does not, checked before a request reaches moto.

1. Presigned requests (`X-Amz-Signature` in the query) are rejected once expired (403 AccessDenied
   "Request has expired") and when their SigV4 query signature does not match the request actually
   received (403 SignatureDoesNotMatch), which also catches a client that drops a signed header.
2. Any PUT that carries `x-amz-checksum-sha256` (and is not `aws-chunked`) has its body read and hashed;
   a mismatch is 400 BadDigest. The body is then handed to moto as an in-memory stream.

A CORS preflight (`OPTIONS`, which a browser sends unsigned before a presigned PUT from a web page) is
never checked: it goes to moto, which answers it from the bucket's CORS configuration, as S3 does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from reelstack_tools.localcloud import sigv4
from reelstack_tools.localcloud.wsgi import (
    Environ,
    StartResponse,
    WsgiApp,
    read_body,
    request_headers,
    request_path,
    respond,
)


def is_s3_request(environ: Environ) -> bool:
    query = environ.get("QUERY_STRING", "")
    if "X-Amz-Credential=" in query:
        return "%2Fs3%2Faws4_request" in query or "/s3/aws4_request" in query
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization:
        return "/s3/aws4_request" in authorization
    return environ.get("REQUEST_METHOD") == "PUT" and "HTTP_X_AMZ_CHECKSUM_SHA256" in environ


def s3_error(
    start_response: StartResponse,
    status: int,
    code: str,
    message: str,
    extra: Mapping[str, str] | None = None,
) -> list[bytes]:
    fields = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in (extra or {}).items())
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId><HostId>{base64.b64encode(uuid.uuid4().bytes).decode()}</HostId></Error>"
    ).encode()
    return respond(
        start_response, status, body, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    )


class S3Edge:
    def __init__(
        self, app: WsgiApp, credentials: Mapping[str, str], clock: Callable[[], float] = time.time
    ) -> None:
        self._app = app
        self._credentials = dict(credentials)
        self._clock = clock

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return self._app(environ, start_response)
        if "X-Amz-Signature=" in environ.get("QUERY_STRING", ""):
            rejection = self._check_presigned(environ, start_response)
            if rejection is not None:
                return rejection
        if (
            environ.get("REQUEST_METHOD") == "PUT"
            and "HTTP_X_AMZ_CHECKSUM_SHA256" in environ
            and not _aws_chunked(environ)
        ):
            rejection = self._check_sha256(environ, start_response)
            if rejection is not None:
                return rejection
        return self._app(environ, start_response)

    def _check_presigned(self, environ: Environ, start_response: StartResponse) -> list[bytes] | None:
        try:
            query = sigv4.parse_presigned(environ.get("QUERY_STRING", ""))
        except sigv4.MalformedPresignedUrl as error:
            return s3_error(start_response, 400, "AuthorizationQueryParametersError", str(error))
        now = self._clock()
        expires_at = query.signed_at.timestamp() + query.expires
        if now > expires_at:
            extra = {
                "X-Amz-Expires": str(query.expires),
                "Expires": _iso(expires_at),
                "ServerTime": _iso(now),
            }
            return s3_error(start_response, 403, "AccessDenied", "Request has expired", extra)
        secret = self._credentials.get(query.access_key)
        if secret is None:
            message = "The AWS Access Key Id you provided does not exist in our records."
            return s3_error(
                start_response, 403, "InvalidAccessKeyId", message, {"AWSAccessKeyId": query.access_key}
            )
        raw_path = request_path(environ)
        headers = {name.lower(): value for name, value in request_headers(environ)}
        method = str(environ.get("REQUEST_METHOD", "GET"))
        expected = sigv4.signature(secret, query, method, raw_path, headers)
        if sigv4.signature_matches(expected, query.signature):
            return None
        canonical = sigv4.canonical_request(method, raw_path, query, headers)
        message = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method."
        )
        extra = {
            "AWSAccessKeyId": query.access_key,
            "StringToSign": sigv4.string_to_sign(query.amz_date, query.scope, canonical),
            "SignatureProvided": query.signature,
            "CanonicalRequest": canonical,
        }
        return s3_error(start_response, 403, "SignatureDoesNotMatch", message, extra)

    def _check_sha256(self, environ: Environ, start_response: StartResponse) -> list[bytes] | None:
        try:
            claimed = base64.b64decode(str(environ["HTTP_X_AMZ_CHECKSUM_SHA256"]), validate=True)
        except (binascii.Error, ValueError):
            claimed = b""
        if len(claimed) != hashlib.sha256().digest_size:
            return s3_error(
                start_response, 400, "InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid."
            )
        body = read_body(environ)  # a chunked (Transfer-Encoding) body too, which has no Content-Length
        digest = hashlib.sha256(body).digest()
        # The body is whole in memory: werkzeug may hand the stream to moto as it is, instead of
        # wrapping it in a LimitedStream that re-reads (and re-copies) it 64 KiB at a time.
        environ["wsgi.input_terminated"] = True
        if digest != claimed:
            message = "The SHA256 you specified did not match the calculated checksum."
            return s3_error(start_response, 400, "BadDigest", message)
        return None


def _aws_chunked(environ: Environ) -> bool:
    encoding = str(environ.get("HTTP_CONTENT_ENCODING", ""))
    content_sha = str(environ.get("HTTP_X_AMZ_CONTENT_SHA256", ""))
    return "aws-chunked" in encoding or content_sha.startswith("STREAMING-")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
