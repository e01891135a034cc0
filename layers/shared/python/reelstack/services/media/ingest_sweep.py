"""The ingest sweeper (every 5 minutes): what the ingest workflow could not finish itself.

- The outbox: events recorded with their video's change (VideoPublished) and not yet delivered
  (Publish's delivery failed, or its function died) are delivered once they are a minute old.
- Executions that ended without a final video status: an ingest execution stopped by an operator
  (ABORTED), timed out, or failed inside RecordFailure itself leaves its video PROCESSING or IN_REVIEW
  for ever. Each such execution of the last day whose video is still in flight makes the video FAILED
  with a failure that says how the workflow ended (`failures.unfinished_workflow_failure`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from reelstack.adapters.media.executions import EndedExecution
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso
from reelstack.domain.media.failures import unfinished_workflow_failure
from reelstack.domain.videos import VideoStatus
from reelstack.observability import logger
from reelstack.services.media.outbox import OutboxRelay

IN_FLIGHT = (VideoStatus.UPLOADING, VideoStatus.PROCESSING, VideoStatus.IN_REVIEW)


class Executions(Protocol):
    def since(self, when: datetime, limit: int) -> Sequence[EndedExecution]: ...


class IngestSweeper:
    def __init__(
        self,
        relay: OutboxRelay,
        executions: Executions,
        repos: Repositories,
        *,
        outbox_grace_s: float = 60.0,
        lookback_s: float = 86_400.0,
        limit: int = 200,
    ) -> None:
        self.relay = relay
        self.executions = executions
        self.repos = repos
        self.outbox_grace_s = outbox_grace_s
        self.lookback_s = lookback_s
        self.limit = limit

    def sweep(self, now: datetime) -> dict[str, int]:
        outbox = self.relay.sweep(iso(now - timedelta(seconds=self.outbox_grace_s)), self.limit)
        recorded = self.record_unfinished(now)
        return {
            "events_pending": outbox["pending"],
            "events_delivered": outbox["delivered"],
            "failures_recorded": recorded,
        }

    def record_unfinished(self, now: datetime) -> int:
        ended = self.executions.since(now - timedelta(seconds=self.lookback_s), self.limit)
        if not ended:
            return 0
        videos = self.repos.get_videos(execution.name for execution in ended)
        recorded = 0
        for execution in ended:
            video = videos.get(execution.name)
            if video is None or video.status not in IN_FLIGHT:
                continue  # RecordFailure (or a later run) did its job
            failure = unfinished_workflow_failure(execution.status)
            if self.repos.transition_video(
                video.video_id, IN_FLIGHT, VideoStatus.FAILED, iso(now), failure=failure.to_dict()
            ):
                recorded += 1
                logger.warning(
                    "ingest execution ended without a final status: recorded",
                    extra={"video_id": video.video_id, "execution_status": execution.status},
                )
        return recorded
