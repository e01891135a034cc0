"""Recording each stage run on the video's timeline: start, end, outcome (and the failure's code)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.domain.videos import StageRun
from reelstack.errors import ReelstackError
from reelstack.observability import logger


def _append(repos: Repositories, video_id: str, run: StageRun) -> None:
    """A timeline entry is worth one write, never a failed stage: a store error is only logged."""
    try:
        repos.append_stage_run(video_id, run)
    except ReelstackError:
        logger.exception("could not record a stage run", extra={"video_id": video_id, "stage": run.stage})


@contextmanager
def stage_run(repos: Repositories, video_id: str, stage: str) -> Iterator[None]:
    """Time the block and append its run to the timeline, succeeded or failed (then re-raise)."""
    started = iso(utc_now())
    try:
        yield
    except ReelstackError as exc:
        _append(repos, video_id, StageRun(stage, started, iso(utc_now()), "failed", exc.code))
        raise
    except Exception:
        _append(repos, video_id, StageRun(stage, started, iso(utc_now()), "failed", "internal_error"))
        raise
    _append(repos, video_id, StageRun(stage, started, iso(utc_now()), "succeeded"))


def run_stage(
    repos: Repositories, stage: str, document: WorkflowDocument, step: Callable[[WorkflowDocument], Any]
) -> dict[str, Any]:
    """A stage handler's body: run `step` on the document, on the timeline, and answer JSON."""
    with stage_run(repos, document.video_id, stage):
        result = step(document)
    if isinstance(result, WorkflowDocument):
        return result.model_dump(exclude_none=True)
    return dict(result)
