"""The merge function's work: coalesce staged chunks into `originals/{video_id}` and verify declared hashes.

Staged chunks are streamed into >= 5 MiB multipart parts while the whole-file SHA-256 is computed;
the multipart upload is completed only when the hash matches, so nothing unverified reaches
`originals/` (and the ingest workflow never sees it). A multipart upload with a declared hash is
assembled under `staging/`, verified, then copied server-side. A multipart upload without a declared
hash (the API completes those itself) is completed straight into `originals/` when a sweep hands one
over. Every step can run again safely, and two merges of one upload at once end the same way: each
first checks whether the original has landed, and the COMPLETED transition is conditional.
"""

from __future__ import annotations

import hashlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from reelstack.adapters.media_bucket import MediaStorage, StoredPart
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media.uploads import (
    UploadMode,
    UploadSession,
    UploadStatus,
    coalesce_groups,
    staged_chunk_key,
    staging_prefix,
)
from reelstack.domain.videos import Failure, VideoStatus, original_key
from reelstack.observability import logger


class MergeService:
    def __init__(
        self, storage: MediaStorage, repos: Repositories, part_size: int, parallelism: int = 4
    ) -> None:
        self.storage = storage
        self.repos = repos
        self.part_size = part_size
        self.parallelism = max(1, parallelism)

    def merge(self, upload_id: str) -> str:
        """Merge one upload; returns the upload's final status."""
        session = self.repos.get_upload(upload_id)
        if session is None:
            logger.warning("merge requested for an unknown upload", extra={"upload_id": upload_id})
            return "UNKNOWN"
        if session.status is not UploadStatus.MERGING:
            return session.status.value  # already done (or aborted): a redelivery changes nothing
        target = original_key(session.video_id)
        landed = self.storage.head(target)
        if landed is not None and landed.size == session.size:
            return self._completed(session)  # an earlier attempt got as far as S3
        if session.merged_by_s3:
            return self._complete_in_place(session)
        if session.mode is UploadMode.STAGED:
            digest = self._coalesce_staged(session, target)
        else:
            digest = self._assemble_multipart(session)
        if session.sha256 is not None and digest != session.sha256:
            return self._failed(
                session,
                "checksum_mismatch",
                f"the merged file's SHA-256 is {digest}, not the declared {session.sha256}",
            )
        if session.mode is UploadMode.MULTIPART and session.assembly_key:
            self.storage.copy(session.assembly_key, target)
            self.storage.delete(session.assembly_key)
        return self._completed(session)

    def _coalesce_staged(self, session: UploadSession, target: str) -> str:
        """Read each group's chunks concurrently (in order, for the hash) while earlier parts upload.

        Memory stays bounded: at most `parallelism` parts in flight plus the group being read.
        """
        hasher = hashlib.sha256()
        s3_upload_id = self.storage.create_multipart_upload(target, session.content_type)
        groups = coalesce_groups(session.chunk_count, session.chunk_size, self.part_size)
        in_flight: deque[tuple[int, int, Future[str]]] = deque()
        parts: list[StoredPart] = []

        def settle(limit: int) -> None:
            while len(in_flight) > limit:
                number, size, upload = in_flight.popleft()
                parts.append(StoredPart(number, size, upload.result()))

        try:
            with (
                ThreadPoolExecutor(self.parallelism) as readers,
                ThreadPoolExecutor(self.parallelism) as uploaders,
            ):
                for number, group in enumerate(groups, 1):
                    keys = [staged_chunk_key(session.upload_id, chunk) for chunk in group]
                    buffer = bytearray()
                    for data in readers.map(self.storage.read, keys):
                        hasher.update(data)
                        buffer += data
                    settle(self.parallelism - 1)
                    body = bytes(buffer)
                    upload = uploaders.submit(self.storage.upload_part, target, s3_upload_id, number, body)
                    in_flight.append((number, len(body), upload))
                settle(0)
            digest = hasher.hexdigest()
            if session.sha256 is not None and digest != session.sha256:
                self.storage.abort_multipart_upload(target, s3_upload_id)
                return digest
            self.storage.complete_multipart_upload(target, s3_upload_id, parts)
        except Exception:
            self.storage.abort_multipart_upload(target, s3_upload_id)
            raise
        return digest

    def _complete_in_place(self, session: UploadSession) -> str:
        """Parts without a declared hash whose multipart upload targets `originals/` itself (the API's
        `complete` died before CompleteMultipartUpload): complete it there, nothing to copy or verify."""
        assert session.assembly_key and session.s3_upload_id
        parts = self.storage.list_parts(session.assembly_key, session.s3_upload_id)
        self.storage.complete_multipart_upload(
            session.assembly_key, session.s3_upload_id, list(parts.values())
        )
        return self._completed(session)

    def _assemble_multipart(self, session: UploadSession) -> str:
        assert session.assembly_key and session.s3_upload_id
        assembled = self.storage.head(session.assembly_key)
        if assembled is None or assembled.size != session.size:
            parts = self.storage.list_parts(session.assembly_key, session.s3_upload_id)
            self.storage.complete_multipart_upload(
                session.assembly_key, session.s3_upload_id, list(parts.values())
            )
        hasher = hashlib.sha256()
        for piece in self.storage.read_chunks(session.assembly_key):
            hasher.update(piece)
        return hasher.hexdigest()

    def _completed(self, session: UploadSession) -> str:
        """The original has landed: record it, then free the staged chunks (they would double the storage)."""
        self.repos.transition_upload(
            session.upload_id, [UploadStatus.MERGING], UploadStatus.COMPLETED, iso(utc_now())
        )
        self.storage.delete_prefix(staging_prefix(session.upload_id))
        logger.info("upload merged", extra={"upload_id": session.upload_id, "video_id": session.video_id})
        return UploadStatus.COMPLETED.value

    def _failed(self, session: UploadSession, code: str, message: str) -> str:
        now = iso(utc_now())
        failure = Failure(stage="upload", code=code, message=message)
        self.repos.transition_upload(
            session.upload_id, [UploadStatus.MERGING], UploadStatus.FAILED, now, failure=failure.to_dict()
        )
        self.repos.transition_video(
            session.video_id,
            [VideoStatus.UPLOADING, VideoStatus.PROCESSING],
            VideoStatus.FAILED,
            now,
            failure=failure.to_dict(),
        )
        if session.assembly_key:
            self.storage.delete(session.assembly_key)  # unverified bytes are not kept
        logger.warning("upload failed verification", extra={"upload_id": session.upload_id, "code": code})
        return UploadStatus.FAILED.value
