"""Function log files under the state directory."""

from __future__ import annotations

import os
from pathlib import Path

from reelstack_tools.localcloud.logs import FunctionLogs


def test_lines_arriving_after_close_open_no_file_again(tmp_path: Path) -> None:
    # GIVEN the logs of a cloud that wrote one line and then stopped (closed its files)
    logs = FunctionLogs(tmp_path)
    logs.write("EchoFunction", "START\n")
    logs.close()
    open_before = len(os.listdir("/proc/self/fd"))
    # WHEN a worker's last lines arrive afterwards
    logs.write("EchoFunction", "late\n")
    logs.write("OtherFunction", "late\n")
    # THEN no file is reopened (nothing would close it again)
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert (tmp_path / "EchoFunction.log").read_text() == "START\n"
    assert not (tmp_path / "OtherFunction.log").exists()
