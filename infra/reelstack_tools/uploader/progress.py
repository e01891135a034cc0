"""Progress listeners. The uploader calls them from worker threads, so implementations must be thread-safe.

``ProgressListener`` does nothing; subclass it and override what you need (the demo overrides ``part_done``
to cancel an upload after a few chunks). ``RichProgress`` is the CLI's bar on stderr: bytes, throughput, ETA.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any, TextIO


class ProgressListener:
    """No-op base: every hook is optional."""

    def hashing_started(self, total_bytes: int) -> None:
        """A checksum pass over ``total_bytes`` starts (before the upload session is opened)."""

    def hashed(self, nbytes: int) -> None:
        """``nbytes`` more were hashed."""

    def transfer_started(
        self, *, total_bytes: int, done_bytes: int, total_parts: int, done_parts: int
    ) -> None:
        """Chunks start to flow; ``done_*`` were already on the server (resumed)."""

    def sent(self, nbytes: int) -> None:
        """``nbytes`` more went out; negative when a failed attempt is rolled back before its retry."""

    def part_done(self, part_number: int, nbytes: int) -> None:
        """The server accepted a chunk."""

    def note(self, message: str) -> None:
        """Something the user should read (resuming, retries, re-uploads)."""


class RichProgress(ProgressListener):
    """A ``rich`` progress bar; use it as a context manager around the upload."""

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._console = Console(file=stream or sys.stderr)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[parts]}"),
            console=self._console,
        )
        self._label = label
        self._lock = threading.Lock()
        self._hash_task: Any = None
        self._task: Any = None
        self._total_parts = 0
        self._done_parts = 0

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def hashing_started(self, total_bytes: int) -> None:
        self._hash_task = self._progress.add_task("sha256", total=total_bytes, parts="")

    def hashed(self, nbytes: int) -> None:
        if self._hash_task is not None:
            self._progress.advance(self._hash_task, nbytes)

    def transfer_started(
        self, *, total_bytes: int, done_bytes: int, total_parts: int, done_parts: int
    ) -> None:
        with self._lock:
            self._total_parts, self._done_parts = total_parts, done_parts
            if self._task is None:
                self._task = self._progress.add_task(
                    self._label, total=total_bytes, completed=done_bytes, parts=self._parts_text()
                )
            else:  # a re-upload round after the server listed missing chunks: they are not done any more
                self._progress.update(self._task, completed=done_bytes, parts=self._parts_text())

    def sent(self, nbytes: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, nbytes)

    def part_done(self, part_number: int, nbytes: int) -> None:
        with self._lock:
            self._done_parts += 1
            if self._task is not None:
                self._progress.update(self._task, parts=self._parts_text())

    def note(self, message: str) -> None:
        self._progress.console.print(message, markup=False, highlight=False)

    def _parts_text(self) -> str:
        return f"{min(self._done_parts, self._total_parts)}/{self._total_parts} chunks"


class NotePrinter(ProgressListener):
    """No bar, but notes still reach ``stream`` (used with ``--json`` when stderr is not a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()

    def note(self, message: str) -> None:
        with self._lock:
            self._stream.write(message + "\n")
            self._stream.flush()


class CancelAfterParts(ProgressListener):
    """Sets `cancel` once `parts` chunks are in: a deliberate interruption (the demo's dropped upload)."""

    def __init__(self, parts: int, cancel: threading.Event) -> None:
        self.parts = parts
        self.cancel = cancel
        self.done = 0
        self._lock = threading.Lock()

    def part_done(self, part_number: int, nbytes: int) -> None:
        with self._lock:
            self.done += 1
            if self.done >= self.parts:
                self.cancel.set()
