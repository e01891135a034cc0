"""The merge sweeper's work: uploads stuck in MERGING are handed to the merge function again, or failed.

The sweeper lists uploads MERGING since the policy's shortest threshold from the sparse merging-index
(a bounded query per partition, no scan), re-reads each one, and lets `domain.media.merge_sweep` decide: a
merge that was never handed over, or whose hand-over is long lost, is invoked again when its chunks (or
the merged original) are still there, and failed with `chunks_missing` when they are not; an upload
merging for longer than the give-up threshold is failed with `merge_timed_out`. One upload's error is
logged and counted; the others are still swept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reelstack.adapters.functions import AsyncInvoker
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, parse_iso, utc_now
from reelstack.domain.media.merge_sweep import (
    MergeSweepPolicy,
    SweepAction,
    SweepDecision,
    chunks_gone,
    due_for_sweep,
)
from reelstack.domain.media.uploads import (
    UploadMode,
    UploadSession,
    UploadStatus,
    check_chunks,
    part_number_from_staged_key,
    staging_prefix,
)
from reelstack.domain.videos import Failure, VideoStatus, original_key
from reelstack.errors import NotFound, ReelstackError
from reelstack.observability import logger


@dataclass
class SweepReport:
    """Upload ids by what the sweep did with them (`skipped`: no longer MERGING when re-read)."""

    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "retried": self.retried,
            "failed": self.failed,
            "waiting": self.waiting,
            "skipped": self.skipped,
            "errors": self.errors,
        }


class MergeSweeper:
    def __init__(
        self,
        storage: MediaStorage,
        repos: Repositories,
        merger: AsyncInvoker,
        policy: MergeSweepPolicy,
        limit: int = 100,
    ) -> None:
        self.storage = storage
        self.repos = repos
        self.merger = merger
        self.policy = policy
        self.limit = limit

    def sweep(self, now: datetime | None = None) -> SweepReport:
        now = now or utc_now()
        report = SweepReport()
        for upload_id in self.repos.merging_since(iso(now - self.policy.listing_cutoff), self.limit):
            try:
                outcome = self._sweep_one(upload_id, now)
            except ReelstackError:
                logger.exception("sweeping a merging upload failed", extra={"upload_id": upload_id})
                report.errors.append(upload_id)
                continue
            {
                "retry": report.retried,
                "fail": report.failed,
                "wait": report.waiting,
                "skip": report.skipped,
            }[outcome].append(upload_id)
        return report

    def _sweep_one(self, upload_id: str, now: datetime) -> str:
        session = self.repos.get_upload(upload_id)
        if session is None or session.status is not UploadStatus.MERGING or not session.merge_started_at:
            return "skip"  # finished (or failed) since it was listed
        invoked = parse_iso(session.merge_invoked_at) if session.merge_invoked_at else None
        decision = due_for_sweep(now, parse_iso(session.merge_started_at), invoked, self.policy)
        if decision.action is SweepAction.RETRY:
            decision = self._chunks_check(session) or decision
        if decision.action is SweepAction.RETRY:
            self.merger.invoke({"upload_id": upload_id})
            self.repos.record_merge_invoked(upload_id, iso(utc_now()))
            logger.info(
                "stuck merge handed over again", extra={"upload_id": upload_id, "why": decision.reason}
            )
        elif decision.action is SweepAction.FAIL:
            self._fail(session, decision)
        return decision.action.value

    def _chunks_check(self, session: UploadSession) -> SweepDecision | None:
        """FAIL when neither the merged original nor every chunk (at its size) is in S3; None otherwise."""
        landed = self._has_full_object(original_key(session.video_id), session.size)
        if not landed and session.mode is UploadMode.MULTIPART and session.assembly_key:
            landed = self._has_full_object(session.assembly_key, session.size)  # assembled, not yet copied
        if landed:
            return None
        sizes = self._stored_chunk_sizes(session)
        check = check_chunks(session.size, session.chunk_size, sizes)
        return chunks_gone(len(check.missing), len(check.wrong_size), landed=False)

    def _has_full_object(self, key: str, size: int) -> bool:
        found = self.storage.head(key)
        return found is not None and found.size == size

    def _stored_chunk_sizes(self, session: UploadSession) -> dict[int, int]:
        if session.mode is UploadMode.MULTIPART:
            assert session.assembly_key and session.s3_upload_id
            try:
                parts = self.storage.list_parts(session.assembly_key, session.s3_upload_id)
            except NotFound:
                return {}  # the multipart upload is gone (aborted by the bucket's lifecycle rule)
            return {number: part.size for number, part in parts.items()}
        sizes: dict[int, int] = {}
        for stored in self.storage.list_objects(staging_prefix(session.upload_id)):
            number = part_number_from_staged_key(stored.key)
            if number is not None:
                sizes[number] = stored.size
        return sizes

    def _fail(self, session: UploadSession, decision: SweepDecision) -> None:
        """Upload and video FAILED with the reason; what is left of the chunks is freed."""
        now = iso(utc_now())
        failure = Failure(stage="upload", code=decision.code, message=decision.reason).to_dict()
        if not self.repos.transition_upload(
            session.upload_id, [UploadStatus.MERGING], UploadStatus.FAILED, now, failure=failure
        ):
            return  # moved on since it was read: nothing to fail
        self.repos.transition_video(
            session.video_id,
            [VideoStatus.UPLOADING, VideoStatus.PROCESSING],
            VideoStatus.FAILED,
            now,
            failure=failure,
        )
        if session.mode is UploadMode.MULTIPART and session.assembly_key and session.s3_upload_id:
            self.storage.abort_multipart_upload(session.assembly_key, session.s3_upload_id)
        self.storage.delete_prefix(staging_prefix(session.upload_id))
        logger.warning("stuck merge failed", extra={"upload_id": session.upload_id, "code": decision.code})
