"""HTTP for the likes benchmark: a keep-alive JSON client per simulated app, and publishing a clip.

`KeepAlive` holds one persistent HTTP/1.1 connection (as an app does), so the benchmark measures the
API rather than TCP handshakes or urllib's per-request set-up. `publish` sends a clip through the real
upload API and waits until the ingest workflow has PUBLISHED it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

CHUNK = 8 * 1024 * 1024


class KeepAlive:
    """One persistent connection to the API for one user (reconnects once if the server closed it)."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Connection": "keep-alive"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON body or text)."""
        payload = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, self.prefix + path, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                status = response.status
                if response.will_close:
                    self.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a keep-alive connection the server dropped: one fresh try
                if attempt == 2:
                    raise
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")


def _put(url: str, data: bytes, headers: dict[str, str]) -> int:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80, timeout=60)
    try:
        target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        connection.request("PUT", target, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def start_upload(api: KeepAlive, data: bytes, title: str) -> str:
    """Open an upload of `data` (a clip under 8 MiB: one chunk), PUT it to its presigned URL, complete: the video id."""
    status, opened = api.call(
        "POST",
        "/uploads",
        {
            "filename": "clip.mp4",
            "size": len(data),
            "content_type": "video/mp4",
            "chunk_size": CHUNK,
            "title": title,
        },
    )
    if status != 201:
        raise SystemExit(f"POST /uploads answered {status}: {opened}")
    upload_id = opened["upload_id"]
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    status, signed = api.call(
        "POST", f"/uploads/{upload_id}/parts", {"part_numbers": [1], "checksums": {"1": checksum}}
    )
    if status != 200:
        raise SystemExit(f"presign answered {status}: {signed}")
    for part in signed["parts"]:
        if (put_status := _put(part["url"], data, part["headers"])) != 200:
            raise SystemExit(f"chunk PUT answered {put_status}")
    status, done = api.call("POST", f"/uploads/{upload_id}/complete")
    if status != 202:
        raise SystemExit(f"complete answered {status}: {done}")
    return str(opened["video_id"])


def wait_published(api: KeepAlive, video_ids: list[str], timeout: float = 300) -> None:
    """Until every video is PUBLISHED (exits on REJECTED, FAILED or the timeout)."""
    deadline = time.monotonic() + timeout
    pending = set(video_ids)
    while pending:
        for video_id in sorted(pending):
            _, video = api.call("GET", f"/videos/{video_id}")
            state = video.get("status") if isinstance(video, dict) else None
            if state == "PUBLISHED":
                pending.discard(video_id)
            elif state in ("REJECTED", "FAILED"):
                raise SystemExit(f"video {video_id} ended {state}: {video}")
        if pending and time.monotonic() > deadline:
            raise SystemExit(f"videos {sorted(pending)} not PUBLISHED within {timeout} s")
        time.sleep(0.25)


def mint_tokens(state_dir: Path, users: list[str]) -> list[str]:
    """The local issuer's tokens for `users`, exactly as `CloudHandle.token` makes them (the issuer's
    state is read once; the signing key is parsed once by `reelstack_tools.tokens`)."""
    from reelstack_tools import tokens

    issuer = tokens.IssuerState.from_state_dir(state_dir)
    return [tokens.issue_token(issuer, user) for user in users]
