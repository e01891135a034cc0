"""Where the HEVC twins are encoded: the Lambda while they fit its budget (at libx265's cost), the GPU
container beyond it when deployed, else the Lambda anyway with a reason that says so."""

from __future__ import annotations

import pytest

from reelstack.domain.media import heat
from reelstack.domain.media.backends import Backend, estimate_encode_s
from reelstack.domain.media.heat_backend import choose_heat_backend, hevc_lambda_budget
from reelstack.domain.media.renditions import Plan
from reelstack.domain.storage.storage_costs import Codec, EncodeSpeeds
from tests.support.plans import ladder_plan


def twins_of(duration_s: float) -> Plan:
    ladder = ladder_plan(duration_s=duration_s, size_bytes=50_000_000)
    return heat.heat_plan(ladder, ladder.renditions)


def choose(duration_s: float, *, gpu: bool, source_bytes: int = 50_000_000) -> Backend:
    twins = twins_of(duration_s)
    return choose_heat_backend(
        twins.renditions,
        source_pixels=1920 * 1080,
        source_frame_rate=30.0,
        duration_s=duration_s,
        source_bytes=source_bytes,
        audio_kbps=128,
        gpu_available=gpu,
    ).backend


def lambda_limit_s() -> float:
    """The longest 1080p30 source whose twins fit the HEVC Lambda budget (the estimate is linear)."""
    budget = hevc_lambda_budget()
    per_second = estimate_encode_s(
        twins_of(60.0).renditions,
        source_pixels=1920 * 1080,
        source_frame_rate=30.0,
        duration_s=1.0,
        budget=budget,
    )
    return budget.time_limit_s / per_second


def test_libx265_costs_what_the_roi_speeds_say() -> None:
    # GIVEN EncodeSpeeds' 0.4x realtime for one 1080p30 libx265 output on the Lambda
    # WHEN the HEVC budget is derived THEN one 1080p30 output-second costs 1/0.4 wall seconds on its vCPUs
    budget = hevc_lambda_budget()
    one_second_1080p30 = 1920 * 1080 * 30 / 1e6 * budget.encode_s_per_megapixel_frame
    assert one_second_1080p30 / budget.effective_vcpus == pytest.approx(1 / 0.4, rel=1e-3)
    # AND a slower encoder makes every output megapixel-frame dearer
    slower = hevc_lambda_budget(speeds=EncodeSpeeds(lambda_x=((Codec.HEVC, 0.2),)))
    assert slower.encode_s_per_megapixel_frame == pytest.approx(2 * budget.encode_s_per_megapixel_frame)


def test_twins_that_fit_the_lambda_budget_stay_on_the_lambda() -> None:
    # GIVEN a 1080p30 source just under the Lambda's limit, GPU deployed
    limit = lambda_limit_s()
    # WHEN the heat backend is chosen THEN it is the Lambda
    assert choose(limit - 1, gpu=True) is Backend.LAMBDA


def test_twins_beyond_the_budget_go_to_the_gpu_when_it_is_deployed() -> None:
    # GIVEN a 1080p30 source just over the limit, and a long (10 minute) one, GPU deployed
    limit = lambda_limit_s()
    # WHEN the heat backend is chosen THEN both go to the GPU container
    assert choose(limit + 1, gpu=True) is Backend.GPU
    assert choose(600.0, gpu=True) is Backend.GPU


def test_without_a_gpu_the_lambda_runs_anyway_and_says_so() -> None:
    # GIVEN a long 1080p30 source and no GPU backend
    twins = twins_of(600.0)
    # WHEN the heat backend is chosen
    choice = choose_heat_backend(
        twins.renditions,
        source_pixels=1920 * 1080,
        source_frame_rate=30.0,
        duration_s=600.0,
        source_bytes=900_000_000,
        audio_kbps=128,
        gpu_available=False,
    )
    # THEN it is the Lambda, and the reason names the budget, the missing GPU and the risk
    assert choice.backend is Backend.LAMBDA
    assert "exceeds the Lambda budget" in choice.reason and "no GPU backend" in choice.reason
    assert choice.estimated_encode_s > hevc_lambda_budget().time_limit_s


def test_a_source_too_large_for_tmp_goes_to_the_gpu() -> None:
    # GIVEN a short source that does not fit 60 % of the Lambda's /tmp
    # WHEN the heat backend is chosen with the GPU deployed THEN it goes to the GPU container
    assert choose(10.0, gpu=True, source_bytes=7_000 * 1024 * 1024) is Backend.GPU
    assert choose(10.0, gpu=True) is Backend.LAMBDA
