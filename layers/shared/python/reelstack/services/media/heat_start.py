"""Starting the high-heat workflow for a nightly REENCODE decision (the tiering's `start_reencode`).

Input: the heat document `{video_id, codec}` (`domain.media.heat.HeatDocument`: every H.264 rung is
twinned). Execution name: `{video_id}-{codec}-{night}` (night = the UTC date, `YYYYMMDD`), as the
heat state machine documents. A page of the nightly run retried that night (or a second run the
same night) starts nothing new: Step Functions answers the same name with the running execution,
or `ExecutionAlreadyExists` once it has ended (reported as `started=False`, not an error). A heat
run that failed is tried again the next night, if the ROI still says REENCODE then; one that
succeeded leaves efficient renditions behind, so the ROI keeps them and nothing is started again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from reelstack.adapters.media.workflow import StartResult
from reelstack.clock import utc_now
from reelstack.domain.media.heat import HeatDocument
from reelstack.domain.storage.storage_costs import Codec
from reelstack.observability import logger

MAX_EXECUTION_NAME = 80  # Step Functions: 1-80 characters of [A-Za-z0-9-_]
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


class Workflow(Protocol):
    def start(self, name: str, document: dict[str, Any]) -> StartResult: ...


def heat_execution_name(video_id: str, codec: str, night: datetime) -> str:
    """`{video_id}-{codec}-{YYYYMMDD}`, other characters as `-`, the id cut to keep 80 at most."""
    suffix = f"-{_NOT_ALLOWED.sub('-', codec)}-{night:%Y%m%d}"
    return _NOT_ALLOWED.sub("-", video_id)[: MAX_EXECUTION_NAME - len(suffix)] + suffix


class HeatStarter:
    """`start_reencode(video_id, codec)`: one heat execution per video, codec and night."""

    def __init__(self, workflow: Workflow, clock: Callable[[], datetime] = utc_now) -> None:
        self.workflow = workflow
        self.clock = clock

    def __call__(self, video_id: str, codec: Codec) -> StartResult:
        document = HeatDocument(video_id=video_id, codec=codec.value)
        name = heat_execution_name(video_id, codec.value, self.clock())
        result = self.workflow.start(name, document.model_dump(include={"video_id", "codec"}))
        logger.info(
            "heat execution started" if result.started else "heat execution already exists",
            extra={"video_id": video_id, "execution_name": name},
        )
        return result
