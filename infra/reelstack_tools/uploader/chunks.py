"""Chunk planning, chunk reading and checksums. No network; memory stays at one block per reader.

Part numbers are 1-based, as in S3. A chunk's checksum is the base64 SHA-256 of its bytes (what S3 expects in
``x-amz-checksum-sha256``); the whole-file digest is lowercase hex SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .errors import FileChanged
from .sizes import MiB

BLOCK_SIZE = 1 * MiB
"""How much a hashing pass reads at a time (its only buffer)."""

ByteCallback = Callable[[int], None]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class ChunkPlan:
    """How a file of ``size`` bytes splits into chunks of ``chunk_size`` (the last one may be shorter)."""

    size: int
    chunk_size: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"size must be >= 0, got {self.size}")
        if self.chunk_size <= 0:
            raise ValueError(f"chunk size must be > 0, got {self.chunk_size}")

    @property
    def chunk_count(self) -> int:
        return -(-self.size // self.chunk_size)

    @property
    def largest_chunk(self) -> int:
        return min(self.size, self.chunk_size)

    def parts(self) -> range:
        return range(1, self.chunk_count + 1)

    def span(self, part_number: int) -> tuple[int, int]:
        """``(offset, length)`` of a 1-based part."""
        if not 1 <= part_number <= self.chunk_count:
            raise ValueError(f"part {part_number} is outside 1..{self.chunk_count}")
        offset = (part_number - 1) * self.chunk_size
        return offset, min(self.chunk_size, self.size - offset)

    def length(self, part_number: int) -> int:
        return self.span(part_number)[1]

    def bytes_in(self, part_numbers: Iterable[int]) -> int:
        return sum(self.length(p) for p in set(part_numbers))


def b64_sha256(data: bytes | bytearray | memoryview) -> str:
    """The base64 SHA-256 S3 checks in ``x-amz-checksum-sha256``."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class ChunkReader:
    """Reads byte ranges of one file into caller-owned buffers; safe to share between threads."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._lock = threading.Lock()  # only for platforms without os.preadv (seek + read is not atomic)

    def read_into(self, buffer: memoryview, offset: int) -> None:
        """Fill ``buffer`` from ``offset``; raise ``FileChanged`` if the file ends first."""
        filled = 0
        wanted = len(buffer)
        while filled < wanted:
            got = self._read_at(buffer[filled:], offset + filled)
            if got == 0:
                raise FileChanged(
                    f"{self.path} ended at byte {offset + filled}, expected {offset + wanted}: "
                    "the file changed while it was being uploaded"
                )
            filled += got

    def _read_at(self, buffer: memoryview, offset: int) -> int:
        if hasattr(os, "preadv"):
            return os.preadv(self._fd, [buffer], offset)
        with self._lock:  # pragma: no cover - exercised on platforms without preadv only
            os.lseek(self._fd, offset, os.SEEK_SET)
            return os.readv(self._fd, [buffer])

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ChunkReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass
class Digests:
    """Result of a hashing pass: per-chunk base64 SHA-256, and the whole file's hex SHA-256 when asked."""

    checksums: dict[int, str] = field(default_factory=dict)
    sha256_hex: str | None = None


def digest_parts(
    reader: ChunkReader,
    plan: ChunkPlan,
    part_numbers: Sequence[int],
    *,
    whole_file: bool = False,
    block_size: int = BLOCK_SIZE,
    on_bytes: ByteCallback | None = None,
    should_stop: StopCheck | None = None,
) -> Digests | None:
    """Hash the given chunks in one sequential read, ``block_size`` bytes at a time.

    With ``whole_file`` the parts must be all of them, in order, and the file's SHA-256 is computed in the
    same read, on a helper thread (hashlib releases the GIL), so the pass costs about one hash, not two.
    Returns ``None`` if ``should_stop`` turned true before the pass finished.
    """
    if whole_file and list(part_numbers) != list(plan.parts()):
        raise ValueError("a whole-file digest needs every part, in order")
    buffer = memoryview(bytearray(min(block_size, max(plan.largest_chunk, 1))))
    digests = Digests()
    file_hash = hashlib.sha256() if whole_file else None
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") if whole_file else None
    try:
        for part in part_numbers:
            offset, length = plan.span(part)
            chunk_hash = hashlib.sha256()
            done = 0
            while done < length:
                if should_stop is not None and should_stop():
                    return None
                block = buffer[: min(len(buffer), length - done)]
                reader.read_into(block, offset + done)
                if file_hash is not None and helper is not None:
                    pending = helper.submit(file_hash.update, block)
                    chunk_hash.update(block)
                    pending.result()
                else:
                    chunk_hash.update(block)
                done += len(block)
                if on_bytes is not None:
                    on_bytes(len(block))
            digests.checksums[part] = base64.b64encode(chunk_hash.digest()).decode("ascii")
    finally:
        if helper is not None:
            helper.shutdown(wait=True)
    if file_hash is not None:
        digests.sha256_hex = file_hash.hexdigest()
    return digests


class ChecksumBook:
    """Per-chunk checksums, computed ahead of need (one producer thread fills, workers read)."""

    def __init__(self, reader: ChunkReader, plan: ChunkPlan, known: dict[int, str] | None = None) -> None:
        self._reader = reader
        self._plan = plan
        self._sums: dict[int, str] = dict(known or {})

    def __getitem__(self, part_number: int) -> str:
        return self._sums[part_number]

    def __contains__(self, part_number: object) -> bool:
        return part_number in self._sums

    def ensure(self, part_numbers: Sequence[int], should_stop: StopCheck | None = None) -> bool:
        """Compute the checksums still unknown among ``part_numbers``; ``False`` if stopped first."""
        missing = [p for p in part_numbers if p not in self._sums]
        if not missing:
            return True
        digests = digest_parts(self._reader, self._plan, missing, should_stop=should_stop)
        if digests is None:
            return False
        self._sums.update(digests.checksums)
        return True
