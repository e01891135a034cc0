"""SageMaker training jobs on the AWS endpoint: the job's own training script runs in a subprocess, laid
out as a SageMaker framework container lays it out ("script mode").

`CreateTrainingJob` / `DescribeTrainingJob` / `StopTrainingJob` are answered here (moto keeps every
other SageMaker call, e.g. the models and endpoints of a deploy). A job:
  - downloads each input channel's S3 prefix to `<job>/input/data/<channel>/` (`SM_CHANNEL_<NAME>`),
  - unpacks the code the SDK uploaded (hyperparameter `sagemaker_submit_directory`, a sourcedir.tar.gz)
    and runs `python <sagemaker_program> --<name> <value> ...` for the other hyperparameters, with
    `SM_MODEL_DIR`, `SM_OUTPUT_DATA_DIR`, `SM_CHANNELS`, `SM_HPS`, `SM_NUM_CPUS` set,
  - packs `SM_MODEL_DIR` as `<S3OutputPath>/<job>/output/model.tar.gz` when the script succeeds.
Statuses and secondary statuses move as in SageMaker (InProgress: Starting -> Downloading -> Training
-> Uploading; then Completed, Failed with a FailureReason, or Stopped), so the SDK's `Estimator.fit()`
and Step Functions' `sagemaker:createTrainingJob.sync` wait on it as in AWS. The training image is not
run (no containers here): the script runs in this machine's Python, so it must need no more than the
project's environment.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud.child_process import die_with_parent
from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.local_env import LOG, arn, inherited_environment
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, json_response, read_body

log = logging.getLogger(LOG)

TARGETS = {
    "SageMaker.CreateTrainingJob": "create",
    "SageMaker.DescribeTrainingJob": "describe",
    "SageMaker.StopTrainingJob": "stop",
}
_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
DEFAULT_MAX_RUNTIME_S = 86400


def _hyperparameter(value: str) -> str:
    """The SDK JSON-encodes each hyperparameter (`"\\"train.py\\""`); a plain string stays as it is."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else json.dumps(decoded)


@dataclass
class TrainingJob:
    name: str
    request: dict[str, Any]
    status: str = "InProgress"
    secondary: str = "Starting"
    failure: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    modified: float = field(default_factory=time.time)
    artifacts: str | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    stop_requested: bool = False

    @property
    def arn(self) -> str:
        return arn("sagemaker", f"training-job/{self.name}")

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            key: self.request[key]
            for key in (
                "HyperParameters",
                "AlgorithmSpecification",
                "RoleArn",
                "InputDataConfig",
                "OutputDataConfig",
                "ResourceConfig",
                "StoppingCondition",
                "Environment",
            )
            if key in self.request
        }
        body.update(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary,
                "CreationTime": self.created,
                "LastModifiedTime": self.modified,
                "SecondaryStatusTransitions": list(self.transitions),
                "ModelArtifacts": {"S3ModelArtifacts": self.artifacts or ""},
            }
        )
        if self.failure:
            body["FailureReason"] = self.failure
        if self.started is not None:
            body["TrainingStartTime"] = self.started
            seconds = int((self.ended or time.time()) - self.started)
            body["TrainingTimeInSeconds"] = body["BillableTimeInSeconds"] = seconds
        if self.ended is not None:
            body["TrainingEndTime"] = self.ended
        return body


