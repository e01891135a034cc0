"""The reelstack upload API, spoken with ``http.client`` (no SDK): typed answers, errors carrying their code.

Calls are retried on connection errors, 429 and 5xx with the same backoff as chunk PUTs; any other error
answer raises ``ApiError`` with the body's ``code``, ``message`` and remaining fields in ``details``.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .connections import open_connection, split_url
from .errors import ApiError
from .retry import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

USER_AGENT = "reelstack-uploader/1"
MAX_PARTS_PER_REQUEST = 100
RETRYABLE_API_STATUSES = frozenset({429, 500, 502, 503, 504})

UPLOAD_OPEN = "OPEN"
UPLOAD_DONE_STATES = frozenset({"MERGING", "COMPLETED"})


@dataclass(frozen=True)
class UploadSession:
    upload_id: str
    video_id: str
    chunk_size: int
    chunk_count: int
    mode: str
    expires_at: str | None = None


@dataclass(frozen=True)
class PartTarget:
    """Where and how to PUT one chunk. ``headers`` must be sent exactly as given (the URL signs them)."""

    part_number: int
    url: str
    method: str = "PUT"
    headers: dict[str, str] = field(default_factory=dict)
    expires_at: float | None = None  # epoch seconds, when the API said


@dataclass(frozen=True)
class UploadState:
    upload_id: str
    video_id: str
    status: str
    chunk_size: int
    chunk_count: int
    size: int | None
    received_parts: tuple[int, ...]
    missing_parts: tuple[int, ...]


@dataclass(frozen=True)
class Completion:
    video_id: str
    upload_id: str
    status: str
    upload_status: str


@dataclass(frozen=True)
class Video:
    video_id: str
    status: str
    title: str | None
    tags: tuple[str, ...]
    raw: dict[str, Any]


def parse_timestamp(value: object) -> float | None:
    """Epoch seconds from an epoch number or an ISO-8601 string (``Z`` allowed); ``None`` if unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return moment.timestamp()
    return None


def part_numbers_from(value: object) -> list[int]:
    """Part numbers from ``[3, 7]`` or ``[{"part_number": 3, ...}, ...]`` (how 409 answers list parts)."""
    numbers: list[int] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                item = item.get("part_number", item.get("part"))
            if isinstance(item, int) and not isinstance(item, bool):
                numbers.append(item)
            elif isinstance(item, str) and item.isdigit():
                numbers.append(int(item))
    return sorted(set(numbers))


