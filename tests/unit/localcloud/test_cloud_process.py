"""`running_local_cloud`'s hold on its subprocess, with a stand-in process (no sockets)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.localcloud import client


def test_a_cloud_interrupted_while_starting_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a cloud process that is still starting when Ctrl-C arrives
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(subprocess.Popen(["sleep", "60"]))
        return started[0]

    def interrupted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setattr(client, "start_cloud_process", start)
    monkeypatch.setattr(client, "wait_until_ready", interrupted)
    # WHEN running_local_cloud is waiting for it
    with (
        pytest.raises(KeyboardInterrupt),
        client.running_local_cloud(tmp_path / "t.yaml", tmp_path / "state"),
    ):
        pass
    # THEN the process does not outlive the interruption
    assert started[0].poll() is not None
