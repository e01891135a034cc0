"""``upload_file``: one resumable chunked upload, start to finish (the library call behind ``reelstack upload``).

1. A resume record for (path, size, mtime, chunk size) naming an OPEN upload on the same API -> upload only the
   chunks ``GET /uploads/{id}`` lists as missing. COMPLETED/MERGING -> report it done. ABORTED/FAILED/404/410 ->
   forget the record and start fresh.
2. Otherwise: optionally hash the whole file (``sha256``, see ``wants_sha256``: one extra read before the upload,
   which also yields every chunk's checksum), ``POST /uploads``, and save the resume record at once.
3. PUT the chunks in parallel (``transfer.Transfer``), then ``POST /uploads/{id}/complete``; when the server
   answers 409 ``missing_parts``/``part_size_mismatch``, re-upload what it lists and complete again (bounded).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .api import (
    UPLOAD_DONE_STATES,
    UPLOAD_OPEN,
    ApiClient,
    Completion,
    PartTarget,
    UploadSession,
    UploadState,
    part_numbers_from,
)
from .chunks import ChecksumBook, ChunkPlan, ChunkReader, digest_parts
from .errors import ApiError, TransferFailed, UploadError, UploadInterrupted
from .progress import ProgressListener
from .resume import ResumeKey, ResumeRecord, ResumeStore
from .retry import RetryPolicy
from .sizes import MiB, format_size, parse_size
from .transfer import Transfer, TransferReport

DEFAULT_CHUNK_SIZE = 8 * MiB
DEFAULT_PARALLEL = 4
AUTO_SHA256_LIMIT = 512 * MiB
S3_MIN_PART_SIZE = 5 * MiB
COMPLETE_ROUNDS = 3


@dataclass(frozen=True)
class UploadResult:
    upload_id: str
    video_id: str
    status: str  # the video's status after complete (e.g. PROCESSING), from the API
    upload_status: str  # the upload session's status (MERGING or COMPLETED)
    mode: str  # "multipart" | "staged"
    bytes: int  # the file's size
    bytes_sent: int  # chunk bytes this call sent (0 when everything was already there)
    seconds: float  # the whole call: open (or resume), chunk transfer, complete
    chunk_size: int
    chunk_count: int
    parts_sent: int  # chunks this call PUT (re-uploads included)
    resumed_parts: int  # chunks already on the server when this call started
    sha256: str | None  # the whole-file hex digest declared to the API, if any
    video_url: str  # GET this (with the token) to see the video
    complete_seconds: float = 0.0  # of `seconds`, the time `complete` took (S3's merge of multipart parts)

    def summary(self) -> dict[str, Any]:
        """The ``--json`` summary."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["complete_seconds"] = round(self.complete_seconds, 3)
        return data


def upload_file(
    path: str | os.PathLike[str],
    *,
    api_url: str,
    token: str | None,
    title: str | None = None,
    tags: Sequence[str] = (),
    chunk_size: int | str = DEFAULT_CHUNK_SIZE,
    parallel: int = DEFAULT_PARALLEL,
    progress: ProgressListener | None = None,
    cancel: threading.Event | None = None,
    sha256: bool | None = None,
    content_type: str | None = None,
    resume: bool = True,
    resume_dir: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
    policy: RetryPolicy | None = None,
) -> UploadResult:
    """Upload ``path`` in chunks, resuming an earlier interrupted upload of the same file when there is one.

    Raises ``UploadInterrupted`` when ``cancel`` is set (call again to resume), ``TransferFailed`` when chunks
    fail beyond the retries, ``ApiError`` when the API refuses, ``UploadError`` for bad local input.
    ``progress`` hooks are called from worker threads.
    """
    started = time.monotonic()
    source = Path(path).expanduser().resolve()
    if not source.is_file():
        raise UploadError(f"{source}: not a file", code="not_a_file")
    size = source.stat().st_size
    if size == 0:
        raise UploadError(f"{source}: the file is empty", code="empty_file")
    requested_chunk = parse_size(chunk_size)
    if requested_chunk <= 0:
        raise UploadError("the chunk size must be positive", code="bad_chunk_size")
    if parallel < 1:
        raise UploadError("parallel must be at least 1", code="bad_parallel")
    job = _Upload(
        source=source,
        size=size,
        api=ApiClient(api_url, token, timeout=min(timeout, 30.0), cancel=cancel),
        listener=progress or ProgressListener(),
        cancel=cancel or threading.Event(),
        parallel=parallel,
        policy=policy or RetryPolicy(),
        timeout=timeout,
        store=ResumeStore(resume_dir) if resume else None,
        key=ResumeKey.for_file(source, requested_chunk),
    )
    try:
        return job.run(
            title=title if title is not None else source.stem,
            tags=[t for t in tags if t],
            content_type=content_type or mimetypes.guess_type(source.name)[0] or "application/octet-stream",
            sha256=wants_sha256(sha256, size, requested_chunk),
            started=started,
        )
    finally:
        job.api.close()


