"""Frames between the cloud and a worker, over an OS pipe (no sockets)."""

from __future__ import annotations

import io
import os
import time
from typing import Any

import pytest

from reelstack_tools.localcloud.framing import FrameTimeout, read_frame, read_frame_fd, write_frame


def test_frames_round_trip_and_end_of_stream_is_none() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as writer:
        write_frame(writer, {"payload": "é" * 10, "n": 1})
        write_frame(writer, [1, 2])
    with os.fdopen(read_end, "rb") as reader:
        assert read_frame(reader) == {"payload": "é" * 10, "n": 1}
        assert read_frame(reader) == [1, 2]
        assert read_frame(reader) is None


def test_a_silent_peer_times_out() -> None:
    read_end, write_end = os.pipe()
    try:
        # WHEN a frame is read with a deadline 0.2 s away and nothing is written
        started = time.monotonic()
        with pytest.raises(FrameTimeout):
            read_frame_fd(read_end, started + 0.2)
        # THEN it gives up, not before its deadline (how long after depends on the machine's load)
        assert time.monotonic() - started >= 0.19
        os.close(write_end)
        assert read_frame_fd(read_end, time.monotonic() + 1) is None
    finally:
        os.close(read_end)


def test_a_descriptor_numbered_above_1023_can_be_read() -> None:
    # GIVEN a worker pipe whose read end is descriptor 1500 (a busy cloud process has that many open)
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] <= 1500:
        pytest.skip("the descriptor limit is too low for this test")
    read_end, write_end = os.pipe()
    high = os.dup2(read_end, 1500)
    os.close(read_end)
    try:
        with os.fdopen(write_end, "wb") as writer:
            write_frame(writer, {"ok": True})
        # WHEN a frame is read from it with a deadline
        frame = read_frame_fd(high, time.monotonic() + 1)
        # THEN it arrives (select() would raise "filedescriptor out of range")
        assert frame == {"ok": True}
    finally:
        os.close(high)


class ShortWrites(io.RawIOBase):
    """A raw pipe that takes at most 5 bytes per write (as a pipe interrupted by a signal may)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.data += bytes(data[:5])
        return min(len(data), 5)


def test_a_frame_is_written_whole_to_a_pipe_that_takes_part_of_it() -> None:
    # GIVEN a raw stream that accepts only a few bytes per call WHEN a frame is written
    stream = ShortWrites()
    write_frame(stream, {"payload": "x" * 100})  # type: ignore[arg-type]
    # THEN all of it arrives, and reads back as the same frame
    assert read_frame(io.BytesIO(bytes(stream.data))) == {"payload": "x" * 100}
