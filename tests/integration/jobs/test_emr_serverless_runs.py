"""EMR Serverless on the local cloud: a job run executes its entry point with the run's S3 URIs
mirrored to local folders, reports its state as EMR Serverless does, and Step Functions'
`emr-serverless:startJobRun.sync` waits for it (success gives the run, failure fails the task)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

# A job file that reads every file under its input folder and writes one summary file: plain Python
# (the runner is the same for a PySpark job; this keeps the test about the runner).
JOB = b"""
import pathlib, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
if args.get("--fail"):
    raise SystemExit("asked to fail: " + args["--fail"])
lines = sorted(p.read_text() for p in pathlib.Path(args["--in"]).rglob("*.txt"))
out = pathlib.Path(args["--out"])
out.mkdir(parents=True, exist_ok=True)
(out / "summary.txt").write_text("|".join(lines))
if args.get("--consume"):  # like an overwritten partition: the inputs are removed
    for p in pathlib.Path(args["--in"]).rglob("*.txt"):
        p.unlink()
"""
ROLE = "arn:aws:iam::123456789012:role/profile-job"


@pytest.fixture(scope="module")
def emr(local_cloud: Any) -> Any:
    return local_cloud.client("emr-serverless")


@pytest.fixture(scope="module")
def application(local_cloud: Any) -> str:
    return str(local_cloud.resources["ProfileJobApplication"]["id"])


@pytest.fixture(scope="module")
def lake(local_cloud: Any, cloud_s3: Any) -> str:
    bucket = str(local_cloud.name("LakeBucket"))
    cloud_s3.put_object(Bucket=bucket, Key="tests/emr/job.py", Body=JOB)
    return bucket


def _driver(lake: str, run: str, *extra: str) -> dict[str, Any]:
    return {
        "sparkSubmit": {
            "entryPoint": f"s3://{lake}/tests/emr/job.py",
            "entryPointArguments": [
                "--in", f"s3://{lake}/tests/emr/{run}/in", "--out", f"s3://{lake}/tests/emr/{run}/out", *extra,
            ],
            "sparkSubmitParameters": "--conf spark.executor.cores=4",
        }
    }  # fmt: skip


def _finished(emr: Any, application: str, run_id: str) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = emr.get_job_run(applicationId=application, jobRunId=run_id)["jobRun"]
        return run if run["state"] in ("SUCCESS", "FAILED", "CANCELLED") else None

    return wait_for(ended, timeout=60)


def test_a_job_run_reads_and_writes_s3_and_reports_success(
    emr: Any, application: str, lake: str, cloud_s3: Any
) -> None:
    # GIVEN two input objects
    run = uuid.uuid4().hex[:8]
    for name, text in (("a.txt", "alpha"), ("nested/b.txt", "beta")):
        cloud_s3.put_object(Bucket=lake, Key=f"tests/emr/{run}/in/{name}", Body=text.encode())
    # WHEN a job run starts (twice with one client token)
    token = uuid.uuid4().hex
    started = emr.start_job_run(
        applicationId=application, executionRoleArn=ROLE, jobDriver=_driver(lake, run), clientToken=token
    )
    again = emr.start_job_run(
        applicationId=application, executionRoleArn=ROLE, jobDriver=_driver(lake, run), clientToken=token
    )
    # THEN it is one run, which succeeds and leaves its output in S3 at the key its URI names
    assert again["jobRunId"] == started["jobRunId"]
    finished = _finished(emr, application, started["jobRunId"])
    assert finished["state"] == "SUCCESS", finished["stateDetails"]
    body = cloud_s3.get_object(Bucket=lake, Key=f"tests/emr/{run}/out/summary.txt")["Body"].read()
    assert body == b"alpha|beta"
    assert finished["totalResourceUtilization"]["vCPUHour"] >= 0
    listed = emr.list_job_runs(applicationId=application)["jobRuns"]
    assert started["jobRunId"] in {item["id"] for item in listed}


def test_a_file_the_job_removes_is_removed_from_s3(
    emr: Any, application: str, lake: str, cloud_s3: Any
) -> None:
    # GIVEN an input object, and a job that removes its inputs after reading them
    run = uuid.uuid4().hex[:8]
    cloud_s3.put_object(Bucket=lake, Key=f"tests/emr/{run}/in/a.txt", Body=b"alpha")
    # WHEN it runs
    started = emr.start_job_run(
        applicationId=application, executionRoleArn=ROLE, jobDriver=_driver(lake, run, "--consume", "yes")
    )
    finished = _finished(emr, application, started["jobRunId"])
    # THEN its output is in S3 and the input it removed is gone from there too
    assert finished["state"] == "SUCCESS", finished["stateDetails"]
    assert cloud_s3.get_object(Bucket=lake, Key=f"tests/emr/{run}/out/summary.txt")["Body"].read() == b"alpha"
    listed = cloud_s3.list_objects_v2(Bucket=lake, Prefix=f"tests/emr/{run}/in/")
    assert listed.get("KeyCount", 0) == 0


def test_a_failing_job_run_says_why(emr: Any, application: str, lake: str) -> None:
    # GIVEN a job that exits with an error WHEN it runs THEN the run is FAILED with the job's message
    started = emr.start_job_run(
        applicationId=application, executionRoleArn=ROLE, jobDriver=_driver(lake, "f", "--fail", "bad input")
    )
    finished = _finished(emr, application, started["jobRunId"])
    assert finished["state"] == "FAILED"
    assert "asked to fail: bad input" in finished["stateDetails"]


def test_an_unknown_application_is_not_found(emr: Any, lake: str) -> None:
    with pytest.raises(emr.exceptions.ResourceNotFoundException):
        emr.start_job_run(applicationId="00nosuchapp", executionRoleArn=ROLE, jobDriver=_driver(lake, "x"))


def _machine(cloud_sfn: Any, application: str, lake: str) -> str:
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
                "Parameters": {
                    "ApplicationId": application,
                    "ExecutionRoleArn": ROLE,
                    "Name.$": "$.run",
                    "JobDriver": {
                        "SparkSubmit": {
                            "EntryPoint": f"s3://{lake}/tests/emr/job.py",
                            "EntryPointArguments.$": "$.arguments",
                        }
                    },
                },
                "End": True,
            }
        },
    }
    name = f"emr-sync-{uuid.uuid4().hex[:8]}"
    created = cloud_sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
    )
    return str(created["stateMachineArn"])


def _execution(cloud_sfn: Any, machine: str, run: str, arguments: list[str]) -> dict[str, Any]:
    started = cloud_sfn.start_execution(
        stateMachineArn=machine, name=run, input=json.dumps({"run": run, "arguments": arguments})
    )

    def ended() -> dict[str, Any] | None:
        described: dict[str, Any] = cloud_sfn.describe_execution(executionArn=started["executionArn"])
        return described if described["status"] != "RUNNING" else None

    return wait_for(ended, timeout=90)


def test_step_functions_waits_for_the_run_and_fails_with_it(
    cloud_sfn: Any, application: str, lake: str, cloud_s3: Any
) -> None:
    machine = _machine(cloud_sfn, application, lake)
    # GIVEN an input object WHEN a state machine runs the job with .sync
    cloud_s3.put_object(Bucket=lake, Key="tests/emr/sync/in/x.txt", Body=b"x")
    arguments = ["--in", f"s3://{lake}/tests/emr/sync/in", "--out", f"s3://{lake}/tests/emr/sync/out"]
    succeeded = _execution(cloud_sfn, machine, f"ok-{uuid.uuid4().hex[:6]}", arguments)
    # THEN the execution ends after the run, with the run (PascalCase) as its output
    assert succeeded["status"] == "SUCCEEDED"
    output = json.loads(succeeded["output"])
    assert output["State"] == "SUCCESS" and output["JobRunId"]
    assert cloud_s3.get_object(Bucket=lake, Key="tests/emr/sync/out/summary.txt")["Body"].read() == b"x"
    # AND a failing run fails the task, with the run as the cause
    failed = _execution(cloud_sfn, machine, f"ko-{uuid.uuid4().hex[:6]}", [*arguments, "--fail", "no"])
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.TaskFailed"
    assert json.loads(failed["cause"])["state"] == "FAILED"
