"""The local issuer's sign-in pages: the authorization code flow with PKCE, as against Cognito."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.local_sign_in import LocalSignIn, challenge_of

CLIENT = "local-client"
APP = "http://127.0.0.1:8000/"
VERIFIER = "v" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def minted(user: str, roles: list[str], ttl: int) -> str:
    return json.dumps({"user": user, "roles": roles, "ttl": ttl})


def call(
    app: LocalSignIn, method: str, path: str, form: dict[str, str] | None = None, query: str = ""
) -> tuple[int, dict[str, str], bytes]:
    environ = EnvironBuilder(
        path=path, method=method, query_string=query, data=urlencode(form) if form is not None else None,
        content_type="application/x-www-form-urlencoded", headers={"Host": "127.0.0.1:8000"},
    ).get_environ()  # fmt: skip
    answer: dict[str, Any] = {}

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=int(line.split()[0]), headers=dict(headers))

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def authorize_params(**change: str) -> dict[str, str]:
    params = {
        "response_type": "code", "client_id": CLIENT, "redirect_uri": APP, "state": "s1",
        "code_challenge": challenge_of(VERIFIER), "code_challenge_method": "S256", "scope": "openid",
    }  # fmt: skip
    return params | change


def sign_in(app: LocalSignIn, **form: str) -> str:
    status, headers, _ = call(app, "POST", "/_auth/oauth2/authorize", authorize_params() | form)
    assert status == 302, headers
    location = urlsplit(headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def exchange(app: LocalSignIn, code: str, verifier: str = VERIFIER) -> tuple[int, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP,
        "client_id": CLIENT,
        "code_verifier": verifier,
    }
    status, _, body = call(app, "POST", "/_auth/oauth2/token", form)
    return status, json.loads(body)


def test_the_code_flow_gives_an_id_token_of_the_user_and_roles_signed_in() -> None:
    # GIVEN the sign-in pages
    app = LocalSignIn(CLIENT, minted)
    # WHEN the app asks for the form, the user signs in as a reviewer, and the app exchanges the code
    status, headers, page = call(app, "GET", "/_auth/oauth2/authorize", query=urlencode(authorize_params()))
    assert status == 200 and b'name="username"' in page and headers["Cache-Control"] == "no-store"
    # (the form names the app's icon, so the browser asks for no /favicon.ico)
    assert b'<link rel="icon" href="/favicon.svg"' in page
    code = sign_in(app, username="rita", reviewer="on")
    status, tokens = exchange(app, code)
    # THEN the token is the issuer's for rita with the reviewer group
    assert status == 200
    assert json.loads(tokens["id_token"]) == {"user": "rita", "roles": ["reviewer"], "ttl": 3600}
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 3600)


def test_a_code_is_single_use_bound_to_its_verifier_and_short_lived() -> None:
    clock = Clock()
    app = LocalSignIn(CLIENT, minted, clock=clock)
    # a wrong verifier is refused, and the code is spent
    code = sign_in(app, username="alice")
    assert exchange(app, code, verifier="w" * 64) == (
        400,
        {
            "error": "invalid_grant",
            "error_description": "the code_verifier does not match the code_challenge",
        },
    )
    assert exchange(app, code)[0] == 400
    # a code used twice works once
    code = sign_in(app, username="alice")
    assert exchange(app, code)[0] == 200
    assert exchange(app, code)[1]["error"] == "invalid_grant"
    # a code older than 5 minutes is refused
    code = sign_in(app, username="alice")
    clock.now += 301
    assert exchange(app, code)[1]["error"] == "invalid_grant"


def test_requests_outside_the_flow_are_refused() -> None:
    app = LocalSignIn(CLIENT, minted)
    cases = {
        "another client": authorize_params(client_id="other"),
        "an implicit grant": authorize_params(response_type="token"),
        "no PKCE": authorize_params(code_challenge_method="plain"),
        "a redirect to another site": authorize_params(redirect_uri="https://evil.example/"),
    }
    for case, params in cases.items():
        status, _, body = call(app, "GET", "/_auth/oauth2/authorize", query=urlencode(params))
        assert status == 400, case
        assert json.loads(body)["error"] in (
            "invalid_client",
            "unsupported_response_type",
            "invalid_request",
        ), case
    # a user name with markup in it never signs in
    status, _, _ = call(app, "POST", "/_auth/oauth2/authorize", authorize_params(username="<script>"))
    assert status == 400


def test_the_form_escapes_what_the_request_carried() -> None:
    app = LocalSignIn(CLIENT, minted)
    _, _, page = call(
        app, "GET", "/_auth/oauth2/authorize", query=urlencode(authorize_params(state='"><script>x</script>'))
    )
    assert b"<script>x" not in page
    assert b"&quot;&gt;&lt;script&gt;" in page


def test_sign_out_goes_back_to_the_app() -> None:
    app = LocalSignIn(CLIENT, minted)
    status, headers, _ = call(
        app, "GET", "/_auth/logout", query=urlencode({"client_id": CLIENT, "logout_uri": APP})
    )
    assert (status, headers["Location"]) == (302, APP)
