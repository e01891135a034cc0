"""One function's worker pool in-process, with real worker processes and no cloud around it."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from reelstack_tools.localcloud.client import pid_alive
from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.local_env import INFRA_DIR
from reelstack_tools.localcloud.logs import FunctionLogs
from reelstack_tools.localcloud.pool import FunctionPool
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_a_failed_init_is_retried_in_a_fresh_worker(tmp_path: Path) -> None:
    # GIVEN a function whose module fails to import (a dependency is missing)
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("import not_installed_yet\n")
    spec = FunctionSpec(logical_id="F", name="F", code_dir=code, handler="app.handler")
    env = {**os.environ, "PYTHONPATH": str(INFRA_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    pool = FunctionPool(spec, env, FunctionLogs(tmp_path / "logs"), max_workers=1)
    try:
        first = pool.invoke("{}")
        assert first.error_type == "Runtime.ImportModuleError"
        # WHEN the cause is fixed and the function is invoked again
        (code / "app.py").write_text("def handler(event, context):\n    return {'ok': True}\n")
        second = pool.invoke("{}")
        # THEN it is initialised again (as Lambda does after a failed init) and works
        assert (second.error_type, json.loads(second.payload), second.cold_start) == (
            None,
            {"ok": True},
            True,
        )
        assert len(pool.pids()) == 1
    finally:
        pool.stop()


def test_a_timed_out_worker_is_killed_with_the_processes_it_started(tmp_path: Path) -> None:
    # GIVEN a function (Timeout 3 s: time to start its child however loaded the machine) whose handler
    # starts a long child process (as ffmpeg would be) and then overruns
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(
        "import subprocess, time\n"
        "def handler(event, context):\n"
        "    child = subprocess.Popen(['sleep', '600'])\n"
        "    open(event['pid_file'], 'w').write(str(child.pid))\n"
        "    time.sleep(30)\n"
    )
    spec = FunctionSpec(logical_id="F", name="F", code_dir=code, handler="app.handler", timeout=3)
    env = {**os.environ, "PYTHONPATH": str(INFRA_DIR), "PYTHONDONTWRITEBYTECODE": "1"}
    pool = FunctionPool(spec, env, FunctionLogs(tmp_path / "logs"), max_workers=1)
    pid_file = tmp_path / "child.pid"
    child = 0
    try:
        # WHEN it overruns its timeout
        result = pool.invoke(json.dumps({"pid_file": str(pid_file)}))
        assert result.error_type == "Sandbox.Timedout"
        # THEN its child is gone too (not left running, orphaned): within 60 s on a loaded machine, long
        # before the child's own 600 s would have ended it
        child = int(pid_file.read_text())
        assert wait_for(lambda: not pid_alive(child), timeout=60)
    finally:
        pool.stop()
        if child and pid_alive(child):
            os.kill(child, signal.SIGKILL)
