"""EMR Serverless job runs on the AWS endpoint: the job file runs with pyspark in local mode.

`StartJobRun` / `GetJobRun` / `CancelJobRun` / `ListJobRuns` for the applications the template declares
(`AWS::EMRServerless::Application`, created in moto, which answers every other EMR Serverless call).
A run goes SUBMITTED -> SCHEDULED -> RUNNING -> SUCCESS | FAILED | CANCELLED as in AWS, and
`GetJobRun` reports it the same way (stateDetails, duration, resource utilisation), so the Step
Functions `emr-serverless:startJobRun.sync` integration (`moto_emr_serverless`) waits on it as it
would in AWS.

How a run executes: the entry point and every argument that is an `s3://bucket/key` URI are mapped to
a folder of the run (`<state>/emr/<run>/s3/<bucket>/<key>`). Before the run the entry point and the
objects under each URI are copied there from the local S3; the job runs as
`python <entry point> <mapped arguments>` with `PYSPARK_SUBMIT_ARGS` from the run's
`sparkSubmitParameters` and `--master local[N]`; afterwards every file the job wrote under those
folders is put back to S3 at the same key, and a downloaded file the job removed (an overwritten
partition) is deleted there, whether the run succeeded or not (a failed Spark job in AWS leaves what
it did too). Its output goes to `<state>/logs/emr/<run>.log`.
`clientToken` makes StartJobRun idempotent, as in AWS.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud.child_process import die_with_parent
from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.local_env import LOG, arn, inherited_environment
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, header, json_response, read_body

log = logging.getLogger(LOG)

_RUNS = re.compile(r"^/applications/(?P<app>[^/]+)/jobruns/?$")
_RUN = re.compile(r"^/applications/(?P<app>[^/]+)/jobruns/(?P<run>[^/]+)/?$")
_S3_URI = re.compile(r"^s3a?://(?P<bucket>[^/]+)/(?P<key>.*)$")
_SCOPE_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/(?P<service>[^/]+)/aws4_request")
TERMINAL = frozenset({"SUCCESS", "FAILED", "CANCELLED"})
LOCAL_CORES = 2
DEFAULT_TIMEOUT_MIN = 720  # AWS's default executionTimeoutMinutes (12 h)


def create_application(stack: Stack, clients: Clients, resource: Resource) -> None:
    """`AWS::EMRServerless::Application` -> an application in moto (its id is the Ref, as in AWS)."""
    props = stack.properties(resource.logical_id)
    name = str(props.get("Name") or stack.physical_name(resource.logical_id))
    client = clients.get("emr-serverless")
    for existing in client.list_applications().get("applications", []):
        if existing["name"] == name:
            stack.record(resource.logical_id, Ref=existing["id"], Arn=existing["arn"])
            return
    created = client.create_application(
        name=name,
        releaseLabel=str(props.get("ReleaseLabel") or "emr-7.9.0"),
        type=str(props.get("Type") or "SPARK"),
    )
    stack.record(resource.logical_id, Ref=created["applicationId"], Arn=created["arn"])


@dataclass
class JobRun:
    application_id: str
    job_run_id: str
    name: str
    execution_role: str
    release_label: str
    job_driver: dict[str, Any]
    timeout_minutes: int
    client_token: str | None
    state: str = "SUBMITTED"
    state_details: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    process: subprocess.Popen[bytes] | None = None
    cancelled: bool = False

    @property
    def arn(self) -> str:
        return arn("emr-serverless", f"/applications/{self.application_id}/jobruns/{self.job_run_id}")

    def describe(self) -> dict[str, Any]:
        duration = 0.0
        if self.started_at is not None:
            duration = (self.ended_at or time.time()) - self.started_at
        body: dict[str, Any] = {
            "applicationId": self.application_id,
            "jobRunId": self.job_run_id,
            "arn": self.arn,
            "name": self.name,
            "createdBy": self.execution_role,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "executionRole": self.execution_role,
            "state": self.state,
            "stateDetails": self.state_details,
            "releaseLabel": self.release_label,
            "jobDriver": self.job_driver,
            "executionTimeoutMinutes": self.timeout_minutes,
            "totalExecutionDurationSeconds": int(duration),
            "totalResourceUtilization": {
                "vCPUHour": round(LOCAL_CORES * duration / 3600, 6),
                "memoryGBHour": round(2 * duration / 3600, 6),
                "storageGBHour": 0.0,
            },
        }
        if self.started_at is not None:
            body["startedAt"] = self.started_at
        if self.ended_at is not None:
            body["endedAt"] = self.ended_at
        return body


class JobFolder:
    """A run's local mirror of the S3 URIs it names: download before, upload what changed after."""

    def __init__(self, root: Path, s3: Any) -> None:
        self.root = root
        self._s3 = s3
        self._downloaded: dict[Path, float] = {}

    def local(self, value: str) -> str:
        match = _S3_URI.match(value)
        if match is None:
            return value
        return str(self.root / "s3" / match.group("bucket") / match.group("key"))

    def download(self, uri: str) -> None:
        match = _S3_URI.match(uri)
        if match is None:
            return
        bucket, key = match.group("bucket"), match.group("key")
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=key):
            for item in page.get("Contents", []):
                name = str(item["Key"])
                if name.endswith("/"):
                    continue
                target = self.root / "s3" / bucket / name
                target.parent.mkdir(parents=True, exist_ok=True)
                self._s3.download_file(bucket, name, str(target))
                self._downloaded[target] = target.stat().st_mtime

    def upload_changes(self) -> int:
        """Put every file created or changed since `download` back to its key, and delete the key of
        every downloaded file the job removed (an overwritten partition); -> how many were put."""
        base = self.root / "s3"
        uploaded = 0
        for path in sorted(self._downloaded):
            if not path.exists():
                bucket, *parts = path.relative_to(base).parts
                self._s3.delete_object(Bucket=bucket, Key="/".join(parts))
        if not base.is_dir():
            return 0
        for path in sorted(base.rglob("*")):
            if not path.is_file() or (path.name.startswith(".") and path.name.endswith(".crc")):
                continue  # Hadoop's local checksum files are not part of the output S3 would hold
            if self._downloaded.get(path) == path.stat().st_mtime:
                continue
            bucket, *parts = path.relative_to(base).parts
            self._s3.upload_file(str(path), bucket, "/".join(parts))
            uploaded += 1
        return uploaded