def wants_sha256(flag: bool | None, size: int, chunk_size: int) -> bool:
    """Whether to declare the whole file's SHA-256. ``True``/``False`` force it; ``None`` (the default) decides:

    on for staged uploads (chunks under S3's 5 MiB part minimum) of files up to 512 MiB. Those chunks are
    coalesced by reelstack's own merge function, which then verifies the digest end to end; the extra read costs
    ~0.3 s per 512 MiB. Off for multipart uploads: S3 checks every part's SHA-256 and merges the parts itself,
    while a declared digest would make the server assemble, re-read and copy the file to verify it.
    """
    if flag is not None:
        return flag
    return chunk_size < S3_MIN_PART_SIZE and size <= AUTO_SHA256_LIMIT


@dataclass
class _Upload:
    source: Path
    size: int
    api: ApiClient
    listener: ProgressListener
    cancel: threading.Event
    parallel: int
    policy: RetryPolicy
    timeout: float
    store: ResumeStore | None
    key: ResumeKey

    def run(
        self, *, title: str, tags: list[str], content_type: str, sha256: bool, started: float
    ) -> UploadResult:
        session: UploadSession | None = None
        with ChunkReader(self.source) as reader:
            try:
                resumed = self._resume()
                if isinstance(resumed, UploadResult):
                    return replace(resumed, seconds=time.monotonic() - started)
                known: dict[int, str] = {}
                digest: str | None = None
                if resumed is None:
                    session, known, digest = self._open(reader, title, tags, content_type, sha256)
                    already: tuple[int, ...] = ()
                    todo = list(range(1, session.chunk_count + 1))
                else:
                    session, state, digest = resumed
                    already, todo = state.received_parts, list(state.missing_parts)
                plan = ChunkPlan(self.size, session.chunk_size)
                book = ChecksumBook(reader, plan, known)
                self.listener.transfer_started(
                    total_bytes=self.size,
                    done_bytes=plan.bytes_in(p for p in already if 1 <= p <= plan.chunk_count),
                    total_parts=plan.chunk_count,
                    done_parts=len(already),
                )
                sent_parts, sent_bytes = self._send(session, reader, plan, book, todo, len(already))
                completing = time.monotonic()
                completion, more_parts, more_bytes = self._complete(session, reader, plan, book, len(already))
                complete_seconds = time.monotonic() - completing
            except UploadError as exc:
                if session is not None and exc.upload_id is None:
                    exc.upload_id = session.upload_id
                if self.cancel.is_set() and not isinstance(exc, UploadInterrupted):
                    raise self._interrupted(session, None) from exc
                raise
        if self.store is not None:
            self.store.delete(self.key)
        return UploadResult(
            upload_id=session.upload_id,
            video_id=completion.video_id or session.video_id,
            status=completion.status,
            upload_status=completion.upload_status,
            mode=session.mode,
            bytes=self.size,
            bytes_sent=sent_bytes + more_bytes,
            seconds=time.monotonic() - started,
            complete_seconds=complete_seconds,
            chunk_size=session.chunk_size,
            chunk_count=session.chunk_count,
            parts_sent=sent_parts + more_parts,
            resumed_parts=len(already),
            sha256=digest,
            video_url=self.api.video_url(completion.video_id or session.video_id),
        )

    # -- 1. resume -------------------------------------------------------------------------------------------

    def _resume(self) -> tuple[UploadSession, UploadState, str | None] | UploadResult | None:
        record = self.store.load(self.key) if self.store is not None else None
        if record is None:
            return None
        if record.api_url.rstrip("/") != self.api.base_url:
            self.listener.note(f"a resume record names another API ({record.api_url}); starting a new upload")
            return None
        try:
            state = self.api.get_upload(record.upload_id)
        except ApiError as exc:
            if exc.status in (404, 410):
                self._forget(f"upload {record.upload_id} expired on the server; starting a new upload")
                return None
            if exc.status == 403:  # another user's upload of the same file: leave it, start our own
                self.listener.note(
                    f"upload {record.upload_id} belongs to another user; starting a new upload"
                )
                return None
            raise
        if state.status in UPLOAD_DONE_STATES:
            self._forget(f"upload {record.upload_id} is already {state.status}")
            return self._already_done(record, state)
        if state.status != UPLOAD_OPEN:
            self._forget(f"upload {record.upload_id} is {state.status}; starting a new upload")
            return None
        plan = ChunkPlan(self.size, state.chunk_size)
        if (state.size is not None and state.size != self.size) or plan.chunk_count != state.chunk_count:
            with contextlib.suppress(UploadError):
                self.api.abort(record.upload_id)
            self._forget(f"upload {record.upload_id} does not match this file; starting a new upload")
            return None
        self.listener.note(
            f"resuming: {len(state.received_parts)}/{state.chunk_count} chunks already on the server "
            f"(upload {state.upload_id})"
        )
        session = UploadSession(
            upload_id=state.upload_id,
            video_id=state.video_id or record.video_id,
            chunk_size=state.chunk_size,
            chunk_count=state.chunk_count,
            mode=record.mode,
        )
        return session, state, record.sha256

    def _already_done(self, record: ResumeRecord, state: UploadState) -> UploadResult:
        video_id = state.video_id or record.video_id
        status = ""
        with contextlib.suppress(ApiError):
            status = self.api.get_video(video_id).status
        return UploadResult(
            upload_id=state.upload_id,
            video_id=video_id,
            status=status,
            upload_status=state.status,
            mode=record.mode,
            bytes=self.size,
            bytes_sent=0,
            seconds=0.0,
            chunk_size=state.chunk_size,
            chunk_count=state.chunk_count,
            parts_sent=0,
            resumed_parts=state.chunk_count,
            sha256=record.sha256,
            video_url=self.api.video_url(video_id),
        )

    def _forget(self, message: str) -> None:
        if self.store is not None:
            self.store.delete(self.key)
        self.listener.note(message)

    # -- 2. open ---------------------------------------------------------------------------------------------

    def _open(
        self, reader: ChunkReader, title: str, tags: list[str], content_type: str, sha256: bool
    ) -> tuple[UploadSession, dict[int, str], str | None]:
        requested = ChunkPlan(self.size, self.key.chunk_size)
        known: dict[int, str] = {}
        digest: str | None = None
        if sha256:
            self.listener.hashing_started(self.size)
            digests = digest_parts(
                reader,
                requested,
                list(requested.parts()),
                whole_file=True,
                on_bytes=self.listener.hashed,
                should_stop=self.cancel.is_set,
            )
            if digests is None:
                raise self._interrupted(None, None)
            known, digest = digests.checksums, digests.sha256_hex
        session = self.api.create_upload(
            filename=self.source.name,
            size=self.size,
            content_type=content_type,
            chunk_size=self.key.chunk_size,
            sha256=digest,
            title=title,
            tags=tags,
        )
        plan = ChunkPlan(self.size, session.chunk_size)
        if plan.chunk_count != session.chunk_count:
            raise UploadError(
                f"the API planned {session.chunk_count} chunks of {session.chunk_size} bytes for "
                f"{self.size} bytes; expected {plan.chunk_count}",
                code="bad_response",
                upload_id=session.upload_id,
            )
        if session.chunk_size != self.key.chunk_size:
            known = {}  # the server chose another chunk size: the precomputed chunk checksums do not apply
        if self.store is not None:
            self.store.save(
                ResumeRecord(
                    key=self.key,
                    upload_id=session.upload_id,
                    video_id=session.video_id,
                    api_url=self.api.base_url,
                    chunk_size=session.chunk_size,
                    chunk_count=session.chunk_count,
                    mode=session.mode,
                    sha256=digest,
                    created_at=time.time(),
                )
            )
        return session, known, digest

    # -- 3. transfer and complete ----------------------------------------------------------------------------

    def _send(
        self,
        session: UploadSession,
        reader: ChunkReader,
        plan: ChunkPlan,
        book: ChecksumBook,
        parts: Sequence[int],
        resumed: int,
    ) -> tuple[int, int]:
        def presign(numbers: Sequence[int]) -> dict[int, PartTarget]:
            checksums = {p: book[p] for p in numbers if p in book}
            targets = self.api.request_parts(session.upload_id, numbers, checksums)
            return {t.part_number: t for t in targets}

        transfer = Transfer(
            reader=reader,
            plan=plan,
            checksums=book,
            presign=presign,
            parallel=self.parallel,
            listener=self.listener,
            cancel=self.cancel,
            policy=self.policy,
            timeout=self.timeout,
        )
        report = transfer.run(parts)
        if report.cancelled:
            raise self._interrupted(session, self._on_server(session, resumed + len(report.done)))
        if not report.ok:
            raise _failure(report, session)
        return len(report.done), report.bytes_sent

    def _complete(
        self, session: UploadSession, reader: ChunkReader, plan: ChunkPlan, book: ChecksumBook, resumed: int
    ) -> tuple[Completion, int, int]:
        parts_sent = bytes_sent = 0
        for round_number in range(COMPLETE_ROUNDS + 1):
            try:
                return self.api.complete(session.upload_id), parts_sent, bytes_sent
            except ApiError as exc:
                if exc.status != 409:
                    raise
                redo = _parts_to_redo(exc)
                if not redo or round_number == COMPLETE_ROUNDS:
                    done = self._finished_elsewhere(session)
                    if done is not None:
                        return done, parts_sent, bytes_sent
                    raise
                self.listener.note(
                    f"the server asks again for {len(redo)} chunk(s) ({exc.code}): {_preview(redo)}; re-uploading"
                )
                self.listener.transfer_started(
                    total_bytes=self.size,
                    done_bytes=self.size - plan.bytes_in(p for p in redo if 1 <= p <= plan.chunk_count),
                    total_parts=plan.chunk_count,
                    done_parts=plan.chunk_count - len(redo),
                )
                sent, nbytes = self._send(session, reader, plan, book, redo, resumed)
                parts_sent += sent
                bytes_sent += nbytes
        raise AssertionError("unreachable")  # pragma: no cover

    def _finished_elsewhere(self, session: UploadSession) -> Completion | None:
        """A 409 on complete after an earlier complete went through (its answer lost): the upload is done."""
        try:
            state = self.api.get_upload(session.upload_id)
        except ApiError:
            return None
        if state.status in UPLOAD_DONE_STATES:
            return Completion(session.video_id, session.upload_id, "", state.status)
        return None

    # -- helpers ---------------------------------------------------------------------------------------------

    def _on_server(self, session: UploadSession, fallback: int) -> int:
        with contextlib.suppress(UploadError):
            return len(self.api.get_upload(session.upload_id).received_parts)
        return fallback

    def _interrupted(self, session: UploadSession | None, on_server: int | None) -> UploadInterrupted:
        if session is None:
            return UploadInterrupted("interrupted before the upload started")
        done = on_server if on_server is not None else self._on_server(session, 0)
        return UploadInterrupted(
            f"interrupted: {done}/{session.chunk_count} chunks are on the server (upload {session.upload_id})",
            upload_id=session.upload_id,
            video_id=session.video_id,
            parts_done=done,
            parts_total=session.chunk_count,
        )


