"""Frames between the cloud and a worker, over an OS pipe (no sockets)."""

from __future__ import annotations

import os
import time

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
        started = time.monotonic()
        with pytest.raises(FrameTimeout):
            read_frame_fd(read_end, time.monotonic() + 0.2)
        assert time.monotonic() - started < 1
        os.close(write_end)
        assert read_frame_fd(read_end, time.monotonic() + 1) is None
    finally:
        os.close(read_end)
