"""Parallel chunk PUTs to presigned URLs: bounded retries with backoff, fresh URLs on 403, cancellation.

One producer thread computes the checksums of the next batch of chunks (unless already known) and asks the API
for their URLs; ``parallel`` worker threads each own one chunk-sized buffer and one persistent connection per
origin, read their chunk into the buffer and PUT it. Memory: ``parallel`` chunk buffers plus one hashing block.
Setting ``cancel`` stops new work; PUTs already on the wire finish (or fail) first.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .api import PartTarget
from .chunks import ChecksumBook, ChunkPlan, ChunkReader, b64_sha256
from .connections import ConnectionCache, split_url
from .errors import FileChanged, UploadError
from .progress import ProgressListener
from .retry import Outcome, RetryPolicy, Verdict, classify_exception, classify_status, parse_retry_after
from .sizes import MiB

log = logging.getLogger(__name__)

Presigner = Callable[[Sequence[int]], Mapping[int, PartTarget]]
"""Fresh PUT targets for some part numbers (their checksums are in the ``ChecksumBook`` by then)."""

SEND_SLICE = 256 * 1024  # progress granularity within one PUT
EXPIRY_MARGIN = 30.0  # refresh a URL this close to its expiry instead of letting S3 refuse it
LAZY_HASH_BUDGET = 64 * MiB  # bytes hashed per batch when checksums are computed on the way


@dataclass
class TransferReport:
    done: list[int] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)
    error: str | None = None  # a failure not tied to one chunk (API unreachable, file changed)
    cancelled: bool = False
    bytes_sent: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.error is None and not self.cancelled


class _PartFailed(Exception):
    pass


class _Abandoned(Exception):
    pass


def plan_batches(parts: Sequence[int], first: int, size: int) -> Iterator[list[int]]:
    """A small first batch (so PUTs start at once), then batches of ``size``."""
    index, step = 0, max(1, first)
    while index < len(parts):
        yield list(parts[index : index + step])
        index += step
        step = max(1, size)


class Transfer:
    def __init__(
        self,
        *,
        reader: ChunkReader,
        plan: ChunkPlan,
        checksums: ChecksumBook,
        presign: Presigner,
        parallel: int,
        listener: ProgressListener,
        cancel: threading.Event,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if parallel < 1:
            raise ValueError("parallel must be >= 1")
        self._reader = reader
        self._plan = plan
        self._checksums = checksums
        self._presign = presign
        self._parallel = parallel
        self._listener = listener
        self._cancel = cancel
        self._policy = policy or RetryPolicy()
        self._timeout = timeout
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def run(self, parts: Sequence[int]) -> TransferReport:
        """Upload ``parts``; returns what happened (never raises for a chunk's failure)."""
        todo = sorted(set(parts))
        report = TransferReport()
        if not todo:
            return report
        self._report = report
        self._stop = threading.Event()
        self._jobs: queue.Queue[tuple[int, PartTarget] | None] = queue.Queue(maxsize=2 * self._parallel)
        workers = min(self._parallel, len(todo))
        threads = [threading.Thread(target=self._produce, args=(todo, workers), name="presign", daemon=True)]
        threads += [threading.Thread(target=self._work, name=f"put-{n}", daemon=True) for n in range(workers)]
        for thread in threads:
            thread.start()
        try:
            while any(thread.is_alive() for thread in threads):
                if self._cancel.is_set():
                    self._stop.set()
                for thread in threads:
                    thread.join(0.05)
        except BaseException:  # KeyboardInterrupt without a SIGINT handler: stop the threads, then re-raise
            self._stop.set()
            self._cancel.set()
            raise
        report.cancelled = self._cancel.is_set() and len(report.done) < len(todo)
        report.done.sort()
        return report

    # -- producer --------------------------------------------------------------------------------------------

    def _produce(self, todo: list[int], workers: int) -> None:
        try:
            if all(p in self._checksums for p in todo):
                batch_size = 100
            else:
                batch_size = min(100, max(2 * self._parallel, LAZY_HASH_BUDGET // self._plan.chunk_size))
            for batch in plan_batches(todo, first=self._parallel, size=batch_size):
                if not self._checksums.ensure(batch, should_stop=self._halted) or self._halted():
                    return
                targets = self._presign(batch)
                for part in batch:
                    target = targets.get(part)
                    if target is None:
                        self._fail_all(f"the API returned no upload URL for chunk {part}")
                        return
                    if not self._enqueue((part, target)):
                        return
        except UploadError as exc:
            self._fail_all(str(exc))
        except Exception as exc:  # a bug must not hang the workers
            log.exception("presigning failed")
            self._fail_all(f"unexpected error while preparing chunks: {exc!r}")
        finally:
            for _ in range(workers):
                if not self._enqueue(None):
                    break

    def _enqueue(self, item: tuple[int, PartTarget] | None) -> bool:
        while not self._halted():
            try:
                self._jobs.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    # -- workers ---------------------------------------------------------------------------------------------

    def _work(self) -> None:
        buffer: memoryview | None = None
        connections = ConnectionCache(self._timeout)
        try:
            while not self._halted():
                try:
                    job = self._jobs.get(timeout=0.1)
                except queue.Empty:
                    continue
                if job is None or self._halted():
                    return
                if buffer is None:
                    buffer = memoryview(bytearray(self._plan.largest_chunk))
                part, target = job
                try:
                    self._send_part(part, target, buffer, connections)
                except _Abandoned:
                    return
                except _PartFailed as exc:
                    self._fail(part, str(exc))
                except FileChanged as exc:
                    self._fail_all(str(exc))
                except Exception as exc:
                    log.exception("chunk %d failed unexpectedly", part)
                    self._fail(part, f"chunk {part}: unexpected error: {exc!r}")
        finally:
            connections.close()

    def _send_part(
        self, part: int, target: PartTarget, buffer: memoryview, connections: ConnectionCache
    ) -> None:
        offset, length = self._plan.span(part)
        view = buffer[:length]
        failures = refreshes = 0
        if _expiring(target):
            target = self._refresh(part)
        while True:
            self._reader.read_into(view, offset)
            outcome, retry_after = self._put_once(target, view, connections)
            if outcome.verdict is Verdict.OK:
                with self._lock:
                    self._report.done.append(part)
                    self._report.bytes_sent += length
                self._listener.part_done(part, length)
                return
            failures += 1
            problem = f"chunk {part}: {outcome.code}: {outcome.message}"
            if outcome.verdict is Verdict.FATAL:
                raise _PartFailed(problem)
            if outcome.verdict is Verdict.DIGEST and b64_sha256(view) != self._checksums[part]:
                raise FileChanged(
                    f"chunk {part} of {self._reader.path} no longer matches the checksum computed when the "
                    "upload started: the file changed; upload it again"
                )
            if failures >= self._policy.max_attempts:
                raise _PartFailed(f"{problem} (gave up after {failures} attempts)")
            if outcome.verdict is Verdict.REFRESH:
                refreshes += 1
                if refreshes > self._policy.max_refreshes:
                    raise _PartFailed(f"{problem} (still refused after {refreshes - 1} fresh URLs)")
                target = self._refresh(part)
                if refreshes == 1:
                    continue  # an expired URL: the fresh one should work right away
            elif outcome.code == "connection_error" and failures >= 2:
                # S3 may drop the connection instead of answering 403 to a stale URL: try a fresh one,
                # but keep the old one if the API is unreachable too (the retries may still succeed).
                with contextlib.suppress(_PartFailed):
                    target = self._refresh(part)
            wait = retry_after if retry_after is not None else self._policy.delay(failures, self._rng)
            self._listener.note(
                f"{problem}; retrying in {wait:.1f}s (attempt {failures + 1}/{self._policy.max_attempts})"
            )
            if self._stop.wait(wait):
                raise _Abandoned

    def _put_once(
        self, target: PartTarget, view: memoryview, connections: ConnectionCache
    ) -> tuple[Outcome, float | None]:
        origin, request_target = split_url(target.url)
        connection = connections.get(origin)
        names = {name.lower() for name in target.headers}
        sent = 0
        try:
            connection.putrequest(
                target.method, request_target, skip_host="host" in names, skip_accept_encoding=True
            )
            for name, value in target.headers.items():
                connection.putheader(name, value)
            if "content-length" not in names:
                connection.putheader("Content-Length", str(len(view)))
            connection.endheaders()
            for start in range(0, len(view), SEND_SLICE):
                piece = view[start : start + SEND_SLICE]
                connection.send(piece)
                sent += len(piece)
                self._listener.sent(len(piece))
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connections.drop(origin)
            if sent:
                self._listener.sent(-sent)
            return classify_exception(exc), None
        outcome = classify_status(response.status, body)
        if outcome.verdict is not Verdict.OK:
            connections.drop(origin)  # the server may close after an error; start clean
            if sent:
                self._listener.sent(-sent)
        elif response.will_close:
            connections.drop(origin)
        return outcome, parse_retry_after(response.getheader("Retry-After"))

    def _refresh(self, part: int) -> PartTarget:
        try:
            target = self._presign([part]).get(part)
        except UploadError as exc:
            raise _PartFailed(f"chunk {part}: could not get a fresh upload URL: {exc}") from exc
        if target is None:
            raise _PartFailed(f"chunk {part}: the API returned no upload URL")
        return target

    # -- bookkeeping -----------------------------------------------------------------------------------------

    def _halted(self) -> bool:
        """Whether to stop taking work: cancelled by the caller, or a failure made the upload hopeless."""
        if self._cancel.is_set():
            self._stop.set()
        return self._stop.is_set()

    def _fail(self, part: int, message: str) -> None:
        """A chunk failed for good: the upload cannot complete, so stop handing out work."""
        with self._lock:
            self._report.failures[part] = message
        self._stop.set()

    def _fail_all(self, message: str) -> None:
        with self._lock:
            if self._report.error is None:
                self._report.error = message
        self._stop.set()


def _expiring(target: PartTarget) -> bool:
    return target.expires_at is not None and target.expires_at - time.time() < EXPIRY_MARGIN
