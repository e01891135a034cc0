"""A real single-node OpenSearch 2.19 on loopback (Amazon OpenSearch Service's local stand-in).

The node is the Java launcher that `infra/search-node/` builds (`search_build`): OpenSearch's server
and modules from Maven Central, started in one JVM with a capped heap, its config, data and logs
under `home` (`search-node.log` there is its log). The cluster health turns green once it has a
manager; its default number of replicas is 0 (one node could never hold a replica).

`stop()` then `start()` restarts it on the same port and the same data (an OpenSearch node restart:
indexed documents survive); `wipe()` removes the data while it is stopped. `start_in_background()`
starts it on a thread, so that the rest of the local cloud does not wait for the JVM; `wait_ready()`
then waits for green (and raises what the start raised).

The JVM dies with this process: SIGTERM when the thread that started it ends or this process dies
(PR_SET_PDEATHSIG), and it exits by itself when its standard input, a pipe held here, closes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from reelstack_tools.localcloud.child_process import die_with_parent, free_port, spawn_kept
from reelstack_tools.localcloud.search_build import SearchNodeUnavailable, ensure_built, node_command, tool

__all__ = ["SEARCH_RESOURCE_TYPES", "SearchNode", "SearchNodeUnavailable"]

# What a template declares for the search tier; the local cloud runs the node when it declares one.
SEARCH_RESOURCE_TYPES = frozenset({"AWS::OpenSearchService::Domain", "AWS::OpenSearchServerless::Collection"})

SEARCH_START_TIMEOUT_S = 180.0  # a JVM on two busy cores; ~5 s when idle
STOP_TIMEOUT_S = 30.0


class SearchNode:
    def __init__(self, port: int, home: Path, host: str = "127.0.0.1", heap: str = "512m") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.transport_port = free_port(host)
        self.home = home
        self.heap = heap
        self.process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.started_in: float | None = None  # seconds from spawn to green, of the last start

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "search-node.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        return node_command(tool("java"), self.heap, self.home, self.port, self.transport_port)

    def start(self, timeout: float = SEARCH_START_TIMEOUT_S) -> None:
        """Build the node if needed, start it and wait until its cluster health is green."""
        self._ready.clear()
        self._failure = None
        self._stopped = False
        self._start(timeout)

    def _start(self, timeout: float) -> None:
        try:
            ensure_built()
            (self.home / "tmp").mkdir(parents=True, exist_ok=True)
            with self._lock:  # a stop() during the build wins: nothing is spawned after it
                if self._stopped:
                    raise SearchNodeUnavailable("the search node was stopped while it was starting")
                spawned = time.monotonic()
                self.process = self._spawn(self.command())
            self._wait_green(spawned + timeout)
            self.started_in = time.monotonic() - spawned
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()

    def start_in_background(self, timeout: float = SEARCH_START_TIMEOUT_S) -> threading.Thread:
        """`start()` on a thread; `wait_ready()` joins it."""
        self._ready.clear()
        self._failure = None
        self._stopped = False

        def run() -> None:
            with contextlib.suppress(BaseException):  # kept in self._failure for wait_ready()
                self._start(timeout)

        thread = threading.Thread(target=run, name=f"search-node-start-{self.port}", daemon=True)
        thread.start()
        return thread

    def wait_ready(self, timeout: float = SEARCH_START_TIMEOUT_S) -> None:
        """Wait for a start (in the background or not) to end; raise what it raised."""
        if not self._ready.wait(timeout):
            raise SearchNodeUnavailable(f"the search node did not start within {timeout} s")
        if self._failure is not None:
            raise SearchNodeUnavailable(f"the search node did not start: {self._failure}") from self._failure

    def _wait_green(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise SearchNodeUnavailable(f"the search node exited with {code}: {self._log_tail()}")
            if self.health(timeout=2.0).get("status") == "green" and self._no_replicas_by_default():
                return
            time.sleep(0.1)
        self.stop()
        raise SearchNodeUnavailable(
            f"the search node was not green on {self.url} in time: {self._log_tail()}"
        )

    def health(self, timeout: float = 2.0) -> dict[str, object]:
        """The cluster health document, or {} when the node does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=timeout) as response:
                document = json.loads(response.read())
        except (OSError, ValueError):
            return {}
        return document if isinstance(document, dict) else {}

    def _no_replicas_by_default(self) -> bool:
        """Has the launcher set the cluster's default number of replicas to 0 (right after its start)?
        Until then a new index would get a replica and leave the health yellow."""
        try:
            url = f"{self.url}/_cluster/settings?flat_settings=true"
            with urllib.request.urlopen(url, timeout=2.0) as response:
                persistent = json.loads(response.read()).get("persistent", {})
        except (OSError, ValueError, AttributeError):
            return False
        return bool(persistent.get("cluster.default_number_of_replicas") == "0")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"

    def _popen(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log_file:  # the child keeps its own copy
            return subprocess.Popen(
                command,
                cwd=self.home,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,  # held open here: the node exits when it closes
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),  # the node closes cleanly
            )

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return spawn_kept(lambda: self._popen(command), f"search-node-{self.port}")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (the launcher closes the node), then SIGKILL after `timeout`. Also cancels a start
        still in progress (in the background)."""
        with self._lock:
            self._stopped = True
            process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()

    def wipe(self) -> None:
        """Remove the node's data (only while it is stopped)."""
        if self.running:
            raise SearchNodeUnavailable("wipe() needs a stopped node")
        shutil.rmtree(self.home / "data", ignore_errors=True)
