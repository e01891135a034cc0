"""Answer a CloudFormation custom resource request: a PUT of the result to the request's ResponseURL
(a presigned S3 URL). CloudFormation waits up to an hour for it, so every path of a handler answers."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def response_body(
    event: dict[str, Any], status: str, physical_id: str, reason: str = "", data: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "Status": status,
        "Reason": (reason or status)[:1000],
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": data or {},
    }


def send(url: str, body: dict[str, Any], timeout_s: float = 10.0) -> None:
    """PUT the answer (no Content-Type: the presigned URL was signed without one)."""
    payload = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url, data=payload, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(payload))}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()
