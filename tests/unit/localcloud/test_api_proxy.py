"""The API Gateway REST proxy event, and the HTTP response made from a proxy result."""

from __future__ import annotations

import base64

import pytest

from reelstack_tools.localcloud.api_proxy import (
    HttpRequest,
    MalformedProxyResponse,
    http_response,
    proxy_event,
)
from reelstack_tools.localcloud.api_routes import ApiSettings, Route, RouteMatch

API = ApiSettings(logical_id="Api", api_id="abc123", stage="dev", stage_variables={"v": "1"})
MATCH = RouteMatch(Route("/uploads/{upload_id}", "POST", "ApiFunction", "Api"), {"upload_id": "u1"})


def request(**changes: object) -> HttpRequest:
    values: dict[str, object] = {
        "method": "POST",
        "path": "/uploads/u1",
        "headers": [
            ("Content-Type", "application/json"),
            ("Accept", "a"),
            ("Accept", "b"),
            ("User-Agent", "t/1"),
        ],
        "query": [("tag", "x"), ("tag", "y"), ("q", "1 2")],
        "body": b'{"a": 1}',
        "source_ip": "127.0.0.1",
        "host": "127.0.0.1:8000",
        "port": 8000,
        "request_id": "req-1",
        "received_at": 1700000000.5,
    }
    values.update(changes)
    return HttpRequest(**values)  # type: ignore[arg-type]


def test_the_event_has_api_gateways_shape() -> None:
    event = proxy_event(request(), MATCH, API)
    assert (event["resource"], event["path"], event["httpMethod"]) == (
        "/uploads/{upload_id}",
        "/uploads/u1",
        "POST",
    )
    assert event["headers"]["Accept"] == "b"
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["headers"]["X-Forwarded-Port"] == "8000"
    assert event["queryStringParameters"] == {"tag": "y", "q": "1 2"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "q": ["1 2"]}
    assert event["pathParameters"] == {"upload_id": "u1"}
    assert event["stageVariables"] == {"v": "1"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"a": 1}', False)
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"], context["stage"], context["path"]) == (
        "/uploads/{upload_id}",
        "POST",
        "dev",
        "/dev/uploads/u1",
    )
    assert (context["requestId"], context["accountId"], context["apiId"]) == (
        "req-1",
        "123456789012",
        "abc123",
    )
    assert context["requestTimeEpoch"] == 1700000000500
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "t/1"
    assert "authorizer" not in context


def test_absent_parts_are_null_and_binary_bodies_are_base64() -> None:
    event = proxy_event(request(query=[], body=b""), MATCH, API)
    assert (event["queryStringParameters"], event["multiValueQueryStringParameters"], event["body"]) == (
        None,
        None,
        None,
    )
    binary = proxy_event(request(headers=[("Content-Type", "video/mp4")], body=b"\x00\xff"), MATCH, API)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x00\xff"


def test_authorizer_claims_are_strings() -> None:
    event = proxy_event(request(), MATCH, API, claims={"cognito:groups": ["reviewer", "ops"], "exp": 5})
    assert event["requestContext"]["authorizer"]["claims"] == {"cognito:groups": "reviewer,ops", "exp": "5"}


def test_proxy_results_become_responses() -> None:
    status, headers, body = http_response(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x00bin").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201
    assert ("Set-Cookie", "a=1") in headers and ("Set-Cookie", "b=2") in headers
    assert ("Set-Cookie", "ignored") not in headers
    assert ("X-One", "1") in headers and ("Content-Type", "application/json") in headers
    assert body == b"\x00bin"


@pytest.mark.parametrize(
    "bad", ["text", {"statusCode": "x"}, {"statusCode": 200, "body": {"a": 1}}, {"headers": []}]
)
def test_malformed_results_are_rejected(bad: object) -> None:
    with pytest.raises(MalformedProxyResponse):
        http_response(bad)
