"""Small WSGI helpers shared by the dispatcher's handlers and the API Gateway server."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, Protocol

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class MountedApp(Protocol):
    """A WSGI app that says which requests are its own."""

    def matches(self, environ: Environ) -> bool: ...

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]: ...


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def respond(
    start_response: StartResponse, status: int, body: bytes = b"", headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    header_list = [(name, value) for name, value in headers]
    if not any(name.lower() == "content-length" for name, _ in header_list):
        header_list.append(("Content-Length", str(len(body))))
    start_response(status_line(status), header_list)
    return [body]


def json_response(
    start_response: StartResponse, status: int, document: Any, headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    body = json.dumps(document).encode()
    return respond(start_response, status, body, [("Content-Type", "application/json"), *headers])


def path_match(environ: Environ, method: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The match of `pattern` on the request path, if the request uses `method`."""
    if environ.get("REQUEST_METHOD") != method:
        return None
    return pattern.match(str(environ.get("PATH_INFO", "")))


def content_length(environ: Environ) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def read_body(environ: Environ) -> bytes:
    """Read the whole request body and put an equivalent stream back for whoever reads next."""
    length = content_length(environ)
    stream = environ["wsgi.input"]
    if length:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def request_path(environ: Environ) -> str:
    """The request path exactly as the client sent it (still percent-encoded), without the query."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/"))
    if "://" in raw:  # absolute-form request target
        raw = "/" + raw.split("://", 1)[1].split("/", 1)[-1]
    return raw.split("?", 1)[0] or "/"


def request_headers(environ: Environ) -> list[tuple[str, str]]:
    """The request's headers as (name, value) pairs, names in Title-Case (WSGI keeps no original case)."""
    headers = [
        ("-".join(part.capitalize() for part in key[5:].split("_")), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, str(environ[key])))
    return headers


def header(environ: Environ, name: str) -> str | None:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return environ.get(key) or None
    value = environ.get(f"HTTP_{key}")
    return None if value is None else str(value)


class PostRoute:
    """A WSGI app answering `POST` on the paths `PATH` matches (the dispatcher asks `matches` first)."""

    PATH: re.Pattern[str]

    @classmethod
    def matches(cls, environ: Environ) -> bool:
        return path_match(environ, "POST", cls.PATH) is not None

    def route_match(self, environ: Environ) -> re.Match[str]:
        match = path_match(environ, "POST", self.PATH)
        assert match is not None, "called only after matches()"
        return match


class JsonTargetEdge:
    """A WSGI app in front of moto for one JSON-protocol operation (the `X-Amz-Target` header `TARGET`).

    A request whose body is not a JSON object goes to moto unchanged (moto answers it as AWS does); any
    other is given, parsed, to `handle`, which may pass it on to `self.moto` (the body can be read again).
    """

    TARGET: str

    def __init__(self, moto: WsgiApp) -> None:
        self.moto = moto

    @classmethod
    def matches(cls, environ: Environ) -> bool:
        return environ.get("HTTP_X_AMZ_TARGET") == cls.TARGET

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            request = json.loads(read_body(environ) or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return self.moto(environ, start_response)
        return self.handle(request, environ, start_response)

    def handle(
        self, request: dict[str, Any], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        raise NotImplementedError
