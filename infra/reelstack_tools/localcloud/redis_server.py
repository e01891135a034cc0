"""A real `redis-server` on loopback (ElastiCache's local stand-in), nothing persisted.

It runs in cluster mode, as ElastiCache Serverless always does: one node owns all 16,384 hash slots
(`CLUSTER ADDSLOTSRANGE 0 16383`), which is enough for the server to refuse what AWS refuses -- a
script, transaction or multi-key command whose keys hash to different slots answers CROSSSLOT, and
`SELECT` of any database but 0 fails. Its cluster config file (`nodes-<port>.conf` in the data dir)
is rewritten on every start. ElastiCache Serverless also refuses commands of more than 3,999
arguments; redis-server has no such cap (tests read the server's SLOWLOG to check argument counts).

`stop()` then `start()` restarts it on the same port, empty (as an ElastiCache node restart): clients
keep their URL and reconnect on their next command."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from reelstack_tools.localcloud.child_process import die_with_parent, free_port, spawn_kept

ALL_SLOTS = 16384


class RedisUnavailable(RuntimeError):
    pass


class RedisServer:
    def __init__(self, port: int, data_dir: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        # The cluster bus port, its own free port: the default (port + 10000) does not exist above 55535.
        self.bus_port = free_port(host)
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
        cluster_config = self.data_dir / f"nodes-{self.port}.conf"
        cluster_config.unlink(missing_ok=True)  # a fresh node each start: nothing is persisted
        command = [binary, "--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no"]
        command += ["--daemonize", "no", "--dir", str(self.data_dir)]
        command += ["--cluster-enabled", "yes", "--cluster-config-file", cluster_config.name]
        command += ["--cluster-port", str(self.bus_port)]
        self.process = self._spawn(command)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RedisUnavailable(f"redis-server exited with {self.process.returncode}: {tail}")
            if self._pong():
                self._own_all_slots(deadline)
                return
            time.sleep(0.02)
        self.stop()
        raise RedisUnavailable(f"redis-server did not answer on port {self.port} within {timeout} s")

    def _own_all_slots(self, deadline: float) -> None:
        """Assign every hash slot to this node and wait until the cluster says `cluster_state:ok`
        (a node that just started waits up to ~2 s before it declares itself writable)."""
        self._command("CLUSTER", "ADDSLOTSRANGE", "0", str(ALL_SLOTS - 1))
        while time.monotonic() < deadline:
            if b"cluster_state:ok" in self._command("CLUSTER", "INFO"):
                return
            time.sleep(0.05)
        self.stop()
        raise RedisUnavailable(f"redis-server on port {self.port} did not reach cluster_state:ok")

    def _popen(self, command: list[str]) -> subprocess.Popen[bytes]:
        with (self.data_dir / "redis.log").open("ab") as log_file:  # the child keeps its own copy
            return subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGKILL),  # even if the cloud dies by SIGKILL
            )

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return spawn_kept(lambda: self._popen(command), f"redis-server-{self.port}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _command(self, *args: str) -> bytes:
        """One command in RESP, its raw reply (a simple string, an error or one bulk string)."""
        request = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(arg.encode())}\r\n{arg}\r\n".encode() for arg in args
        )
        with socket.create_connection((self.host, self.port), timeout=2.0) as connection:
            connection.sendall(request)
            reply = connection.recv(65536)
            if reply.startswith(b"$"):
                header, _, body = reply.partition(b"\r\n")
                length = int(header[1:])
                while len(body) < length + 2:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                return body[:length]
        if reply.startswith(b"-"):
            raise RedisUnavailable(f"redis-server refused {' '.join(args)}: {reply.decode(errors='replace')}")
        return reply

    def _pong(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False
