"""The API Gateway app called as a WSGI app in-process, with stand-ins for the runtime and the issuer."""

from __future__ import annotations

import json
import logging
from typing import Any

import jwt
import pytest
from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.api_routes import ApiSettings, Route, RouteTable
from reelstack_tools.localcloud.api_server import ApiGateway
from reelstack_tools.localcloud.pool import InvokeResult, Throttled
from tests.unit.localcloud.stub_runtime import StubRuntime

API = ApiSettings(
    logical_id="Api",
    api_id="abc123",
    default_authorizer="Users",
    cognito_authorizers={"Users": "Authorization"},
)
ROUTES = RouteTable(
    [Route("/me", "GET", "MeFunction", "Api"), Route("/open", "GET", "MeFunction", "Api", "NONE")]
)


class Verifier:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def verify(self, token: str) -> dict[str, Any]:
        raise self.error


def call(gateway: ApiGateway, path: str) -> tuple[str, Any]:
    environ = EnvironBuilder(path=path, headers={"Authorization": "Bearer t"}).get_environ()
    status: list[str] = []
    body = b"".join(gateway(environ, lambda line, headers, exc_info=None: status.append(line)))
    return status[0], json.loads(body)


def test_a_throttled_function_is_api_gateways_internal_server_error(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a route whose function cannot run (no concurrency left)
    gateway = ApiGateway(ROUTES, {"Api": API}, StubRuntime(Throttled("MeFunction")), None)  # type: ignore[arg-type]
    # WHEN it is called
    with caplog.at_level(logging.INFO):
        status, body = call(gateway, "/open")
    # THEN the client gets API Gateway's JSON 500, and the cloud's log says why
    assert (status, body) == ("500 Internal Server Error", {"message": "Internal server error"})
    assert "API GET /open could not be served" in caplog.text
    assert "Throttled" in caplog.text


def test_only_an_invalid_token_is_unauthorized() -> None:
    # GIVEN a Cognito-protected route
    ok = StubRuntime(InvokeResult(b'{"statusCode": 200, "body": "{}"}', "r"))
    # WHEN the token is invalid THEN 401
    rejecting = ApiGateway(ROUTES, {"Api": API}, ok, Verifier(jwt.InvalidTokenError("bad")))  # type: ignore[arg-type]
    assert call(rejecting, "/me")[0].startswith("401")
    # WHEN the verifier itself breaks THEN it is a server error, not a silent 401
    broken = ApiGateway(ROUTES, {"Api": API}, ok, Verifier(KeyError("kid")))  # type: ignore[arg-type]
    assert call(broken, "/me")[0].startswith("500")
