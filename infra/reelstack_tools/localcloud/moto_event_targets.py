"""A patch to moto's EventBridge: honour a target's `InputPath` (moto sends SQS targets the whole
event, or its InputTransformer's output, and ignores InputPath).

In AWS, `InputPath: $.detail.interaction` makes the target receive only that part of the event: the
social rule puts each follow's, comment's and share's `detail.interaction` on the interaction log's
queue as a log message. The patch sends such targets the selected part (a dotted JSONPath, as AWS
accepts for InputPath) and leaves every other target to moto as it was.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

_installed = False


def select(event: Any, path: str) -> Any:
    """`$.a.b` of the event (None where a step is missing), as EventBridge's InputPath selects it."""
    value = event
    for part in path.lstrip("$").strip(".").split("."):
        if part:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    original = Rule.send_to_targets

    @functools.wraps(original)
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        narrowed = [t for t in self.targets if t.get("InputPath") and not t.get("InputTransformer")]
        if not narrowed:
            return original(self, original_event, transform_input)
        if self.event_pattern.matches_event(original_event):
            for target in narrowed:
                arn = parse_arn(target["Arn"])
                if arn.service == "sqs":
                    group_id = target.get("SqsParameters", {}).get("MessageGroupId")
                    self._send_to_sqs_queue(
                        arn.resource_id, select(original_event, target["InputPath"]), group_id
                    )
        rest = copy.copy(self)  # the other targets, as moto sends them (this rule object is shared)
        rest.targets = [t for t in self.targets if t not in narrowed]
        return original(rest, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _installed = True
