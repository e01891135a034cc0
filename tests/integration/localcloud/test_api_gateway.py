"""The template's REST API on loopback: routes, proxy events, errors, CORS, the Cognito authorizer, limits."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def call(
    cloud: Any, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(
        f"{cloud.api_url}{path}", data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, reply_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, reply_headers, raw = error.code, dict(error.headers), error.read()
    return status, reply_headers, json.loads(raw) if raw else None


def test_a_route_with_a_path_parameter_and_a_query(fixture_cloud: Any) -> None:
    status, headers, body = call(fixture_cloud, "GET", "/items/a%20b?x=1&x=2")
    assert status == 200
    assert headers["X-Item"] == "yes"
    assert body == {"item_id": "a b", "query": {"x": "2"}, "stage": "test"}


def test_a_json_body_arrives_as_text(fixture_cloud: Any) -> None:
    status, _, body = call(
        fixture_cloud, "POST", "/items", json.dumps({"a": 1}).encode(), {"Content-Type": "application/json"}
    )
    assert (status, body) == (201, {"received": {"a": 1}, "base64": False})


def test_unknown_paths_and_methods(fixture_cloud: Any) -> None:
    status, _, body = call(fixture_cloud, "GET", "/nothing/here")
    assert (status, body["code"]) == (404, "not_found")
    status, headers, body = call(fixture_cloud, "DELETE", "/items/1")
    assert (status, body["code"], headers["Allow"]) == (405, "method_not_allowed", "GET")


def test_cors_preflight_is_answered_from_the_api_declaration(fixture_cloud: Any) -> None:
    status, headers, _ = call(
        fixture_cloud,
        "OPTIONS",
        "/items/1",
        headers={"Origin": "http://app", "Access-Control-Request-Method": "GET"},
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in headers["Access-Control-Allow-Methods"]


def test_the_cognito_authorizer_checks_tokens_from_the_local_issuer(fixture_cloud: Any) -> None:
    assert call(fixture_cloud, "GET", "/me")[0] == 401
    assert call(fixture_cloud, "GET", "/me", headers={"Authorization": "not-a-jwt"})[0] == 401
    expired = fixture_cloud.token("alice", ttl=-120)
    assert call(fixture_cloud, "GET", "/me", headers={"Authorization": expired})[0] == 401
    token = fixture_cloud.token("alice", roles=["reviewer"])
    status, _, body = call(fixture_cloud, "GET", "/me", headers={"Authorization": f"Bearer {token}"})
    assert (status, body) == (200, {"user": "alice", "groups": "reviewer"})


def test_payloads_over_ten_megabytes_are_refused(fixture_cloud: Any) -> None:
    status, _, body = call(
        fixture_cloud, "POST", "/items", b"x" * (10 * 1024 * 1024 + 1), {"Content-Type": "application/json"}
    )
    assert (status, body["code"]) == (413, "payload_too_large")
