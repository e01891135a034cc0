"""Ingest use cases: start one execution per original, admit it into processing, record failures."""

from __future__ import annotations

from typing import Any

from reelstack.adapters.media.workflow import StartResult, StepFunctionsWorkflow
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media.failures import failure_from_error
from reelstack.domain.media.workflow import StageError, WorkflowDocument
from reelstack.domain.s3_events import created_objects
from reelstack.domain.videos import TERMINAL_STATUSES, VideoStatus, video_id_from_original_key
from reelstack.errors import Conflict, InvalidRequest, NotFound
from reelstack.observability import logger


def documents_from_s3_notification(body: dict[str, Any]) -> list[WorkflowDocument]:
    """The originals an S3 notification announces. `s3:TestEvent` and other keys announce none."""
    documents = []
    for created in created_objects(body):
        video_id = video_id_from_original_key(created.key)
        if video_id is None:
            logger.info("ignoring an object outside originals/", extra={"key": created.key})
            continue
        documents.append(
            WorkflowDocument(
                video_id=video_id,
                bucket=created.bucket,
                key=created.key,
                size=created.size,
                etag=created.etag,
            )
        )
    return documents


class IngestStarter:
    """S3 ObjectCreated -> StartExecution named after the video (duplicates start nothing)."""

    def __init__(self, workflow: StepFunctionsWorkflow) -> None:
        self.workflow = workflow

    def start(self, document: WorkflowDocument) -> StartResult:
        result = self.workflow.start(document.video_id, document.model_dump(exclude_none=True))
        logger.info(
            "ingest execution started" if result.started else "ingest execution already exists",
            extra={"video_id": document.video_id},
        )
        return result


class IngestStages:
    """The workflow's own stages that touch the video record."""

    def __init__(self, storage: MediaStorage, repos: Repositories) -> None:
        self.storage = storage
        self.repos = repos

    def admit(self, document: WorkflowDocument) -> WorkflowDocument:
        """The original is really there and the video is waiting for it: mark it PROCESSING."""
        video = self.repos.get_video(document.video_id)
        if video is None:
            raise NotFound(f"no video {document.video_id}", code="video_not_found")
        stored = self.storage.head(document.key)
        if stored is None:
            raise NotFound(f"the original {document.key} is missing", code="original_missing")
        if stored.size == 0:
            raise InvalidRequest("the original is empty", code="empty_file")
        if video.status in TERMINAL_STATUSES:
            raise Conflict(f"the video is already {video.status.value}", code="video_already_final")
        admitted = self.repos.transition_video(
            video.video_id,
            [VideoStatus.UPLOADING, VideoStatus.PROCESSING],
            VideoStatus.PROCESSING,
            iso(utc_now()),
            execution_arn=document.execution_id,
        )
        if not admitted:
            raise Conflict(
                f"a {video.status.value} video is not processed again", code="video_not_admissible"
            )
        return document.model_copy(update={"owner": video.owner, "size": stored.size, "etag": stored.etag})

    def record_failure(self, document: WorkflowDocument, stage: str, error: StageError) -> dict[str, Any]:
        """A Catch ended here: the video becomes FAILED with the stage, a code and a message."""
        failure = failure_from_error(stage, error.error, error.cause)
        moved = self.repos.transition_video(
            document.video_id,
            [VideoStatus.UPLOADING, VideoStatus.PROCESSING, VideoStatus.IN_REVIEW],
            VideoStatus.FAILED,
            iso(utc_now()),
            failure=failure.to_dict(),
        )
        # `message` is a reserved LogRecord attribute: the failure goes under its own key.
        logger.warning(
            "ingest failed",
            extra={
                "video_id": document.video_id,
                "failure": failure.to_dict(),
                "recorded": moved,
                # What the owner is not shown (domain.media.failures): the engine's error and cause, for operators.
                "error": error.error,
                "cause": error.cause,
            },
        )
        return {
            "video_id": document.video_id,
            "status": VideoStatus.FAILED.value,
            "failure": failure.to_dict(),
        }