def _parts_to_redo(exc: ApiError) -> list[int]:
    if exc.code == "missing_parts":
        return part_numbers_from(exc.details.get("missing_parts"))
    if exc.code == "part_size_mismatch":
        return part_numbers_from(exc.details.get("parts"))
    return []


def _failure(report: TransferReport, session: UploadSession) -> TransferFailed:
    lines = [report.error] if report.error else []
    lines += [report.failures[p] for p in sorted(report.failures)[:5]]
    if len(report.failures) > 5:
        lines.append(f"... and {len(report.failures) - 5} more chunks")
    return TransferFailed(
        "upload failed: " + "; ".join(lines), failures=dict(report.failures), upload_id=session.upload_id
    )


def _preview(parts: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(p) for p in parts[:limit])
    return shown + (f", ... ({len(parts)} in all)" if len(parts) > limit else "")


def describe(result: UploadResult) -> str:
    """A human summary of a finished upload."""
    rate = result.bytes_sent / result.seconds if result.seconds > 0 else 0.0
    lines = [
        f"uploaded {format_size(result.bytes)} in {result.seconds:.1f}s ({format_size(rate)}/s): "
        f"{result.parts_sent} chunk(s) sent, {result.resumed_parts} resumed, {result.chunk_count} in all"
        + (f" ({result.mode})" if result.mode else ""),
        f"video {result.video_id}: {result.status or result.upload_status}",
        f"see it: GET {result.video_url}",
    ]
    return "\n".join(lines)