def _require(body: Mapping[str, Any], key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ApiError(
            0, "bad_response", f"the API answer lacks {key!r} ({kind.__name__}): {dict(body)!r}"[:300]
        )
    return value


def parse_session(body: Mapping[str, Any]) -> UploadSession:
    return UploadSession(
        upload_id=_require(body, "upload_id", str),
        video_id=_require(body, "video_id", str),
        chunk_size=_require(body, "chunk_size", int),
        chunk_count=_require(body, "chunk_count", int),
        mode=str(body.get("mode", "")),
        expires_at=str(body["expires_at"]) if body.get("expires_at") is not None else None,
    )


def parse_parts(body: Mapping[str, Any]) -> list[PartTarget]:
    targets = []
    for item in _require(body, "parts", list):
        if not isinstance(item, dict):
            raise ApiError(0, "bad_response", f"a part URL entry is not an object: {item!r}"[:300])
        headers = item.get("headers") or {}
        targets.append(
            PartTarget(
                part_number=_require(item, "part_number", int),
                url=_require(item, "url", str),
                method=str(item.get("method") or "PUT").upper(),
                headers={str(k): str(v) for k, v in dict(headers).items()},
                expires_at=parse_timestamp(item.get("expires_at")),
            )
        )
    return targets


def parse_state(body: Mapping[str, Any]) -> UploadState:
    size = body.get("size")
    return UploadState(
        upload_id=_require(body, "upload_id", str),
        video_id=str(body.get("video_id", "")),
        status=str(_require(body, "status", str)).upper(),
        chunk_size=_require(body, "chunk_size", int),
        chunk_count=_require(body, "chunk_count", int),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        received_parts=tuple(part_numbers_from(body.get("received_parts", []))),
        missing_parts=tuple(part_numbers_from(body.get("missing_parts", []))),
    )


def parse_completion(body: Mapping[str, Any]) -> Completion:
    return Completion(
        video_id=_require(body, "video_id", str),
        upload_id=str(body.get("upload_id", "")),
        status=str(body.get("status", "")),
        upload_status=str(body.get("upload_status", "")),
    )


def parse_video(body: Mapping[str, Any]) -> Video:
    tags = body.get("tags") or []
    return Video(
        video_id=_require(body, "video_id", str),
        status=str(body.get("status", "")),
        title=body.get("title") if isinstance(body.get("title"), str) else None,
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        raw=dict(body),
    )


def error_from_response(status: int, raw: bytes) -> ApiError:
    """``ApiError`` from an error answer: ``{"code", "message", ...}`` or, failing that, the raw text."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        details = {k: v for k, v in body.items() if k not in ("code", "message")}
        return ApiError(status, body["code"], str(body.get("message", "")), details=details)
    text = raw[:300].decode("utf-8", "replace").strip()
    if isinstance(body, dict) and isinstance(body.get("Message") or body.get("message"), str):
        text = str(body.get("Message") or body.get("message"))  # API Gateway / Chalice style
    return ApiError(status, f"http_{status}", text or http.client.responses.get(status, "error"))


class ApiClient:
    """One persistent connection to the API, shared by threads (calls are serialized: they are rare)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        origin, base_path = split_url(self.base_url)
        self._origin = origin
        self._base_path = base_path.split("?", 1)[0].rstrip("/")
        self._token = token
        self._timeout = timeout
        self._policy = policy or RetryPolicy(max_attempts=5)
        self._cancel = cancel
        self._rng = rng
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None

    # -- the API -------------------------------------------------------------------------------------------

    def create_upload(
        self,
        *,
        filename: str,
        size: int,
        content_type: str,
        chunk_size: int | None = None,
        sha256: str | None = None,
        title: str | None = None,
        tags: Sequence[str] = (),
    ) -> UploadSession:
        body: dict[str, Any] = {"filename": filename, "size": size, "content_type": content_type}
        if chunk_size is not None:
            body["chunk_size"] = chunk_size
        if sha256 is not None:
            body["sha256"] = sha256
        if title is not None:
            body["title"] = title
        if tags:
            body["tags"] = list(tags)
        return parse_session(self._call("POST", "/uploads", body, expect=(200, 201)))

    def request_parts(
        self, upload_id: str, part_numbers: Sequence[int], checksums: Mapping[int, str] | None = None
    ) -> list[PartTarget]:
        """Presigned PUT targets, asked ``MAX_PARTS_PER_REQUEST`` at a time."""
        targets: list[PartTarget] = []
        numbers = list(part_numbers)
        for start in range(0, len(numbers), MAX_PARTS_PER_REQUEST):
            batch = numbers[start : start + MAX_PARTS_PER_REQUEST]
            body: dict[str, Any] = {"part_numbers": batch}
            if checksums:
                body["checksums"] = {str(p): checksums[p] for p in batch if p in checksums}
            path = f"/uploads/{quote(upload_id, safe='')}/parts"
            targets.extend(parse_parts(self._call("POST", path, body, expect=(200, 201))))
        return targets

    def get_upload(self, upload_id: str) -> UploadState:
        return parse_state(self._call("GET", f"/uploads/{quote(upload_id, safe='')}", None, expect=(200,)))

    def complete(self, upload_id: str) -> Completion:
        path = f"/uploads/{quote(upload_id, safe='')}/complete"
        return parse_completion(self._call("POST", path, {}, expect=(200, 202)))

    def abort(self, upload_id: str) -> str:
        body = self._call("DELETE", f"/uploads/{quote(upload_id, safe='')}", None, expect=(200, 202, 204))
        return str(body.get("status", "ABORTED"))

    def get_video(self, video_id: str) -> Video:
        return parse_video(self._call("GET", f"/videos/{quote(video_id, safe='')}", None, expect=(200,)))

    def video_url(self, video_id: str) -> str:
        return f"{self.base_url}/videos/{quote(video_id, safe='')}"

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- transport -----------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None, *, expect: tuple[int, ...]
    ) -> dict[str, Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        attempt = 0
        while True:
            attempt += 1
            try:
                status, raw, retry_after = self._send(method, self._base_path + path, payload, headers)
            except (OSError, http.client.HTTPException) as exc:
                error = ApiError(0, "connection_failed", f"cannot reach the API at {self.base_url}: {exc}")
                retry_after = None
            else:
                if status in expect:
                    return self._decode(status, raw)
                error = error_from_response(status, raw)
                if status not in RETRYABLE_API_STATUSES:
                    raise error
            if attempt >= self._policy.max_attempts:
                raise error
            wait = retry_after if retry_after is not None else self._policy.delay(attempt, self._rng)
            log.info("%s %s failed (%s); retrying in %.1fs", method, path, error, wait)
            if self._cancel is not None:
                if self._cancel.wait(wait):
                    raise error
            else:
                time.sleep(wait)

    def _send(
        self, method: str, target: str, payload: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, float | None]:
        with self._lock:
            if self._connection is None:
                self._connection = open_connection(self._origin, self._timeout)
            connection = self._connection
            try:
                connection.request(method, target, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except BaseException:
                connection.close()
                self._connection = None
                raise
            if response.will_close:
                connection.close()
                self._connection = None
            return response.status, raw, parse_retry_after(response.getheader("Retry-After"))

    @staticmethod
    def _decode(status: int, raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(status, "bad_response", f"the API answered with non-JSON: {raw[:200]!r}") from exc
        if not isinstance(body, dict):
            raise ApiError(status, "bad_response", f"the API answered with a non-object: {body!r}"[:300])
        return body
