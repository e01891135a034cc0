"""`LocalCloud.stop()` with stand-ins for its parts (no sockets, no processes)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reelstack_tools.localcloud.cloud import CloudOptions, LocalCloud


class Part:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True
        if self.fails:
            raise OSError("socket already closed")


def test_a_part_that_fails_to_stop_does_not_leave_the_others_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a cloud whose API server fails to stop
    cloud = LocalCloud(CloudOptions(state_dir=tmp_path))
    api, moto, redis = Part(fails=True), Part(), Part()
    cloud._api, cloud._moto, cloud._redis = api, moto, redis  # type: ignore[assignment]
    # WHEN the cloud stops
    with caplog.at_level(logging.ERROR):
        cloud.stop()
    # THEN the AWS endpoint and redis-server are stopped all the same, and the failure is logged
    assert (api.stopped, moto.stopped, redis.stopped) == (True, True, True)
    assert "socket already closed" in caplog.text
