"""Length-prefixed JSON frames between the cloud and a function's worker process.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. The worker side uses
blocking file objects; the cloud side reads a raw pipe descriptor with a deadline (`poll`, which, unlike
`select`, accepts descriptors numbered 1024 and above, as a busy cloud process has).
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import IO, Any

_HEADER = struct.Struct(">I")


class FrameTimeout(TimeoutError):
    """The peer did not answer before the deadline."""


def encode(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def write_frame(stream: IO[bytes], message: Any) -> None:
    """Write one whole frame; a raw (unbuffered) pipe may take only part of it per call."""
    data = memoryview(encode(message))
    while data:
        data = data[stream.write(data) :]
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any | None:
    """Blocking read of one frame; None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    body = stream.read(length)
    if len(body) < length:
        return None
    return json.loads(body)


def read_frame_fd(fd: int, deadline: float) -> Any | None:
    """Read one frame from a raw descriptor; None at end of stream; FrameTimeout past `deadline`."""
    header = _read_exactly(fd, _HEADER.size, deadline)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    body = _read_exactly(fd, length, deadline)
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, size: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while remaining:
        wait = deadline - time.monotonic()
        if wait <= 0 or not poller.poll(max(1, math.ceil(wait * 1000))):
            raise FrameTimeout()
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
