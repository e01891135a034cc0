"""Turning a Step Functions error (name + cause) into the failure recorded on a video.

The owner reads the failure (`GET /videos/{id}`), so it carries only what is ours to say: a domain
error's own code and message (its stages raise those for bad media, missing originals, ...), or, for
anything else (an SDK error, a host and port, a Python exception, a dependency's own message), a
stable code and a plain sentence. The raw error and cause stay in the execution's history and in
the stage's log line, where operators look.
"""

from __future__ import annotations

import json

from reelstack.domain.videos import Failure
from reelstack.errors import split_coded_message

_CODES = {
    "States.Timeout": "timeout",
    "States.HeartbeatTimeout": "timeout",
    "States.TaskFailed": "task_failed",
    "States.Permissions": "permissions",
    "Sandbox.Timedout": "timeout",
    "Lambda.ServiceException": "lambda_unavailable",
    "Lambda.AWSLambdaException": "lambda_unavailable",
    "Lambda.SdkClientException": "lambda_unavailable",
    "Lambda.TooManyRequestsException": "throttled",
}

# Domain codes whose messages describe a dependency's failure (their text may quote it): said plainly.
_SERVER_SIDE_CODES = frozenset({"dependency_failed", "internal_error"})

_PLAIN_MESSAGES = {
    "timeout": "the {stage} stage did not finish within its time limit",
    "throttled": "the {stage} stage could not run: the service was busy",
    "lambda_unavailable": "the {stage} stage could not run: the service was unavailable",
    "dependency_failed": "the {stage} stage could not reach a service it needs",
    "workflow_aborted": "the processing was stopped before it finished",
    "workflow_failed": "the processing ended without recording why",
}
# How an ingest execution that ended without recording the video's final status ended (the ingest
# sweeper records it): Step Functions' execution status -> our code.
_ENDED_WITHOUT_STATUS = {"TIMED_OUT": "timeout", "ABORTED": "workflow_aborted", "FAILED": "workflow_failed"}
_UNEXPECTED = "the {stage} stage failed unexpectedly"
_KEPT = "; the original is kept and the stage can be retried"


def plain_message(stage: str, code: str) -> str:
    """The sentence an owner reads for a failure whose own text is not ours to show."""
    return (_PLAIN_MESSAGES.get(code, _UNEXPECTED) + _KEPT).format(stage=stage)


def failure_from_error(stage: str, error: str, cause: str) -> Failure:
    """Lambda causes are JSON `{errorMessage, errorType, ...}`; domain errors carry a `[code] ` prefix."""
    message = cause
    try:
        parsed = json.loads(cause) if cause else {}
    except json.JSONDecodeError:
        parsed = {}
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        message = str(parsed["errorMessage"])
    domain_code, text = split_coded_message(message)
    if domain_code and domain_code not in _SERVER_SIDE_CODES:
        return Failure(stage=stage, code=domain_code, message=text[:1000] or domain_code)
    code = domain_code or _CODES.get(error, "internal_error")
    return Failure(stage=stage, code=code, message=plain_message(stage, code))


def unfinished_workflow_failure(execution_status: str) -> Failure:
    """The failure of a video whose ingest execution ended (`execution_status`) without a final status:
    stopped by an operator, timed out, or failed in RecordFailure itself."""
    code = _ENDED_WITHOUT_STATUS.get(execution_status, "workflow_failed")
    return Failure(stage="workflow", code=code, message=plain_message("workflow", code))
