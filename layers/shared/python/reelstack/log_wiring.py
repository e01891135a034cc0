"""Building the interaction log's forwarder (for the workers) and writer (its own function)."""

from __future__ import annotations

from functools import cache

from reelstack.adapters.engagement.video_facts import StoredVideoFacts
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.queue_sender import QueueSender
from reelstack.adapters.repositories import Repositories
from reelstack.services.engagement.interaction_log import InteractionLogWriter, LogForwarder
from reelstack.settings import interaction_log_writer_settings


def interaction_log(queue_url: str) -> LogForwarder | None:
    """The forwarder of a worker ("" = the worker forwards nothing)."""
    return LogForwarder(QueueSender(queue_url)) if queue_url else None


class DeadLetterQueue:
    """Malformed events, straight to the log's DLQ with their reason (attribute `reason`)."""

    def __init__(self, sender: QueueSender) -> None:
        self.sender = sender

    def send(self, body: str, reason: str) -> None:
        self.sender.send_raw(body, {"reason": reason})


@cache
def interaction_log_writer() -> InteractionLogWriter:
    # pyarrow (and numpy) only in the log writer: the workers that import this module forward only.
    from reelstack.adapters.engagement.lake_files import LakeWriter

    settings = interaction_log_writer_settings()
    return InteractionLogWriter(
        StoredVideoFacts(Repositories.from_settings(settings)),
        LakeWriter(MediaStorage(settings.lake_bucket)),
        DeadLetterQueue(QueueSender(settings.interaction_log_dlq_url)),
    )
