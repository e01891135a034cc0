"""The reference web app (`web/`, built into `web/dist` by `make web`) on the API's port, where CloudFront
serves it in AWS: `GET /` and the built files, and `GET /config.json`, the few values the app reads at
start (the API's address and how to sign in), which a deployment writes next to the app.

Only the app's own paths are answered here (`/`, `/index.html`, `/config.json`, `/assets/...` and the
other files at the top of `dist`, and `/favicon.ico`, the build's SVG icon for pages that name none);
every other path is the API's. Headers as in AWS (`reelstack_tools.web_files`): hashed assets are cached
for a year, the page and its configuration revalidated (a new build shows at the next load).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud.local_sign_in import AUTHORIZE_PATH, LOGOUT_PATH, TOKEN_PATH
from reelstack_tools.localcloud.naming import USER_POOL_CLIENT_ID
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, request_path, respond, status_line
from reelstack_tools.web_files import DEFAULT_DIST, REVALIDATE, cache_control, content_type

CONFIG_PATH = "/config.json"
# Browsers ask for it on pages without an icon link (the local sign-in page names the app's; a JSON answer
# opened in a tab names none): the build's SVG icon answers it.
FAVICON_ICO = "/favicon.ico"
FAVICON = "favicon.svg"
_ASSET = re.compile(r"^/assets/[A-Za-z0-9._-]+$")
_TOP_FILE = re.compile(r"^/[A-Za-z0-9_-][A-Za-z0-9._-]*$")
_NOT_BUILT = (
    b"<!doctype html><title>reelstack</title><p>The web app is not built: run <code>make web</code> "
    b"(or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>).</p>"
)
_SECURITY = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")]


def local_config() -> dict[str, Any]:
    """The app's configuration on the local cloud: the API on the same origin, the local issuer's sign-in
    (in AWS: the API stage's URL and the Cognito hosted UI's endpoints, written at deploy)."""
    return {
        "stage": "local",
        "api_url": "",
        "auth": {
            "provider": "local",
            "authorize_url": AUTHORIZE_PATH,
            "token_url": TOKEN_PATH,
            "logout_url": LOGOUT_PATH,
            "client_id": USER_POOL_CLIENT_ID,
            "scope": "openid profile",
        },
    }


class WebSite:
    """A WSGI app for the app's files under `dist` and its `config.json` (from `config()`)."""

    def __init__(
        self, config: Callable[[], Mapping[str, Any]] = local_config, dist: Path = DEFAULT_DIST
    ) -> None:
        self._config = config
        self._dist = dist.resolve()

    def matches(self, environ: Environ) -> bool:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return False
        path = request_path(environ)
        if path in ("/", "/index.html", CONFIG_PATH) or _ASSET.match(path):
            return True
        # Other top-level files of the build (an icon, robots.txt): only those that exist.
        return bool(_TOP_FILE.match(path)) and (self._dist / self._name(path)).is_file()

    @staticmethod
    def _name(path: str) -> str:
        """The build's file answering `path`."""
        if path in ("/", "/index.html"):
            return "index.html"
        return FAVICON if path == FAVICON_ICO else path[1:]

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = request_path(environ)
        head = environ.get("REQUEST_METHOD") == "HEAD"
        if path == CONFIG_PATH:
            body = json.dumps(dict(self._config())).encode()
            headers = [("Content-Type", "application/json"), ("Cache-Control", REVALIDATE), *_SECURITY]
            return self._answer(start_response, 200, body, headers, head)
        name = self._name(path)
        file = (self._dist / name).resolve()
        if not file.is_relative_to(self._dist) or not file.is_file():
            if name == "index.html":
                headers = [("Content-Type", content_type(name)), ("Cache-Control", REVALIDATE)]
                return self._answer(start_response, 503, _NOT_BUILT, headers, head)
            return self._answer(start_response, 404, b"Not Found", [("Content-Type", "text/plain")], head)
        headers = [("Content-Type", content_type(name)), ("Cache-Control", cache_control(name)), *_SECURITY]
        return self._answer(start_response, 200, file.read_bytes(), headers, head)

    @staticmethod
    def _answer(
        start_response: StartResponse, status: int, body: bytes, headers: list[tuple[str, str]], head: bool
    ) -> list[bytes]:
        if head:
            start_response(status_line(status), [*headers, ("Content-Length", str(len(body)))])
            return [b""]
        return respond(start_response, status, body, headers)
