"""Worker processes of one function: cold starts, warm reuse, a concurrency cap, timeouts, crashes.

Each worker is `python -m reelstack_tools.localcloud.worker` with the function's own environment, in
its own session (Ctrl-C in a terminal reaches only the cloud, which then stops its workers; a worker is
killed together with every process it started). A worker that overruns the function's Timeout is killed
and the caller gets `Sandbox.Timedout`; a worker that dies mid-invocation yields `Runtime.ExitError` and
is replaced on the next invocation; a worker whose init failed is replaced on the next invocation too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from reelstack_tools.localcloud.framing import FrameTimeout, read_frame_fd, write_frame
from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.logs import FunctionLogs

INIT_TIMEOUT_SECONDS = 30.0  # Lambda allows 10 s; this machine is small and cold imports are heavy


class Throttled(Exception):
    """No concurrency left for a function with reserved concurrency."""


class CloudStopping(RuntimeError):
    """The local cloud is stopping: it takes no new invocations."""


@dataclass
class InvokeResult:
    payload: bytes
    request_id: str
    error_type: str | None = None
    duration_ms: float = 0.0
    cold_start: bool = False

    @property
    def function_error(self) -> str | None:
        return "Unhandled" if self.error_type else None

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


def error_result(request_id: str, error_type: str, message: str) -> InvokeResult:
    body = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}
    return InvokeResult(payload=json.dumps(body).encode(), request_id=request_id, error_type=error_type)


class WorkerProcess:
    """One sandbox process and the pipes to it."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], logs: FunctionLogs) -> None:
        self.spec = spec
        config = {
            "handler": spec.handler,
            "code_dir": str(spec.code_dir),
            "python_path": [str(path) for path in spec.python_path],
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reelstack_tools.localcloud.worker", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(spec.code_dir),
            start_new_session=True,
            bufsize=0,
        )
        self._logs = logs
        self._pump = threading.Thread(target=self._pump_logs, name=f"logs-{spec.name}", daemon=True)
        self._pump.start()
        self.init_error: dict[str, Any] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float) -> bool:
        """Wait for the cold start; False if the process died or took too long."""
        try:
            frame = read_frame_fd(self._stdout_fd(), time.monotonic() + timeout)
        except FrameTimeout:
            return False
        if frame is None:
            return False
        self.init_error = frame.get("error")
        return True

    def call(self, request: dict[str, Any], deadline: float) -> dict[str, Any] | None:
        """Send one invocation; the answer, or None if the process died. Raises FrameTimeout."""
        assert self.process.stdin is not None
        try:
            write_frame(self.process.stdin, request)
        except (BrokenPipeError, OSError):
            return None
        frame = read_frame_fd(self._stdout_fd(), deadline)
        return frame if isinstance(frame, dict) else None

    def kill(self) -> None:
        """SIGKILL the worker and every process it started (its session's process group, so an ffmpeg
        child does not outlive it). SIGKILL only: safe from any thread (the pipes' user sees end of stream)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill, reap and close the pipes; only by the thread that owns the worker."""
        self.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def exit_description(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.wait()
        return "signal: killed" if code == -9 else (f"signal: {-code}" if code < 0 else f"exit status {code}")

    def _stdout_fd(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def _pump_logs(self) -> None:
        assert self.process.stderr is not None
        for raw in iter(self.process.stderr.readline, b""):
            self._logs.write(self.spec.name, raw.decode("utf-8", "replace"))
        self.process.stderr.close()


class FunctionPool:
    """Warm workers of one function, at most `max_workers` busy at once."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], logs: FunctionLogs, max_workers: int) -> None:
        self.spec = spec
        self.max_workers = max_workers
        self._env = env
        self._logs = logs
        self._slots = threading.BoundedSemaphore(max(max_workers, 1))
        self._lock = threading.Lock()
        self._idle: list[WorkerProcess] = []
        self._busy: set[WorkerProcess] = set()
        self._stopped = False

    def invoke(
        self, payload: str, *, wait_for_slot: bool = True, request_id: str | None = None
    ) -> InvokeResult:
        request_id = request_id or str(uuid.uuid4())
        if self.max_workers == 0 or not self._slots.acquire(blocking=wait_for_slot):
            raise Throttled(self.spec.name)
        try:
            worker, cold = self._take()
            try:
                return self._run(worker, cold, payload, request_id)
            finally:
                self._give_back(worker)
        finally:
            self._slots.release()

    def kill_one(self) -> int | None:
        """SIGKILL a busy worker (an idle one if none is busy); its pid, or None if there is none."""
        with self._lock:
            busy = next(iter(self._busy), None)
            idle = self._idle.pop() if busy is None and self._idle else None
        if busy is not None:
            busy.kill()  # the invoking thread sees the crash and reaps it
            return busy.pid
        if idle is not None:
            idle.close()
            return idle.pid
        return None

    def pids(self) -> list[int]:
        with self._lock:
            return [worker.pid for worker in [*self._idle, *self._busy] if worker.alive()]

    def busy_pids(self) -> list[int]:
        with self._lock:
            return [worker.pid for worker in self._busy if worker.alive()]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            idle, busy = list(self._idle), list(self._busy)
            self._idle.clear()
        for worker in busy:
            worker.kill()  # their invoking threads reap them
        for worker in idle:
            worker.close()

    def _take(self) -> tuple[WorkerProcess, bool]:
        with self._lock:
            if self._stopped:
                raise CloudStopping("the local cloud is stopping")
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker, False
                worker.close()
        worker = WorkerProcess(self.spec, self._env, self._logs)
        with self._lock:
            if self._stopped:
                worker.close()
                raise CloudStopping("the local cloud is stopping")
            self._busy.add(worker)
        return worker, True

    def _give_back(self, worker: WorkerProcess) -> None:
        with self._lock:
            self._busy.discard(worker)
            if worker.alive() and not self._stopped:
                self._idle.append(worker)
                return
        worker.close()

    def _run(self, worker: WorkerProcess, cold: bool, payload: str, request_id: str) -> InvokeResult:
        spec = self.spec
        if cold and (failed := self._cold_start(worker, request_id)) is not None:
            return failed
        started = time.monotonic()
        request = {
            "payload": payload,
            "context": {
                "aws_request_id": request_id,
                "function_name": spec.name,
                "invoked_function_arn": spec.arn,
                "memory_limit_in_mb": spec.memory_mb,
                "deadline_ms": int(time.time() * 1000) + spec.timeout * 1000,
                "log_stream_name": f"local/{worker.pid}",
            },
        }
        try:
            answer = worker.call(request, started + spec.timeout)
        except FrameTimeout:
            worker.close()
            message = f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds"
            self._logs.write(spec.name, message)
            return error_result(request_id, "Sandbox.Timedout", message)
        duration = (time.monotonic() - started) * 1000
        if answer is None:
            return self._exited(worker, request_id)
        if answer.get("ok"):
            body = str(answer.get("payload", "null")).encode()
            return InvokeResult(body, request_id, duration_ms=duration, cold_start=cold)
        return _function_error(answer.get("error"), request_id, duration, cold)

    def _cold_start(self, worker: WorkerProcess, request_id: str) -> InvokeResult | None:
        """None once the new worker is ready; else what the invocation gets (and the worker is discarded)."""
        if not worker.wait_ready(INIT_TIMEOUT_SECONDS):
            if not worker.alive():
                return self._exited(worker, request_id)
            worker.close()
            return error_result(
                request_id, "Sandbox.Timedout", f"Init timed out after {INIT_TIMEOUT_SECONDS} s"
            )
        if worker.init_error is not None:
            worker.close()  # as in Lambda, a failed init is tried again in a fresh sandbox next time
            return _function_error(worker.init_error, request_id, 0.0, cold=True)
        return None

    def _exited(self, worker: WorkerProcess, request_id: str) -> InvokeResult:
        message = f"RequestId: {request_id} Error: Runtime exited with error: {worker.exit_description()}"
        self._logs.write(self.spec.name, message)
        return error_result(request_id, "Runtime.ExitError", message)


def _function_error(error: Any, request_id: str, duration_ms: float, cold: bool) -> InvokeResult:
    """The result of an invocation the function (or its init) failed, from the worker's error document."""
    body = dict(error or {})
    body.setdefault("requestId", request_id)
    error_type = str(body.get("errorType") or "Unhandled")
    return InvokeResult(json.dumps(body).encode(), request_id, error_type, duration_ms, cold)
