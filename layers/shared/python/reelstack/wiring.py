"""Building services from a function's settings at cold start (cached per process)."""

from __future__ import annotations

from functools import cache

from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage import MediaStorage
from reelstack.services.ingest import IngestStages
from reelstack.settings import ingest_settings


@cache
def ingest_stages() -> IngestStages:
    """The ingest workflow's record-keeping stages (Admit, RecordFailure)."""
    settings = ingest_settings()
    return IngestStages(MediaStorage(settings.media_bucket), Repositories.from_settings(settings))
