"""Plain ``http.client`` connections: one persistent connection per origin, per thread."""

from __future__ import annotations

import http.client
import ssl
from typing import NamedTuple
from urllib.parse import urlsplit


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


def split_url(url: str) -> tuple[Origin, str]:
    """``(origin, request target)``; the query string is kept verbatim (presigned URLs are signed as sent)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Origin(parts.scheme, parts.hostname, port), target


def open_connection(origin: Origin, timeout: float) -> http.client.HTTPConnection:
    if origin.scheme == "https":
        return http.client.HTTPSConnection(
            origin.host, origin.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(origin.host, origin.port, timeout=timeout)


class ConnectionCache:
    """Keeps one open connection per origin. Not thread-safe: give each thread its own."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._connections: dict[Origin, http.client.HTTPConnection] = {}

    def get(self, origin: Origin) -> http.client.HTTPConnection:
        connection = self._connections.get(origin)
        if connection is None:
            connection = self._connections[origin] = open_connection(origin, self._timeout)
        return connection

    def drop(self, origin: Origin) -> None:
        connection = self._connections.pop(origin, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for origin in list(self._connections):
            self.drop(origin)
