"""Use a local cloud that runs as another process: `running_local_cloud(...)` starts `reelstack up` as a
subprocess and waits until it is ready; `CloudHandle` talks to it (boto3 clients, tokens, invocations,
killing workers, stopping and starting Redis, firing schedules) through its endpoints and cloud.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud import cloudfile
from reelstack_tools.localcloud.local_env import INFRA_DIR


class CloudStartError(RuntimeError):
    """`reelstack up` exited or did not become ready in time."""


@dataclass
class Invocation:
    status_code: int
    payload: Any
    function_error: str | None = None
    request_id: str | None = None

    @property
    def error_type(self) -> str | None:
        if self.function_error and isinstance(self.payload, dict):
            return str(self.payload.get("errorType"))
        return None


@dataclass
class CloudHandle:
    info: dict[str, Any]
    process: subprocess.Popen[bytes] | None = None
    startup_seconds: float | None = None

    @classmethod
    def from_state_dir(cls, state_dir: Path | str) -> CloudHandle:
        info = cloudfile.read(Path(state_dir))
        if info is None or not info.get("ready"):
            raise CloudStartError(f"no running local cloud in {state_dir}")
        return cls(info)

    # -- endpoints and names ---------------------------------------------------------------------------

    @property
    def aws_endpoint(self) -> str:
        return str(self.info["aws_endpoint"])

    @property
    def api_url(self) -> str:
        return str(self.info["api_url"])

    @property
    def redis_url(self) -> str:
        return str(self.info["redis_url"])

    @property
    def search_url(self) -> str | None:
        """The OpenSearch node's URL, when the template declares a search domain."""
        url = self.info.get("search_url")
        return None if url is None else str(url)

    @property
    def region(self) -> str:
        return str(self.info["region"])

    @property
    def state_dir(self) -> Path:
        return Path(self.info["state_dir"])

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.info["resources"])

    def name(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["name"])

    def arn(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["arn"])

    def queue_url(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["url"])

    def environment(self) -> dict[str, str]:
        """Variables that point an AWS SDK at this cloud."""
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    # -- SDK -------------------------------------------------------------------------------------------

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for this cloud (S3 clients sign with SigV4, as presigned URLs need)."""
        from reelstack_tools.localcloud.clients import make_client

        return make_client(service, self.aws_endpoint, **kwargs)

    def token(self, user: str, roles: Iterable[str] = (), ttl: int = 3600) -> str:
        from reelstack_tools.tokens import issue_token

        return issue_token(self.state_dir, user, roles, ttl)

    def logs(self, function: str) -> str:
        path = Path(self.info["logs_dir"]) / f"{function}.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    # -- Lambda and control API ---------------------------------------------------------------------------

    def invoke(
        self, function: str, event: Any = None, invocation_type: str = "RequestResponse"
    ) -> Invocation:
        body = json.dumps({} if event is None else event).encode()
        request = urllib.request.Request(
            f"{self.aws_endpoint}/2015-03-31/functions/{function}/invocations",
            data=body,
            method="POST",
            headers={"X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=900) as response:
            raw = response.read()
            return Invocation(
                status_code=response.status,
                payload=json.loads(raw) if raw else None,
                function_error=response.headers.get("X-Amz-Function-Error"),
                request_id=response.headers.get("X-Amzn-RequestId"),
            )

    def control(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.aws_endpoint}/_localcloud/{path}", method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=900) as response:
            return json.loads(response.read())

    def kill_worker(self, function: str) -> int | None:
        """SIGKILL one of the function's workers (a busy one if any); its pid, or None."""
        killed = self.control("POST", f"functions/{function}/kill")["killed"]
        return None if killed is None else int(killed)

    def stop_redis(self) -> None:
        """Stop the cloud's redis-server (an ElastiCache outage): the functions' Redis calls fail."""
        self.control("POST", "redis/stop")

    def start_redis(self) -> str:
        """Start redis-server again on the same port, empty; its URL (unchanged)."""
        return str(self.control("POST", "redis/start")["url"])

    def redis_running(self) -> bool:
        return bool(self.control("GET", "redis")["running"])

    def pause_sources(self, function: str) -> int:
        """Stop delivering the function's SQS messages (a stalled worker); how many sources paused."""
        return int(self.control("POST", f"functions/{function}/sources/pause")["sources"])

    def resume_sources(self, function: str) -> int:
        return int(self.control("POST", f"functions/{function}/sources/resume")["sources"])

    def stop_search(self) -> None:
        """Stop the cloud's search node (a domain outage): the functions' search calls fail."""
        self.control("POST", "search/stop")

    def start_search(self) -> str:
        """Start the search node again on the same port and data (indices survive); its URL, once green."""
        return str(self.control("POST", "search/start")["url"])

    def search_running(self) -> bool:
        return bool(self.control("GET", "search")["running"])

    def fire_schedule(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.control(
            "POST", f"schedules/{name}/fire?wait={'true' if wait else 'false'}"
        )["results"]
        return results

    def worker_pids(self, busy_only: bool = False) -> dict[str, list[int]]:
        """Live worker processes per function (only those running an invocation, with `busy_only`)."""
        functions = self.control("GET", "functions")["functions"]
        key = "busy" if busy_only else "workers"
        return {name: list(entry[key]) for name, entry in functions.items()}


def descendants(pid: int) -> list[int]:
    """Every live process under `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start_cloud_process(
    template: Path,
    state_dir: Path,
    *,
    aws_port: int = 0,
    api_port: int = 0,
    redis_port: int = 0,
    search_port: int = 0,
    visibility_timeout_cap: int | None = None,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    state_dir.mkdir(parents=True, exist_ok=True)
    # Refused here too, before cloud.out is opened: truncating a running cloud's log would hide why.
    previous = cloudfile.read(state_dir)
    if previous and previous.get("ready") and pid_alive(int(previous.get("pid", 0))):
        raise CloudStartError(
            f"another local cloud (pid {previous['pid']}) is running with state dir {state_dir}"
        )
    command = [
        sys.executable,
        "-m",
        "reelstack_tools.localcloud",
        "--template",
        str(template),
        "--state-dir",
        str(state_dir),
        "--aws-port",
        str(aws_port),
        "--api-port",
        str(api_port),
        "--redis-port",
        str(redis_port),
        "--search-port",
        str(search_port),
        *extra_args,
    ]
    if visibility_timeout_cap is not None:
        command += ["--visibility-timeout-cap", str(visibility_timeout_cap)]
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(INFRA_DIR), environment.get("PYTHONPATH")]))
    output = (state_dir / "cloud.out").open("wb")
    try:
        return subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment
        )
    finally:
        output.close()


def wait_until_ready(process: subprocess.Popen[bytes], state_dir: Path, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = cloudfile.read(state_dir)
        if info and info.get("ready") and info.get("pid") == process.pid:
            return info
        if process.poll() is not None:
            break
        time.sleep(0.05)
    output = (state_dir / "cloud.out").read_text(errors="replace")[-4000:]
    if process.poll() is None:
        stop_cloud_process(process)
        raise CloudStartError(f"the local cloud was not ready within {timeout} s:\n{output}")
    raise CloudStartError(f"the local cloud exited with {process.returncode}:\n{output}")


def stop_cloud_process(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGINT (Ctrl-C), then wait; SIGKILL only if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)


@contextmanager
def running_local_cloud(
    template: Path | str = "template.yaml",
    state_dir: Path | str | None = None,
    *,
    aws_port: int = 0,
    api_port: int = 0,
    redis_port: int = 0,
    search_port: int = 0,
    visibility_timeout_cap: int | None = None,
    timeout: float = 60.0,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[CloudHandle]:
    """Run `reelstack up` as a subprocess (free ports by default) for the duration of the block."""
    directory = (
        Path(state_dir) if state_dir is not None else Path(tempfile.mkdtemp(prefix="reelstack-cloud-"))
    )
    started = time.monotonic()
    process = start_cloud_process(
        Path(template).resolve(),
        directory.resolve(),
        aws_port=aws_port,
        api_port=api_port,
        redis_port=redis_port,
        search_port=search_port,
        visibility_timeout_cap=visibility_timeout_cap,
        extra_args=extra_args,
        env=env,
    )
    try:  # also while waiting: Ctrl-C or an error there must not leave the cloud running
        info = wait_until_ready(process, directory.resolve(), timeout)
        yield CloudHandle(info, process, startup_seconds=time.monotonic() - started)
    finally:
        stop_cloud_process(process)
