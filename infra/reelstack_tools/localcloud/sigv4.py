"""AWS Signature Version 4 for presigned S3 URLs (query-string authentication), recomputed server-side.

Pure functions: parse the query of a presigned request, rebuild the canonical request S3 would build
(path as sent, each query pair URI-encoded and sorted, the signed headers' actual values,
`UNSIGNED-PAYLOAD`), and sign it with the secret of the access key in the credential scope.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_EXPIRES_SECONDS = 7 * 24 * 3600
_SPACES = re.compile(r"\s+")


class MalformedPresignedUrl(ValueError):
    """The query lacks or garbles one of the X-Amz-* authentication parameters."""


@dataclass(frozen=True)
class PresignedQuery:
    access_key: str
    scope: str  # date/region/service/aws4_request
    amz_date: str
    expires: int
    signed_headers: tuple[str, ...]
    signature: str
    pairs: tuple[tuple[str, str], ...]  # every decoded query pair, in order

    @property
    def signed_at(self) -> datetime:
        return datetime.strptime(self.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def payload_hash(self) -> str:
        for key, value in self.pairs:
            if key == "X-Amz-Content-Sha256":
                return value
        return UNSIGNED_PAYLOAD


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decode a raw query string into pairs (`+` stays a plus, as S3 reads signed queries)."""
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def parse_presigned(raw_query: str) -> PresignedQuery:
    pairs = query_pairs(raw_query)
    params = dict(pairs)
    try:
        algorithm = params["X-Amz-Algorithm"]
        credential = params["X-Amz-Credential"]
        amz_date = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
        signed_headers = params["X-Amz-SignedHeaders"]
        signature = params["X-Amz-Signature"]
    except (KeyError, ValueError) as error:
        raise MalformedPresignedUrl(f"missing or invalid query parameter: {error}") from None
    if algorithm != ALGORITHM:
        raise MalformedPresignedUrl(f"X-Amz-Algorithm only supports '{ALGORITHM}'")
    access_key, _, scope = credential.partition("/")
    if scope.count("/") != 3 or not scope.endswith("/aws4_request"):
        raise MalformedPresignedUrl("X-Amz-Credential must be access-key/date/region/service/aws4_request")
    if not 0 < expires <= MAX_EXPIRES_SECONDS:
        raise MalformedPresignedUrl("X-Amz-Expires must be less than a week (in seconds) that is; 604800")
    try:
        datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    except ValueError:
        raise MalformedPresignedUrl(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
        ) from None
    return PresignedQuery(
        access_key=access_key,
        scope=scope,
        amz_date=amz_date,
        expires=expires,
        signed_headers=tuple(signed_headers.split(";")),
        signature=signature,
        pairs=tuple(pairs),
    )


def canonical_uri(raw_path: str) -> str:
    """The path as S3 canonicalises it: each character URI-encoded once, slashes kept."""
    return quote(unquote(raw_path), safe="/~") or "/"


def canonical_query(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    encoded = sorted(
        (quote(key, safe="-_.~"), quote(value, safe="-_.~"))
        for key, value in pairs
        if key != "X-Amz-Signature"
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_headers(headers: Mapping[str, str], signed: tuple[str, ...]) -> str:
    lines = []
    for name in signed:
        value = headers.get(name)
        lines.append(f"{name}:{_SPACES.sub(' ', value.strip()) if value is not None else ''}\n")
    return "".join(lines)


def canonical_request(method: str, raw_path: str, query: PresignedQuery, headers: Mapping[str, str]) -> str:
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(query.pairs),
            canonical_headers(headers, query.signed_headers),
            ";".join(query.signed_headers),
            query.payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, request: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])


def signing_key(secret_key: str, scope: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(
    secret_key: str, query: PresignedQuery, method: str, raw_path: str, headers: Mapping[str, str]
) -> str:
    """The signature S3 expects for this presigned request, given the header values it received."""
    to_sign = string_to_sign(query.amz_date, query.scope, canonical_request(method, raw_path, query, headers))
    return hmac.new(signing_key(secret_key, query.scope), to_sign.encode(), hashlib.sha256).hexdigest()


def signature_matches(expected: str, provided: str) -> bool:
    return hmac.compare_digest(expected, provided)
