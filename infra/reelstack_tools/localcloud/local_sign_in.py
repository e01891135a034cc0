"""The local issuer's sign-in pages, in place of Cognito's hosted UI: the OAuth 2.0 authorization code
flow with PKCE (S256), as a web app runs it against Cognito, so the app has one sign-in path.

- `GET  /_auth/oauth2/authorize?response_type=code&client_id&redirect_uri&state&code_challenge&
  code_challenge_method=S256` answers a form (a user name; boxes for the `reviewer` and `operator` groups);
- `POST /_auth/oauth2/authorize` (the form) redirects to `redirect_uri?code=...&state=...`;
- `POST /_auth/oauth2/token` (`grant_type=authorization_code&code&redirect_uri&client_id&code_verifier`)
  answers `{id_token, token_type, expires_in}`: an ID token of the local issuer, as `reelstack token`;
- `GET  /_auth/logout?client_id&logout_uri` redirects to `logout_uri` (no session is kept here).

Codes are single-use, live 5 minutes, and are bound to the client, the redirect URI and the challenge.
The redirect URI must be on the app's own origin (the API's port). There are no passwords: anyone on
this machine can already mint tokens with `reelstack token`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from reelstack_tools.localcloud.wsgi import (
    Environ,
    StartResponse,
    json_response,
    read_body,
    request_path,
    respond,
)

PREFIX = "/_auth/"
AUTHORIZE_PATH = "/_auth/oauth2/authorize"
TOKEN_PATH = "/_auth/oauth2/token"
LOGOUT_PATH = "/_auth/logout"
CODE_TTL_S = 300
TOKEN_TTL_S = 3600
ROLES = ("reviewer", "operator")
_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]

TokenMinter = Callable[[str, list[str], int], str]


class SignInRefused(ValueError):
    """A request the flow refuses: `error` is its OAuth error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    user: str
    roles: list[str]
    expires_at: float


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def challenge_of(verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class LocalSignIn:
    """The WSGI app for `/_auth/...`; `mint(user, roles, ttl)` makes the ID token."""

    def __init__(self, client_id: str, mint: TokenMinter, clock: Callable[[], float] = time.time) -> None:
        self._client_id = client_id
        self._mint = mint
        self._clock = clock
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    @staticmethod
    def matches(environ: Environ) -> bool:
        return request_path(environ).startswith(PREFIX)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), request_path(environ)
        query = dict(parse_qsl(str(environ.get("QUERY_STRING", ""))))
        try:
            if path == AUTHORIZE_PATH and method == "GET":
                self._check_request(query, environ)
                return self._form(start_response, query)
            if path == AUTHORIZE_PATH and method == "POST":
                form = dict(parse_qsl(read_body(environ).decode("utf-8", "replace")))
                self._check_request(form, environ)
                return self._redirect(start_response, self._authorize(form))
            if path == TOKEN_PATH and method == "POST":
                form = dict(parse_qsl(read_body(environ).decode("utf-8", "replace")))
                body = {"id_token": self._exchange(form), "token_type": "Bearer", "expires_in": TOKEN_TTL_S}
                return json_response(start_response, 200, body, _NO_STORE)
            if path == LOGOUT_PATH and method == "GET":
                if query.get("client_id") != self._client_id:
                    raise SignInRefused("invalid_client", "unknown client_id")
                return self._redirect(start_response, self._same_origin(query.get("logout_uri", ""), environ))
        except SignInRefused as refused:
            body = {"error": refused.error, "error_description": str(refused)}
            return json_response(start_response, 400, body, _NO_STORE)
        return json_response(start_response, 404, {"error": "not_found", "error_description": path})

    # -- the flow ----------------------------------------------------------------------------------------

    def _same_origin(self, uri: str, environ: Environ) -> str:
        host = str(environ.get("HTTP_HOST", ""))
        if urlsplit(uri).scheme not in ("http", "https") or _origin(uri) != f"http://{host}".lower():
            raise SignInRefused("invalid_request", "the redirect must go back to this app's origin")
        return uri

    def _check_request(self, params: dict[str, str], environ: Environ) -> None:
        if params.get("client_id") != self._client_id:
            raise SignInRefused("invalid_client", "unknown client_id")
        if params.get("response_type") != "code":
            raise SignInRefused("unsupported_response_type", "only response_type=code is supported")
        if params.get("code_challenge_method") != "S256" or not _CHALLENGE.match(
            params.get("code_challenge", "")
        ):
            raise SignInRefused("invalid_request", "a PKCE code_challenge (S256) is required")
        self._same_origin(params.get("redirect_uri", ""), environ)

    def _authorize(self, form: dict[str, str]) -> str:
        user = form.get("username", "").strip()
        if not _USER.match(user):
            raise SignInRefused("invalid_request", "a user name is 1-64 letters, digits, '.', '_' or '-'")
        roles = [role for role in ROLES if form.get(role) == "on"]
        code = secrets.token_urlsafe(32)
        grant = _Grant(
            form["client_id"],
            form["redirect_uri"],
            form["code_challenge"],
            user,
            roles,
            self._clock() + CODE_TTL_S,
        )
        with self._lock:
            now = self._clock()
            self._grants = {key: old for key, old in self._grants.items() if old.expires_at > now}
            self._grants[code] = grant
        separator = "&" if urlsplit(grant.redirect_uri).query else "?"
        return f"{grant.redirect_uri}{separator}{urlencode({'code': code, 'state': form.get('state', '')})}"

    def _exchange(self, form: dict[str, str]) -> str:
        if form.get("grant_type") != "authorization_code":
            raise SignInRefused("unsupported_grant_type", "only authorization_code is supported")
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.expires_at <= self._clock():
            raise SignInRefused("invalid_grant", "the code is unknown, used or expired")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != grant.redirect_uri:
            raise SignInRefused("invalid_grant", "the code was issued to another client or redirect URI")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.match(verifier) or not secrets.compare_digest(
            challenge_of(verifier), grant.challenge
        ):
            raise SignInRefused("invalid_grant", "the code_verifier does not match the code_challenge")
        return self._mint(grant.user, grant.roles, TOKEN_TTL_S)

    # -- answers -----------------------------------------------------------------------------------------

    @staticmethod
    def _redirect(start_response: StartResponse, location: str) -> list[bytes]:
        return respond(start_response, 302, b"", [("Location", location), *_NO_STORE])

    @staticmethod
    def _form(start_response: StartResponse, query: dict[str, str]) -> list[bytes]:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in query.items()
            if name
            in (
                "response_type",
                "client_id",
                "redirect_uri",
                "state",
                "code_challenge",
                "code_challenge_method",
                "scope",
            )
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in - reelstack (local)</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>body{{font:16px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;min-height:100vh;margin:0}}
form{{display:grid;gap:12px;background:#1c1c1c;padding:24px;border-radius:12px;width:min(320px,90vw)}}
input[type=text]{{font:inherit;padding:10px;border-radius:8px;border:1px solid #555;background:#000;color:#eee}}
button{{font:inherit;padding:10px;border:0;border-radius:8px;background:#fe2c55;color:#fff;cursor:pointer}}
small{{color:#aaa}}</style></head>
<body><form method="post" action="{AUTHORIZE_PATH}">
<h1>Sign in</h1><small>The local cloud's issuer stands in for Cognito's hosted UI: any name signs in.</small>
{hidden}
<label for="username">User name</label>
<input id="username" name="username" type="text" required pattern="[A-Za-z0-9._\\-]{{1,64}}" autocomplete="username" autofocus>
<label><input type="checkbox" name="reviewer"> Reviewer (the <code>reviewer</code> group)</label>
<label><input type="checkbox" name="operator"> Operator (the <code>operator</code> group)</label>
<button type="submit">Sign in</button>
</form></body></html>"""
        headers = [("Content-Type", "text/html; charset=utf-8"), ("X-Frame-Options", "DENY"), *_NO_STORE]
        return respond(start_response, 200, page.encode(), headers)
