"""A real `redis-server` on loopback (ElastiCache's local stand-in), nothing persisted.

`stop()` then `start()` restarts it on the same port, empty (as an ElastiCache node restart): clients
keep their URL and reconnect on their next command."""

from __future__ import annotations

import contextlib
import ctypes
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path


class RedisUnavailable(RuntimeError):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: SIGKILL when the cloud process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class RedisServer:
    def __init__(self, port: int, data_dir: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
        )
        if binary is None:
            raise RedisUnavailable("redis-server is not installed (make sysdeps installs it)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [binary, "--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no"]
        command += ["--daemonize", "no", "--dir", str(self.data_dir)]
        self.process = self._spawn(command)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RedisUnavailable(f"redis-server exited with {self.process.returncode}: {tail}")
            if self._pong():
                return
            time.sleep(0.02)
        self.stop()
        raise RedisUnavailable(f"redis-server did not answer on port {self.port} within {timeout} s")

    def _popen(self, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.data_dir / "redis.log").open("ab") as log_file:  # the child keeps its own copy
            return subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        """Start the child so that it dies with this process. PR_SET_PDEATHSIG fires when the *thread*
        that forked it ends: off the main thread (a control request), fork from a keeper thread that
        lives exactly as long as the child (it waits on it)."""
        if threading.current_thread() is threading.main_thread():
            return self._popen(command)
        spawned: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue(maxsize=1)

        def keep() -> None:
            try:
                process = self._popen(command)
            except BaseException as exc:  # handed to the caller
                spawned.put(exc)
                return
            spawned.put(process)
            process.wait()

        threading.Thread(target=keep, name=f"redis-server-{self.port}", daemon=True).start()
        result = spawned.get()
        if isinstance(result, BaseException):
            raise result
        return result

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _pong(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False
