"""The operator page's service: who may read, how the filters are checked, how an execution is answered,
and the feed's health snapshot (its switches, their signals and the mode they make)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.distribution.degradation import HealthSnapshot, feed_mode
from reelstack.domain.identity import Principal
from reelstack.domain.workflow.execution_rows import ExecutionQuery, ExecutionRow
from reelstack.domain.workflow.state_timeline import CAUGHT, SUCCEEDED, StateStep
from reelstack.errors import Forbidden, InvalidRequest, ReelstackError
from reelstack.services.distribution.feed_health import FeedHealth, HealthRules
from reelstack.services.operations import MAX_EXECUTIONS, OperationsService

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
OPERATOR = Principal(user_id="u-ops", username="olga", groups=frozenset({"operator"}))
REVIEWER = Principal(user_id="u-rev", username="rita", groups=frozenset({"reviewer"}))
INGEST = "arn:aws:states:us-east-1:123456789012:stateMachine:ingest"


class RecordingReader:
    """Answers one failed execution and keeps the queries it was asked."""

    def __init__(self) -> None:
        self.queries: list[tuple[ExecutionQuery, int]] = []

    def rows(self, query: ExecutionQuery, as_of: datetime, workers: int = 1) -> list[ExecutionRow]:
        self.queries.append((query, workers))
        steps = (
            StateStep("Probe", T0 + timedelta(seconds=1), T0 + timedelta(seconds=3), SUCCEEDED),
            StateStep(
                "Transcode", T0 + timedelta(seconds=3), T0 + timedelta(seconds=9), CAUGHT, 3, "Boom", "x"
            ),
        )
        return [
            ExecutionRow("v1", f"{INGEST}:v1", "FAILED", T0, T0 + timedelta(seconds=10), steps, as_of, "Boom")
        ]


def service(reader: RecordingReader | None = None) -> OperationsService:
    snapshot = HealthSnapshot("personalized", ())
    return OperationsService(
        reader or RecordingReader(),
        {"ingest": INGEST, "heat": INGEST.replace("ingest", "heat")},
        lambda: snapshot,
        clock=lambda: T0 + timedelta(seconds=30),
    )


def test_an_execution_is_answered_with_offsets_from_its_start() -> None:
    # GIVEN a reader with one failed execution WHEN an operator lists the failed ones
    reader = RecordingReader()
    page = service(reader).executions(OPERATOR, None, "FAILED", "5", None)
    # THEN the query named the ingest state machine, the status and the limit, its histories read at once
    ((query, workers),) = reader.queries
    assert (query.state_machine_arn, query.status, query.limit, query.video) == (INGEST, "FAILED", 5, None)
    assert workers > 1
    # AND the execution is answered with where it failed and each state's offset, time and attempts
    assert page["workflow"] == "ingest" and page["workflows"] == ["heat", "ingest"]
    (item,) = page["items"]
    assert (item["status"], item["seconds"], item["failed_state"], item["error"]) == (
        "FAILED",
        10.0,
        "Transcode",
        "Boom",
    )
    assert [(s["name"], s["entered_s"], s["seconds"], s["attempts"]) for s in item["states"]] == [
        ("Probe", 1.0, 2.0, 1),
        ("Transcode", 3.0, 6.0, 3),
    ]


def test_only_operators_read_operations() -> None:
    # WHEN someone outside the operator group asks THEN both reads are refused
    ops = service()
    with pytest.raises(Forbidden):
        ops.executions(REVIEWER, None, None, None, None)
    with pytest.raises(Forbidden):
        ops.feed_health(REVIEWER)


@pytest.mark.parametrize(
    ("workflow", "status", "limit", "video", "code"),
    [
        ("tiering", None, None, None, "unknown_workflow"),  # a workflow this deployment did not configure
        (None, "LOST", None, None, "invalid_status"),
        (None, None, str(MAX_EXECUTIONS + 1), None, "invalid_limit"),
        (None, None, "0", None, "invalid_limit"),
        (None, None, None, "../v1", "invalid_video"),
        (None, None, None, "x" * 81, "invalid_video"),
        (None, None, None, "v1\n", "invalid_video"),
    ],
)
def test_bad_filters_are_refused_before_any_read(
    workflow: str | None, status: str | None, limit: str | None, video: str | None, code: str
) -> None:
    reader = RecordingReader()
    with pytest.raises(InvalidRequest) as refused:
        service(reader).executions(OPERATOR, workflow, status, limit, video)
    assert refused.value.code == code and reader.queries == []


def test_the_health_snapshot_reports_signals_thresholds_and_the_mode() -> None:
    # GIVEN a search node missing 40 % of its shards, a fresh real-time path and a load probe that fails
    now = [100.0]

    def failing_load() -> float:
        raise ReelstackError("redis unreachable")

    health = FeedHealth(
        search_gap=lambda: 40.0, realtime_lag=lambda: 0.5, load=failing_load, clock=lambda: now[0]
    )
    # WHEN an operator's snapshot is taken
    snapshot = health.snapshot()
    switches = {report.level: report for report in snapshot.switches}
    # THEN search is on at its signal, load is on as unknown, the real-time path is off, and the feed
    # serves popular videos
    assert switches["search_unhealthy"].on and switches["search_unhealthy"].signal == 40.0
    assert switches["overload"].on and switches["overload"].signal is None
    assert not switches["realtime_stale"].on and switches["realtime_stale"].signal == 0.5
    assert snapshot.mode == "popular" == feed_mode({"search_unhealthy": True, "overload": True})
    # AND the ranker, never used, is off and unmeasured; the thresholds are the rules'
    ranker = switches["ranker_down"].to_dict()
    assert (ranker["on"], ranker["measured_age_s"], ranker["changed_age_s"]) == (False, None, None)
    assert switches["search_unhealthy"].rule == HealthRules().search
    # AND ages count from the measurement: a second later they read 1 s (no probe due yet)
    now[0] = 101.0
    later = {r.level: r for r in health.snapshot().switches}
    assert later["search_unhealthy"].measured_age_s == 1.0 and later["search_unhealthy"].changed_age_s == 1.0
    document = snapshot.to_dict()
    assert document["active"] == ["search_unhealthy", "overload"] and document["mode"] == "popular"


def test_feed_modes_follow_the_feed_services_order() -> None:
    # search unhealthy wins over stale interests; overload and the ranker change no mode
    assert feed_mode({"search_unhealthy": True, "realtime_stale": True}) == "popular"
    assert feed_mode({"realtime_stale": True, "ranker_down": True}) == "offline"
    assert feed_mode({"overload": True, "ranker_down": True}) == "personalized"