LOCAL_SHUFFLE_PARTITIONS = 8
LOCAL_DRIVER_MEMORY = "2g"
# Settings about a cluster's workers and their sizes: meaningless in one local JVM (its size is ours).
_CLUSTER_SETTINGS = (
    "spark.executor.",
    "spark.driver.",
    "spark.dynamicAllocation.",
    "spark.sql.shuffle.partitions",
)


def submit_args(spark_submit_parameters: str) -> str:
    """`PYSPARK_SUBMIT_ARGS` for a local run: the run's `--conf` settings but those sizing a cluster,
    a local master, and a driver and shuffle sized for this machine."""
    kept: list[str] = []
    words = shlex.split(spark_submit_parameters or "")
    for index, word in enumerate(words):
        if word == "--conf" and index + 1 < len(words) and not words[index + 1].startswith(_CLUSTER_SETTINGS):
            kept += ["--conf", words[index + 1]]
    local = [
        "--master", f"local[{LOCAL_CORES}]",
        "--driver-memory", LOCAL_DRIVER_MEMORY,
        "--conf", f"spark.sql.shuffle.partitions={LOCAL_SHUFFLE_PARTITIONS}",
        "--conf", "spark.ui.enabled=false",
    ]  # fmt: skip
    return " ".join([*local, *map(shlex.quote, kept), "pyspark-shell"])


