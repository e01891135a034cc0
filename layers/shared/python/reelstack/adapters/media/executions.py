"""The ingest state machine's executions that ended unsuccessfully (Step Functions ListExecutions, one
status at a time, newest first, read back to a point in time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed

UNSUCCESSFUL = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class EndedExecution:
    name: str  # the video id (ingest executions are named after their video)
    status: str
    stopped_at: datetime


class EndedExecutions:
    def __init__(self, state_machine_arn: str, sfn: Any = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = sfn

    @property
    def sfn(self) -> Any:
        if self._sfn is None:
            self._sfn = client("stepfunctions")
        return self._sfn

    def since(self, when: datetime, limit: int) -> list[EndedExecution]:
        """Executions that ended FAILED, TIMED_OUT or ABORTED after `when` (at most `limit` of each)."""
        ended: list[EndedExecution] = []
        try:
            for status in UNSUCCESSFUL:
                ended += self._of_status(status, when, limit)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyFailed(f"listing executions failed: {error_code(exc) or exc}") from exc
        return ended

    def _of_status(self, status: str, when: datetime, limit: int) -> list[EndedExecution]:
        found: list[EndedExecution] = []
        token: str | None = None
        while len(found) < limit:
            request: dict[str, Any] = {
                "stateMachineArn": self.state_machine_arn,
                "statusFilter": status,
                "maxResults": min(100, limit),
            }
            if token:
                request["nextToken"] = token
            page = self.sfn.list_executions(**request)
            for item in page.get("executions", []):
                stopped = item.get("stopDate")
                if stopped is None:
                    continue
                if stopped < when:
                    return found
                found.append(EndedExecution(str(item["name"]), status, stopped))
            token = page.get("nextToken")
            if not token:
                break
        return found[:limit]
