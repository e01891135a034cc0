"""A small JSON-over-HTTP client for tests: the API as an app sees it, and presigned PUTs to S3."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def request(
    method: str,
    url: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw, status, reply_headers = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, reply_headers = error.read(), error.code, dict(error.headers)
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return Reply(status, body, reply_headers)


class Api:
    """The reelstack HTTP API for one user."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return request(method, self.base_url + path, token=self.token, json_body=json_body, **kwargs)

    def open_upload(self, data: bytes, chunk_size: int, **extra: Any) -> Reply:
        body = {
            "filename": "clip.mp4",
            "size": len(data),
            "content_type": "video/mp4",
            "chunk_size": chunk_size,
        }
        return self.call("POST", "/uploads", body | extra)

    def presign(
        self, upload_id: str, numbers: list[int], chunks: dict[int, bytes] | None = None, **extra: Any
    ) -> Reply:
        body: dict[str, Any] = {"part_numbers": numbers} | extra
        if chunks is not None:
            body["checksums"] = {str(n): checksum(chunks[n]) for n in numbers}
        return self.call("POST", f"/uploads/{upload_id}/parts", body)

    def put_chunks(
        self, upload_id: str, chunks: dict[int, bytes], numbers: list[int] | None = None
    ) -> list[Reply]:
        numbers = numbers or sorted(chunks)
        signed = self.presign(upload_id, numbers, chunks)
        assert signed.status == 200, signed.body
        return [put(part, chunks[part["part_number"]]) for part in signed.body["parts"]]


def checksum(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def put(part: dict[str, Any], data: bytes) -> Reply:
    """PUT a chunk with exactly the headers the API said to send."""
    return request("PUT", part["url"], data=data, headers=part["headers"])


def split(data: bytes, chunk_size: int) -> dict[int, bytes]:
    return {
        n + 1: data[offset : offset + chunk_size] for n, offset in enumerate(range(0, len(data), chunk_size))
    }
