"""The operator page's API on the local cloud: `/ops/executions` reads the ingest state machine's real
executions through Step Functions (states, outcomes, timings), `/ops/feed-health` the feed's switches;
both for the `operator` group only.
"""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.distribution.degradation import LEVELS, feed_mode
from tests.integration.test_executions_command import finished, start_for_missing_video
from tests.support.http import Api

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def operator(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token("olga", roles=("operator",)))


@pytest.fixture(scope="module")
def failed_run(cloud_sfn: Any, ingest_state_machine: str, media_bucket: str) -> dict[str, Any]:
    """An ingest execution for a video with no record, run to its end (it fails at its first stage)."""
    video_id = start_for_missing_video(cloud_sfn, ingest_state_machine, media_bucket)
    return finished(cloud_sfn, ingest_state_machine, video_id)


def test_an_operator_reads_a_failed_execution_with_its_states_and_timings(
    operator: Api, failed_run: dict[str, Any]
) -> None:
    # GIVEN an ingest execution that failed WHEN an operator lists the failed ingest executions
    reply = operator.call("GET", "/ops/executions?workflow=ingest&status=FAILED&limit=25")
    # THEN it is there, as Step Functions recorded it: failed, where, and each state's timing
    assert reply.status == 200, reply.body
    assert reply.body["workflow"] == "ingest"
    assert "ingest" in reply.body["workflows"] and "heat" in reply.body["workflows"]
    (run,) = [item for item in reply.body["items"] if item["name"] == failed_run["name"]]
    assert run["status"] == "FAILED" == failed_run["status"]
    assert run["error"] and run["failed_state"] == run["states"][0]["name"]
    assert run["stopped"] is not None and run["seconds"] >= 0
    first = run["states"][0]
    assert first["outcome"] in ("failed", "caught") and first["entered_s"] >= 0
    assert all(state["seconds"] >= 0 and state["exited_s"] is not None for state in run["states"])
    # AND every item the filter let through is a failed one, newest first
    assert all(item["status"] == "FAILED" for item in reply.body["items"])
    started = [item["started"] for item in reply.body["items"]]
    assert started == sorted(started, reverse=True)


def test_one_execution_is_read_by_its_name(operator: Api, failed_run: dict[str, Any]) -> None:
    # WHEN an operator asks for one video's execution THEN exactly that one comes back
    reply = operator.call("GET", f"/ops/executions?video={failed_run['name']}")
    assert reply.status == 200, reply.body
    assert [item["name"] for item in reply.body["items"]] == [failed_run["name"]]
    # AND a video with no execution answers an empty page, not an error
    assert operator.call("GET", "/ops/executions?video=no-such-video").body["items"] == []


def test_the_feed_health_names_every_switch_and_the_mode_they_make(operator: Api) -> None:
    # WHEN an operator reads the feed's health
    reply = operator.call("GET", "/ops/feed-health")
    # THEN every switch is there with its thresholds, and the mode follows from the active ones
    assert reply.status == 200, reply.body
    switches = {item["level"]: item for item in reply.body["switches"]}
    assert sorted(switches) == sorted(LEVELS)
    assert all(item["leave"] <= item["enter"] for item in switches.values())
    active = [level for level, item in switches.items() if item["on"]]
    assert sorted(reply.body["active"]) == sorted(active)
    assert reply.body["mode"] == feed_mode({level: level in active for level in LEVELS})
    # AND the signals were measured for this answer (the ranker's is reported only when it is used)
    for level in ("search_unhealthy", "realtime_stale", "overload"):
        assert switches[level]["measured_age_s"] is not None


@pytest.mark.parametrize("path", ["/ops/executions", "/ops/feed-health"])
def test_anyone_but_an_operator_is_refused(alice: Api, path: str) -> None:
    # WHEN a user outside the operator group asks THEN 403 operator_only
    reply = alice.call("GET", path)
    assert reply.status == 403 and reply.body["code"] == "operator_only", reply.body


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("workflow=nightly", "unknown_workflow"),
        ("status=LOST", "invalid_status"),
        ("limit=26", "invalid_limit"),
        ("video=a%20b", "invalid_video"),
    ],
)
def test_bad_filters_are_refused_with_their_reason(operator: Api, query: str, code: str) -> None:
    reply = operator.call("GET", f"/ops/executions?{query}")
    assert reply.status == 400 and reply.body["code"] == code, reply.body
