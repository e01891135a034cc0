"""Upload use cases behind the HTTP API: open, presign chunks, report progress, complete, abort.

With a quota, `open` first counts the caller's live open uploads (`reelstack.domain.media.upload_quota`).

What S3 holds is the truth: progress and completion are read from S3 (ListParts / the staging
prefix), never from what the client claims. Status changes are conditional writes, so two
concurrent `complete` calls give the same answer and one video.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reelstack.adapters.functions import AsyncInvoker
from reelstack.adapters.media_bucket import MediaStorage, StoredPart
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, new_id, parse_iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.media.upload_quota import OpenUploadQuota, check_room
from reelstack.domain.media.uploads import (
    ChunkCheck,
    UploadMode,
    UploadSession,
    UploadStatus,
    assembly_key_for,
    check_chunks,
    parse_part_request,
    parse_upload_request,
    part_number_from_staged_key,
    staged_chunk_key,
    staging_prefix,
)
from reelstack.domain.videos import Video, VideoStatus, original_key
from reelstack.errors import Conflict, DependencyFailed, Gone, InvalidRequest, NotFound
from reelstack.observability import logger
from reelstack.settings import UploadLimits


def _no_such_upload() -> NotFound:
    return NotFound("no such upload", code="upload_not_found")


# A merge handed over this long ago and still MERGING is assumed lost and is started again by a
# retried `complete` (it is idempotent); the merge sweeper does the same for uploads nobody completes again.
STALE_MERGE = timedelta(minutes=20)
RECORD_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Accepted:
    """The answer to `complete`: the same for every call once the upload is accepted."""

    video_id: str
    upload_id: str
    status: str
    upload_status: str

    def to_dict(self) -> dict[str, str]:
        return {
            "video_id": self.video_id,
            "upload_id": self.upload_id,
            "status": self.status,
            "upload_status": self.upload_status,
        }


class UploadService:
    def __init__(
        self,
        storage: MediaStorage,
        repos: Repositories,
        merger: AsyncInvoker,
        limits: UploadLimits,
        presign_expiry_seconds: int,
        quota: OpenUploadQuota | None = None,
    ) -> None:
        self.storage = storage
        self.repos = repos
        self.merger = merger
        self.limits = limits
        self.presign_expiry_seconds = presign_expiry_seconds
        self.quota = quota  # None: no per-user quota on open uploads

    # -- open ----------------------------------------------------------------------------------------
    def open(self, principal: Principal, body: Any) -> dict[str, Any]:
        request = parse_upload_request(body, self.limits)
        now = utc_now()
        if self.quota is not None:  # before anything is created: 409 when the caller is over quota
            check_room(self.quota, self.repos.open_uploads_of(principal.user_id, iso(now)), request.size)
        upload_id, video_id = new_id(), new_id()
        expires = now + timedelta(seconds=self.limits.upload_ttl_seconds)
        s3_upload_id = assembly_key = None
        if request.mode is UploadMode.MULTIPART:
            assembly_key = original_key(video_id) if request.sha256 is None else assembly_key_for(upload_id)
            s3_upload_id = self.storage.create_multipart_upload(assembly_key, request.content_type)
        session = UploadSession(
            upload_id=upload_id,
            video_id=video_id,
            owner=principal.user_id,
            filename=request.filename,
            size=request.size,
            content_type=request.content_type,
            chunk_size=request.chunk_size,
            chunk_count=request.chunk_count,
            mode=request.mode,
            status=UploadStatus.OPEN,
            created_at=iso(now),
            expires_at=iso(expires),
            title=request.title,
            tags=request.tags,
            sha256=request.sha256,
            s3_upload_id=s3_upload_id,
            assembly_key=assembly_key,
        )
        video = Video(
            video_id=video_id,
            owner=principal.user_id,
            status=VideoStatus.UPLOADING,
            title=request.title,
            tags=request.tags,
            created_at=iso(now),
            updated_at=iso(now),
            upload_id=upload_id,
            original_key=original_key(video_id),
            size=request.size,
        )
        try:
            self.repos.create_upload_with_video(session, video, expires + RECORD_RETENTION)
        except Exception:
            if s3_upload_id is not None and assembly_key is not None:
                self.storage.abort_multipart_upload(assembly_key, s3_upload_id)
            raise
        return {
            "upload_id": upload_id,
            "video_id": video_id,
            "size": request.size,
            "chunk_size": request.chunk_size,
            "chunk_count": request.chunk_count,
            "mode": request.mode.value,
            "expires_at": session.expires_at,
        }

    # -- presign -------------------------------------------------------------------------------------
    def presign_parts(self, principal: Principal, upload_id: str, body: Any) -> dict[str, Any]:
        session = self._owned(principal, upload_id)
        self._require_open(session)
        request = parse_part_request(body, session.chunk_count)
        expires_in = self._expires_in(body)
        expires_at = iso(utc_now() + timedelta(seconds=expires_in))
        parts = []
        for number in request.part_numbers:
            size = session.expected_chunk_size(number)
            checksum = request.checksums.get(number)
            if session.mode is UploadMode.MULTIPART:
                assert session.assembly_key and session.s3_upload_id
                signed = self.storage.presign_part(
                    session.assembly_key, session.s3_upload_id, number, size, checksum, expires_in
                )
            else:
                signed = self.storage.presign_put(
                    staged_chunk_key(upload_id, number), size, checksum, expires_in
                )
            parts.append(
                {
                    "part_number": number,
                    "size": size,
                    "url": signed.url,
                    "method": "PUT",
                    "headers": signed.headers,
                    "expires_at": expires_at,
                }
            )
        return {"upload_id": upload_id, "parts": parts}

    def _expires_in(self, body: Any) -> int:
        raw = body.get("expires_in") if isinstance(body, dict) else None
        if raw is None:
            return self.presign_expiry_seconds
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= self.presign_expiry_seconds:
            raise InvalidRequest(
                f"'expires_in' must be an integer in 1..{self.presign_expiry_seconds}",
                code="invalid_field",
                field="expires_in",
            )
        return raw

    # -- progress ------------------------------------------------------------------------------------
    def status(self, principal: Principal, upload_id: str) -> dict[str, Any]:
        session = self._owned(principal, upload_id)
        body: dict[str, Any] = {
            "upload_id": session.upload_id,
            "video_id": session.video_id,
            "status": session.status.value,
            "mode": session.mode.value,
            "size": session.size,
            "chunk_size": session.chunk_size,
            "chunk_count": session.chunk_count,
            "expires_at": session.expires_at,
            "received_parts": [],
            "missing_parts": [],
        }
        if session.status is UploadStatus.OPEN and self._expired(session):
            body["status"] = "EXPIRED"
        elif session.status is UploadStatus.OPEN:
            check = self._check(session, self._stored_parts(session))
            body["received_parts"] = list(check.received)
            body["missing_parts"] = list(check.missing)
            body["wrong_size_parts"] = list(check.wrong_size)
        elif session.status in (UploadStatus.MERGING, UploadStatus.COMPLETED):
            body["received_parts"] = list(range(1, session.chunk_count + 1))
        if session.failure:
            body["failure"] = session.failure
        return body

    # -- complete ------------------------------------------------------------------------------------
    def complete(self, principal: Principal, upload_id: str) -> Accepted:
        session = self._owned(principal, upload_id)
        if session.status in (UploadStatus.MERGING, UploadStatus.COMPLETED):
            return self._resume_accepted(session)
        self._require_open(session)
        try:
            stored = self._stored_parts(session)
        except Gone:
            if not self._landed_already(session):
                raise
            stored = None  # S3 completed it but the answer was lost: the redrive below records it
        if stored is not None:
            self._require_every_chunk(session, stored)
        now = iso(utc_now())
        if not self.repos.transition_upload(
            upload_id, [UploadStatus.OPEN], UploadStatus.MERGING, now, merge_started_at=now
        ):
            return self._resume_accepted(self._reload(upload_id))  # a concurrent call got there first
        self.repos.transition_video(session.video_id, [VideoStatus.UPLOADING], VideoStatus.PROCESSING, now)
        if session.merged_by_s3:
            self._finish_server_side_merge(session, stored)
            upload_status = UploadStatus.COMPLETED
        else:
            self._hand_to_merge(upload_id)
            upload_status = UploadStatus.MERGING
        # This call won the OPEN -> MERGING transition: the statuses it just wrote are the answer.
        return Accepted(session.video_id, upload_id, VideoStatus.PROCESSING.value, upload_status.value)

    def _finish_server_side_merge(self, session: UploadSession, stored: dict[int, StoredPart] | None) -> None:
        """CompleteMultipartUpload into `originals/`; safe to run again after a crash half-way.

        `stored` is given on a first attempt (the parts just listed); a redrive passes None and first
        checks whether the earlier attempt already landed the original.
        """
        assert session.assembly_key and session.s3_upload_id
        landed = None if stored is not None else self.storage.head(session.assembly_key)
        if landed is None or landed.size != session.size:
            parts = (
                stored
                if stored is not None
                else self.storage.list_parts(session.assembly_key, session.s3_upload_id)
            )
            try:
                self.storage.complete_multipart_upload(
                    session.assembly_key, session.s3_upload_id, list(parts.values())
                )
            except DependencyFailed:
                now = iso(utc_now())
                self.repos.transition_upload(
                    session.upload_id, [UploadStatus.MERGING], UploadStatus.OPEN, now, owner=session.owner
                )
                self.repos.transition_video(
                    session.video_id, [VideoStatus.PROCESSING], VideoStatus.UPLOADING, now
                )
                raise
        self.repos.transition_upload(
            session.upload_id, [UploadStatus.MERGING], UploadStatus.COMPLETED, iso(utc_now())
        )

    def _require_every_chunk(self, session: UploadSession, stored: dict[int, StoredPart]) -> None:
        """409 listing what is missing or has the wrong size: the client re-sends those and completes again."""
        check = self._check(session, stored)
        if check.missing:
            raise Conflict(
                f"{len(check.missing)} of {session.chunk_count} chunks are missing",
                code="missing_parts",
                missing_parts=list(check.missing),
            )
        if check.wrong_size:
            raise Conflict(
                "some chunks do not have the declared size; upload them again",
                code="part_size_mismatch",
                parts=list(check.wrong_size),
            )

    def _landed_already(self, session: UploadSession) -> bool:
        """A server-side merge whose multipart upload is gone because it completed: the original is there."""
        if not session.merged_by_s3 or session.assembly_key is None:
            return False
        landed = self.storage.head(session.assembly_key)
        return landed is not None and landed.size == session.size

    def _resume_accepted(self, session: UploadSession) -> Accepted:
        """Completing again: same answer; and if an earlier merge was lost, finish it."""
        if session.status is UploadStatus.MERGING:
            if session.merged_by_s3:
                self._finish_server_side_merge(session, None)
            elif (
                session.merge_invoked_at is None
                or utc_now() - parse_iso(session.merge_invoked_at) > STALE_MERGE
            ):
                self._hand_to_merge(session.upload_id)  # never handed over (the invoke failed), or lost
            session = self._reload(session.upload_id)
        return self._accepted(session)

    def _hand_to_merge(self, upload_id: str) -> None:
        """Invoke the merge function, then note the hand-over. A failed invoke raises (503) and leaves the
        upload MERGING with no hand-over noted: a retried `complete`, or the merge sweeper, invokes it
        again (the merge is idempotent)."""
        self.merger.invoke({"upload_id": upload_id})
        try:
            self.repos.record_merge_invoked(upload_id, iso(utc_now()))
        except DependencyFailed:
            # The merge runs; only the note is missing, so a retried `complete` invokes it once more.
            logger.warning("the merge hand-over was not recorded", extra={"upload_id": upload_id})

    def _accepted(self, session: UploadSession) -> Accepted:
        video = self.repos.get_video(session.video_id)
        status = video.status.value if video else VideoStatus.PROCESSING.value
        return Accepted(session.video_id, session.upload_id, status, session.status.value)

    # -- abort ---------------------------------------------------------------------------------------
    def abort(self, principal: Principal, upload_id: str) -> dict[str, Any]:
        session = self._owned(principal, upload_id)
        if session.status in (UploadStatus.MERGING, UploadStatus.COMPLETED):
            raise Conflict(
                "the upload is already complete", code="upload_completed", status=session.status.value
            )
        if session.status is UploadStatus.OPEN and not self.repos.transition_upload(
            upload_id, [UploadStatus.OPEN], UploadStatus.ABORTED, iso(utc_now())
        ):
            return self.abort(principal, upload_id)  # the status moved under us: answer for the new one
        if session.mode is UploadMode.MULTIPART and session.assembly_key and session.s3_upload_id:
            self.storage.abort_multipart_upload(session.assembly_key, session.s3_upload_id)
        freed = self.storage.delete_prefix(staging_prefix(upload_id))
        self.repos.delete_video(session.video_id, only_if=VideoStatus.UPLOADING)
        return {"upload_id": upload_id, "status": UploadStatus.ABORTED.value, "deleted_objects": freed}

    # -- helpers -------------------------------------------------------------------------------------
    def _owned(self, principal: Principal, upload_id: str) -> UploadSession:
        """The caller's upload; someone else's answers exactly as a missing one (ids are not disclosed)."""
        session = self.repos.get_upload(upload_id)
        if session is None or session.owner != principal.user_id:
            raise _no_such_upload()
        return session

    def _reload(self, upload_id: str) -> UploadSession:
        session = self.repos.get_upload(upload_id)
        if session is None:
            raise _no_such_upload()
        return session

    def _require_open(self, session: UploadSession) -> None:
        if session.status is UploadStatus.ABORTED:
            raise Gone("the upload was aborted", code="upload_aborted")
        if session.status is UploadStatus.FAILED:
            raise Conflict("the upload failed", code="upload_failed", failure=session.failure or {})
        if session.status is not UploadStatus.OPEN:
            raise Conflict(
                "the upload is already complete", code="upload_completed", status=session.status.value
            )
        if self._expired(session):
            raise Gone("the upload has expired; start a new one", code="upload_expired")

    @staticmethod
    def _expired(session: UploadSession, now: datetime | None = None) -> bool:
        return (now or utc_now()) > parse_iso(session.expires_at)

    def _stored_parts(self, session: UploadSession) -> dict[int, StoredPart]:
        """The chunks S3 really holds: multipart parts, or staged chunk objects."""
        if session.mode is UploadMode.MULTIPART:
            assert session.assembly_key and session.s3_upload_id
            try:
                return self.storage.list_parts(session.assembly_key, session.s3_upload_id)
            except NotFound:
                raise Gone("the multipart upload no longer exists in S3", code="upload_expired") from None
        stored: dict[int, StoredPart] = {}
        for obj in self.storage.list_objects(staging_prefix(session.upload_id)):
            number = part_number_from_staged_key(obj.key)
            if number is not None:
                stored[number] = StoredPart(number, obj.size, obj.etag)
        return stored

    @staticmethod
    def _check(session: UploadSession, stored: dict[int, StoredPart]) -> ChunkCheck:
        return check_chunks(session.size, session.chunk_size, {n: p.size for n, p in stored.items()})
