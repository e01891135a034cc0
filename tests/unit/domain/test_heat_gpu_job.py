"""The heat workflow's GPU path at the document level (no GPU and no Batch here): the EncodeWithGpu
state hands the planned document to the transcode submit function, whose Batch job carries what the
container's entry point reads, the heat job survives JSON, and the container's heat transcoder runs
hevc_nvenc. (The submission against moto's Batch: tests/unit/services/test_heat_gpu_submit.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from reelstack.adapters.media import encoders
from reelstack.domain.media import heat
from reelstack.domain.media.transcode_jobs import attempt_job_name, heat_gpu_job_request
from reelstack.errors import InvalidRequest
from reelstack.services.media.heat_encode import HeatJob, HeatSource, heat_job_key
from tests.support.modules import load_module
from tests.support.plans import ladder_plan

ROOT = Path(__file__).resolve().parents[3]
ASL = ROOT / "statemachines" / "heat.asl.json"
RUN_JOB = ROOT / "infra" / "containers" / "gpu-transcoder" / "run_job.py"


def run_job_module() -> Any:
    return load_module("gpu_run_job_heat", RUN_JOB)


def a_job() -> HeatJob:
    ladder = ladder_plan(duration_s=600.0, size_bytes=900_000_000)
    twins = heat.heat_plan(ladder, ladder.renditions)
    return HeatJob("vid1", "hevc", twins, HeatSource("originals/vid1", (), 900_000_000))


def test_the_choice_sends_gpu_plans_to_batch_and_everything_else_to_the_lambda() -> None:
    # GIVEN the heat state machine
    states = json.loads(ASL.read_text())["States"]
    # WHEN its Choice is read THEN `gpu` goes to EncodeWithGpu, anything else to the Lambda's Encode
    choice = states["ChooseBackend"]
    assert choice["Choices"] == [
        {"Variable": "$.plan.backend", "StringEquals": "gpu", "Next": "EncodeWithGpu"}
    ]
    assert choice["Default"] == "Encode"
    # AND both encodes end in UpdateMaster, with the result where UpdateMaster reads it
    assert states["Encode"]["Next"] == states["EncodeWithGpu"]["Next"] == "UpdateMaster"
    assert states["EncodeWithGpu"]["ResultPath"] == "$.outputs"


def test_encode_with_gpu_hands_the_planned_document_to_the_submit_function() -> None:
    # GIVEN EncodeWithGpu
    gpu = json.loads(ASL.read_text())["States"]["EncodeWithGpu"]
    # WHEN its integration is read THEN it invokes the transcode submit function (which submits the Batch
    # job idempotently) with the heat document and its task token, and waits for the token
    assert gpu["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert gpu["Parameters"] == {
        "FunctionName": "${TranscodeSubmitFunctionArn}",
        "Payload": {"kind": "heat", "backend": "gpu", "document.$": "$", "task_token.$": "$$.Task.Token"},
    }


def test_the_batch_job_environment_is_what_the_container_reads() -> None:
    # GIVEN the heat job's SubmitJob request for a video planned for the GPU and a task token
    request = heat_gpu_job_request(
        "vid1", "hevc", "originals/vid1", "token-1", job_queue="arn:queue", job_definition="arn:definition:3"
    )
    # THEN botocore's SubmitJob model accepts it, and it is named after the video, codec and token
    model = botocore.session.get_session().get_service_model("batch").operation_model("SubmitJob")
    report = ParamValidator().validate(request, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    assert request["jobName"] == attempt_job_name("vid1", "token-1", "heat-hevc")
    assert re.fullmatch(r"heat-hevc-vid1-[0-9a-f]{12}", request["jobName"])
    # WHEN the container reads its environment (the bucket comes from the job definition)
    environment = {item["name"]: item["value"] for item in request["containerOverrides"]["environment"]}
    job = run_job_module().JobEnv.from_environ(environment | {"MEDIA_BUCKET": "media"})
    # THEN it is a heat job for the video, reading its job and source, reporting to the token
    assert (job.kind, job.video_id, job.plan_key, job.source_key, job.task_token) == (
        "heat",
        "vid1",
        heat_job_key("vid1", "hevc"),
        "originals/vid1",
        "token-1",
    )


def test_the_heat_job_survives_json_and_a_malformed_one_is_refused() -> None:
    # GIVEN a planned heat job WHEN it goes through JSON THEN it comes back equal
    job = a_job()
    assert HeatJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    # AND a job without a source is refused with a code
    broken = job.to_dict()
    del broken["source"]
    with pytest.raises(InvalidRequest) as refused:
        HeatJob.from_dict(broken)
    assert refused.value.code == "invalid_heat_job"


def test_the_containers_heat_transcoder_runs_hevc_nvenc(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the container's heat transcoder, and a source the probe keeps on the GPU
    module = run_job_module()
    monkeypatch.setattr(encoders, "frames_on_gpu", lambda path, ffprobe="ffprobe": True)
    # WHEN it builds the command for a heat job's twins
    argv = module.NvencHevcTranscoder().command(a_job().plan, "/work/original", "/work/out")
    # THEN it is the NVENC twin command
    assert argv == heat.nvenc_hevc_command(a_job().plan, "/work/original", "/work/out")


def test_an_unknown_job_kind_is_refused() -> None:
    # GIVEN a job environment naming a kind the container does not run
    environment = {
        "VIDEO_ID": "vid1",
        "PLAN_KEY": "k",
        "SOURCE_KEY": "s",
        "MEDIA_BUCKET": "m",
        "TASK_TOKEN": "t",
        "JOB_KIND": "av1",
    }
    # WHEN it is read THEN it is refused
    with pytest.raises(InvalidRequest):
        run_job_module().JobEnv.from_environ(environment)
