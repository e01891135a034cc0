"""Turning a Step Functions error (name + cause) into the failure recorded on a video."""

from __future__ import annotations

import json

from reelstack.domain.videos import Failure
from reelstack.errors import split_coded_message

_CODES = {
    "States.Timeout": "timeout",
    "States.TaskFailed": "task_failed",
    "States.Permissions": "permissions",
    "Sandbox.Timedout": "timeout",
    "Lambda.ServiceException": "lambda_unavailable",
    "Lambda.TooManyRequestsException": "throttled",
}


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out).replace(".", "_")


def failure_from_error(stage: str, error: str, cause: str) -> Failure:
    """Lambda causes are JSON `{errorMessage, errorType, ...}`; domain errors carry a `code:` prefix."""
    message = cause
    code = _CODES.get(error, _snake(error.rsplit(".", 1)[-1]) if error else "unknown")
    try:
        parsed = json.loads(cause) if cause else {}
    except json.JSONDecodeError:
        parsed = {}
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        message = str(parsed["errorMessage"])
    domain_code, message = split_coded_message(message)
    code = domain_code or code
    return Failure(stage=stage, code=code, message=message[:1000] or error)
