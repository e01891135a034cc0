"""API Gateway REST (v1) Lambda proxy integration: the event a request becomes, and the HTTP response a
proxy result becomes. Pure functions over plain data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reelstack_tools.localcloud.api_routes import ApiSettings, RouteMatch
from reelstack_tools.localcloud.local_env import ACCOUNT_ID

_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)
_TEXT_SUFFIXES = ("+json", "+xml")


class MalformedProxyResponse(ValueError):
    """The function's answer is not a valid proxy integration response (API Gateway answers 502)."""


@dataclass
class HttpRequest:
    method: str
    path: str  # decoded path, as the client asked for it
    headers: Sequence[tuple[str, str]] = ()
    query: Sequence[tuple[str, str]] = ()  # decoded pairs, in order
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    host: str = "127.0.0.1"
    port: int = 80
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.time)


def is_binary(content_type: str | None, body: bytes, binary_media_types: Sequence[str]) -> bool:
    if not body:
        return False
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    for pattern in binary_media_types:
        major, _, minor = pattern.lower().partition("/")
        if pattern == "*/*" or (
            media_type.split("/")[0] == major and minor in ("*", media_type.partition("/")[2])
        ):
            return True
    if media_type and not (media_type.startswith(_TEXT_TYPES) or media_type.endswith(_TEXT_SUFFIXES)):
        return True
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _single_and_multi(
    pairs: Sequence[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def proxy_event(
    request: HttpRequest,
    match: RouteMatch,
    api: ApiSettings,
    claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    headers = [
        *request.headers,
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", "http"),
    ]
    single_headers, multi_headers = _single_and_multi(headers)
    single_query, multi_query = _single_and_multi(request.query)
    content_type = next((value for name, value in request.headers if name.lower() == "content-type"), None)
    binary = is_binary(content_type, request.body, api.binary_media_types)
    if not request.body:
        body = None
    elif binary:
        body = base64.b64encode(request.body).decode()
    else:
        body = request.body.decode("utf-8")
    user_agent = next((value for name, value in request.headers if name.lower() == "user-agent"), None)
    received = datetime.fromtimestamp(request.received_at, UTC)
    context: dict[str, Any] = {
        "resourceId": hashlib.sha256(match.route.path.encode()).hexdigest()[:6],
        "resourcePath": match.route.path,
        "httpMethod": request.method.upper(),
        "extendedRequestId": request.request_id,
        "requestTime": received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{api.stage}{request.path}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": api.stage,
        "domainPrefix": api.api_id,
        "requestTimeEpoch": int(request.received_at * 1000),
        "requestId": request.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": user_agent,
            "user": None,
        },
        "domainName": request.host,
        "apiId": api.api_id,
    }
    if claims is not None:
        context["authorizer"] = {"claims": {key: _claim_text(value) for key, value in claims.items()}}
    return {
        "resource": match.route.path,
        "path": request.path,
        "httpMethod": request.method.upper(),
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": single_query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": api.stage_variables or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": binary,
    }


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def http_response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body from a proxy integration result."""
    if not isinstance(result, dict):
        raise MalformedProxyResponse("the function did not return an object")
    try:
        status = int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        raise MalformedProxyResponse("statusCode is not a number") from None
    multi = {} if result.get("multiValueHeaders") is None else result["multiValueHeaders"]
    single = {} if result.get("headers") is None else result["headers"]
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedProxyResponse("headers must be objects")
    headers: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse("multiValueHeaders values must be lists")
        headers.extend((str(name), str(value)) for value in values)
    lowered = {name.lower() for name in multi}
    headers.extend((str(name), str(value)) for name, value in single.items() if name.lower() not in lowered)
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedProxyResponse("body is not valid base64") from None
    else:
        payload = body.encode("utf-8")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return status, headers, payload
