"""CloudFormation custom resources, run the way CloudFormation runs them: the function named by the
ServiceToken is invoked with a `Create` request carrying the resolved properties. Locally there is no
ResponseURL: the handler returns the answer it would PUT there, and a FAILED answer (or a function
error) stops the start, as a failed custom resource fails a deploy."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.pool import InvokeResult
from reelstack_tools.localcloud.stack import Stack

log = logging.getLogger(LOG)

CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


def is_custom_resource(resource_type: str) -> bool:
    return resource_type == CUSTOM_RESOURCE or resource_type.startswith("Custom::")


class CustomResourceFailed(RuntimeError):
    pass


def create_request(stack: Stack, logical_id: str, stack_id: str) -> dict[str, Any]:
    resource = stack.resource(logical_id)
    properties = stack.properties(logical_id)
    return {
        "RequestType": "Create",
        "ServiceToken": str(properties.get("ServiceToken", "")),
        "ResponseURL": "",
        "StackId": stack_id,
        "RequestId": str(uuid.uuid4()),
        "ResourceType": resource.type,
        "LogicalResourceId": logical_id,
        "ResourceProperties": properties,
    }


def run_custom_resources(
    stack: Stack, invoke: Callable[[str, str], InvokeResult], stack_id: str = "local"
) -> dict[str, dict[str, Any]]:
    """Create every active custom resource in template order; returns each one's answer."""
    answers: dict[str, dict[str, Any]] = {}
    custom = [rid for rid, res in stack.template.resources.items() if is_custom_resource(res.type)]
    for logical_id in stack.template.order([rid for rid in custom if stack.active(rid)]):
        request = create_request(stack, logical_id, stack_id)
        if not request["ServiceToken"]:
            raise CustomResourceFailed(f"{logical_id} has no ServiceToken")
        result = invoke(request["ServiceToken"], json.dumps(request))
        answer = result.json()
        if result.error_type or not isinstance(answer, dict) or answer.get("Status") != "SUCCESS":
            raise CustomResourceFailed(f"custom resource {logical_id} failed: {answer}")
        log.info("custom resource %s created: %s", logical_id, answer.get("Data"))
        answers[logical_id] = answer
    return answers