class JobRunner:
    """Runs job runs on threads, one subprocess each; keeps their state for GetJobRun."""

    def __init__(
        self, clients: Clients, state_dir: Path, logs_dir: Path, python: str = sys.executable
    ) -> None:
        self._clients = clients
        self._state_dir = state_dir
        self._logs_dir = logs_dir
        self._python = python
        self._runs: dict[tuple[str, str], JobRun] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def start(self, application_id: str, request: dict[str, Any]) -> JobRun:
        token = request.get("clientToken")
        with self._lock:
            if token and (application_id, token) in self._tokens:
                return self._runs[(application_id, self._tokens[(application_id, token)])]
            run = JobRun(
                application_id=application_id,
                job_run_id=uuid.uuid4().hex[:16],
                name=str(request.get("name") or ""),
                execution_role=str(request.get("executionRoleArn") or ""),
                release_label="emr-7.9.0",
                job_driver=dict(request.get("jobDriver") or {}),
                timeout_minutes=int(request.get("executionTimeoutMinutes") or DEFAULT_TIMEOUT_MIN),
                client_token=token,
            )
            self._runs[(application_id, run.job_run_id)] = run
            if token:
                self._tokens[(application_id, token)] = run.job_run_id
        threading.Thread(target=self._run, args=(run,), name=f"emr-{run.job_run_id}", daemon=True).start()
        return run

    def get(self, application_id: str, job_run_id: str) -> JobRun | None:
        with self._lock:
            return self._runs.get((application_id, job_run_id))

    def runs(self, application_id: str) -> list[JobRun]:
        with self._lock:
            return [run for (app, _), run in self._runs.items() if app == application_id]

    def cancel(self, run: JobRun) -> None:
        with self._lock:
            if run.state in TERMINAL:
                return
            run.cancelled = True
            process = run.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Cancel every run still going (the local cloud is stopping)."""
        for run in list(self._runs.values()):
            self.cancel(run)

    def _set(self, run: JobRun, state: str, details: str = "") -> None:
        with self._lock:
            run.state, run.state_details, run.updated_at = state, details, time.time()

    def _run(self, run: JobRun) -> None:
        try:
            self._execute(run)
        except Exception as error:  # a broken run must still end, as in AWS
            log.exception("EMR Serverless job run %s failed to run", run.job_run_id)
            self._finish(run, "FAILED", f"the local runner failed: {error}")

    def _finish(self, run: JobRun, state: str, details: str) -> None:
        with self._lock:
            if run.cancelled and state != "SUCCESS":
                state, details = "CANCELLED", "Job run cancelled by the user"
            run.state, run.state_details = state, details
            run.ended_at = run.updated_at = time.time()

    def _execute(self, run: JobRun) -> None:
        spark = run.job_driver.get("sparkSubmit") or {}
        entry = str(spark.get("entryPoint") or "")
        arguments = [str(value) for value in spark.get("entryPointArguments") or []]
        if not entry:
            self._finish(run, "FAILED", "jobDriver.sparkSubmit.entryPoint is required")
            return
        self._set(run, "SCHEDULED")
        folder = JobFolder(self._state_dir / "emr" / run.job_run_id, self._clients.get("s3"))
        for uri in (entry, *arguments):
            folder.download(uri)
        entry_path = Path(folder.local(entry))
        if not entry_path.is_file():
            self._finish(run, "FAILED", f"the entry point {entry} does not exist")
            return
        self._logs_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._logs_dir / f"{run.job_run_id}.log"
        environment = {
            **inherited_environment(),
            "PYSPARK_SUBMIT_ARGS": submit_args(str(spark.get("sparkSubmitParameters") or "")),
            "PYSPARK_PYTHON": self._python,
            "PYTHONUNBUFFERED": "1",
        }
        if "JAVA_HOME" in os.environ:
            environment["JAVA_HOME"] = os.environ["JAVA_HOME"]
        command = [self._python, str(entry_path), *map(folder.local, arguments)]
        with self._lock:
            if run.cancelled:
                run.state, run.ended_at = "CANCELLED", time.time()
                return
            run.started_at = time.time()
            run.state, run.updated_at = "RUNNING", time.time()
            with log_path.open("wb") as output:
                run.process = subprocess.Popen(
                    command,
                    cwd=str(folder.root),
                    env=environment,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=die_with_parent(signal.SIGKILL),
                )
        process = run.process
        try:
            code = process.wait(timeout=run.timeout_minutes * 60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            folder.upload_changes()
            self._finish(run, "FAILED", f"Job run timed out after {run.timeout_minutes} minutes")
            return
        folder.upload_changes()
        if code == 0:
            self._finish(run, "SUCCESS", "")
        else:
            self._finish(run, "FAILED", f"Job failed, exit code {code}: {_tail(log_path)}")


def _tail(path: Path, lines: int = 6, limit: int = 1500) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])[-limit:]


def _summary(run: JobRun) -> dict[str, Any]:
    """A ListJobRuns entry."""
    full = run.describe()
    keys = ("applicationId", "arn", "name", "state", "stateDetails", "createdAt", "updatedAt", "createdBy")
    return {
        "id": run.job_run_id,
        **{key: full[key] for key in keys},
        "executionRole": run.execution_role,
        "releaseLabel": run.release_label,
    }


def _error(start_response: StartResponse, status: int, kind: str, message: str) -> list[bytes]:
    return json_response(start_response, status, {"message": message}, [("x-amzn-ErrorType", kind)])


class EmrServerlessApi:
    """The job-run operations of EMR Serverless for the template's applications; the rest goes to moto."""

    def __init__(self, runner: JobRunner, application_ids: Callable[[], Iterable[str]]) -> None:
        self._runner = runner
        self._application_ids = application_ids

    @staticmethod
    def matches(environ: Environ) -> bool:
        path = str(environ.get("PATH_INFO") or "")
        if not path.startswith("/applications/") or "/jobruns" not in path:
            return False
        scope = _SCOPE_SERVICE.search(header(environ, "Authorization") or "")
        return scope is not None and scope.group("service") == "emr-serverless"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        path = str(environ.get("PATH_INFO") or "")
        runs, one = _RUNS.match(path), _RUN.match(path)
        matched = runs or one
        application = matched.group("app") if matched is not None else ""
        if application not in set(self._application_ids()):
            return _error(
                start_response, 404, "ResourceNotFoundException", f"Application {application} does not exist"
            )
        if runs and method == "POST":
            request = json.loads(read_body(environ) or b"{}")
            if not request.get("executionRoleArn"):
                return _error(start_response, 400, "ValidationException", "executionRoleArn is required")
            started = self._runner.start(application, request)
            return json_response(
                start_response,
                200,
                {"applicationId": application, "jobRunId": started.job_run_id, "arn": started.arn},
            )
        if runs and method == "GET":
            listed = [_summary(run) for run in self._runner.runs(application)]
            return json_response(start_response, 200, {"jobRuns": listed})
        if one is not None:
            run = self._runner.get(application, one.group("run"))
            if run is None:
                return _error(
                    start_response, 404, "ResourceNotFoundException", f"Job run {one.group('run')} not found"
                )
            if method == "DELETE":
                self._runner.cancel(run)
                return json_response(
                    start_response, 200, {"applicationId": application, "jobRunId": run.job_run_id}
                )
            return json_response(start_response, 200, {"jobRun": run.describe()})
        return _error(start_response, 400, "ValidationException", f"unsupported {method} {path}")