class TrainingRunner:
    def __init__(
        self, clients: Clients, state_dir: Path, logs_dir: Path, python: str = sys.executable
    ) -> None:
        self._clients = clients
        self._root = state_dir / "sagemaker-training"
        self._logs_dir = logs_dir
        self._python = python
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.Lock()

    def create(self, request: dict[str, Any]) -> TrainingJob:
        name = str(request.get("TrainingJobName") or "")
        if not _NAME.match(name):
            raise ValueError(f"invalid TrainingJobName {name!r}")
        with self._lock:
            if name in self._jobs:
                raise FileExistsError(f"Training job {name} already exists")
            job = self._jobs[name] = TrainingJob(name, dict(request))
        threading.Thread(target=self._run, args=(job,), name=f"training-{name}", daemon=True).start()
        return job

    def get(self, name: str) -> TrainingJob | None:
        with self._lock:
            return self._jobs.get(name)

    def stop(self, job: TrainingJob) -> None:
        with self._lock:
            if job.status != "InProgress":
                return
            job.stop_requested = True
            job.status, job.secondary, job.modified = "Stopping", "Stopping", time.time()
            process = job.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)

    def stop_all(self) -> None:
        for job in list(self._jobs.values()):
            self.stop(job)

    def _move(self, job: TrainingJob, secondary: str, message: str = "") -> None:
        with self._lock:
            now = time.time()
            if job.transitions:
                job.transitions[-1]["EndTime"] = now
            job.transitions.append(
                {"Status": secondary, "StartTime": now, "StatusMessage": message or secondary}
            )
            job.secondary, job.modified = secondary, now

    def _end(self, job: TrainingJob, status: str, failure: str = "") -> None:
        self._move(job, status, failure)
        with self._lock:
            if job.stop_requested and status != "Completed":
                status, failure = "Stopped", ""
                job.secondary = "Stopped"
            job.status, job.failure = status, failure
            job.ended = job.modified = time.time()

    def _run(self, job: TrainingJob) -> None:
        try:
            self._execute(job)
        except Exception as error:  # a broken job must still end, as in SageMaker
            log.exception("training job %s failed to run", job.name)
            self._end(job, "Failed", f"AlgorithmError: the local runner failed: {error}")

    def _download(self, uri: str, target: Path) -> None:
        match = _S3_URI.match(uri)
        if match is None:
            raise ValueError(f"{uri} is not an s3:// URI")
        bucket, prefix = match.group("bucket"), match.group("key")
        s3 = self._clients.get("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])
                relative = key[len(prefix) :].lstrip("/") or Path(key).name
                if key.endswith("/"):
                    continue
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(destination))

    def _execute(self, job: TrainingJob) -> None:
        request = job.request
        root = self._root / job.name
        model_dir, output_dir, code_dir = root / "model", root / "output" / "data", root / "code"
        for folder in (model_dir, output_dir, code_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self._move(job, "Starting")
        with self._lock:
            job.started = time.time()
        self._move(job, "Downloading")
        channels: list[str] = []
        environment = {**inherited_environment(), **(request.get("Environment") or {})}
        for channel in request.get("InputDataConfig") or []:
            name = str(channel["ChannelName"])
            uri = str(channel["DataSource"]["S3DataSource"]["S3Uri"])
            target = root / "input" / "data" / name
            target.mkdir(parents=True, exist_ok=True)
            self._download(uri, target)
            channels.append(name)
            environment[f"SM_CHANNEL_{name.upper()}"] = str(target)
        hyperparameters = {
            key: _hyperparameter(str(value)) for key, value in (request.get("HyperParameters") or {}).items()
        }
        program = hyperparameters.pop("sagemaker_program", "train.py")
        submit = hyperparameters.pop("sagemaker_submit_directory", "")
        if submit.startswith("s3://"):
            archive = root / "sourcedir.tar.gz"
            match = _S3_URI.match(submit)
            assert match is not None
            self._clients.get("s3").download_file(match.group("bucket"), match.group("key"), str(archive))
            with tarfile.open(archive, "r:gz") as packed:
                packed.extractall(code_dir, filter="data")
        if not (code_dir / program).is_file():
            self._end(
                job, "Failed", f"ClientError: the training script {program} is not in the submitted code"
            )
            return
        user = {key: value for key, value in hyperparameters.items() if not key.startswith("sagemaker_")}
        environment.update(
            {
                "SM_MODEL_DIR": str(model_dir),
                "SM_OUTPUT_DATA_DIR": str(output_dir),
                "SM_CHANNELS": json.dumps(channels),
                "SM_HPS": json.dumps(user),
                "SM_NUM_CPUS": str(os.cpu_count() or 1),
                "SM_CURRENT_HOST": "algo-1",
                "SM_HOSTS": json.dumps(["algo-1"]),
                "PYTHONUNBUFFERED": "1",
            }
        )
        command = [
            self._python,
            program,
            *[item for key, value in user.items() for item in (f"--{key}", value)],
        ]
        self._move(job, "Training")
        self._logs_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._logs_dir / f"{job.name}.log"
        limit = int(
            (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or DEFAULT_MAX_RUNTIME_S
        )
        with self._lock:
            if job.stop_requested:
                process = None
            else:
                with log_path.open("wb") as output:
                    process = job.process = subprocess.Popen(
                        command,
                        cwd=str(code_dir),
                        env=environment,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                        preexec_fn=die_with_parent(signal.SIGKILL),
                    )
        if process is None:
            self._end(job, "Stopped")
            return
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            self._end(job, "Failed", f"MaxRuntimeExceeded: the job ran past {limit} s")
            return
        if code != 0:
            tail = " | ".join(
                log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:]
            )
            self._end(job, "Failed", f"AlgorithmError: exit code {code}: {tail[-1500:]}")
            return
        self._move(job, "Uploading")
        output_path = str((request.get("OutputDataConfig") or {}).get("S3OutputPath") or "")
        match = _S3_URI.match(output_path)
        if match is None:
            self._end(
                job, "Failed", f"ClientError: OutputDataConfig.S3OutputPath {output_path!r} is not an s3 URI"
            )
            return
        key = "/".join(
            part for part in (match.group("key").strip("/"), job.name, "output", "model.tar.gz") if part
        )
        archive = root / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as packed:
            for path in sorted(model_dir.rglob("*")):
                packed.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
        self._clients.get("s3").upload_file(str(archive), match.group("bucket"), key)
        with self._lock:
            job.artifacts = f"s3://{match.group('bucket')}/{key}"
        self._end(job, "Completed")


def _error(start_response: StartResponse, status: int, kind: str, message: str) -> list[bytes]:
    return json_response(
        start_response, status, {"__type": kind, "message": message}, [("x-amzn-ErrorType", kind)]
    )


class SageMakerTrainingApi:
    """The training-job operations of the SageMaker API; every other operation goes on to moto."""

    def __init__(self, runner: TrainingRunner) -> None:
        self._runner = runner

    @staticmethod
    def matches(environ: Environ) -> bool:
        return environ.get("HTTP_X_AMZ_TARGET") in TARGETS

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        operation = TARGETS[str(environ.get("HTTP_X_AMZ_TARGET"))]
        try:
            request = json.loads(read_body(environ) or b"{}")
        except ValueError:
            return _error(start_response, 400, "ValidationException", "the request is not JSON")
        if operation == "create":
            try:
                job = self._runner.create(request)
            except FileExistsError as error:
                return _error(start_response, 400, "ResourceInUse", str(error))
            except ValueError as error:
                return _error(start_response, 400, "ValidationException", str(error))
            return json_response(start_response, 200, {"TrainingJobArn": job.arn})
        found = self._runner.get(str(request.get("TrainingJobName") or ""))
        if found is None:
            return _error(start_response, 400, "ValidationException", "Requested resource not found.")
        if operation == "stop":
            self._runner.stop(found)
            return json_response(start_response, 200, {})
        return json_response(start_response, 200, found.describe())
