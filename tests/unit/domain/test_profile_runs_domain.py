"""The nightly profile run as data (domain.distribution.profile_runs): where a run reads and writes, which part files
it loads, and when its version may be switched to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reelstack.domain.distribution.profile_runs import (
    JobSettings,
    Part,
    RunPlan,
    as_of_day,
    neighbours_from_row,
    parts_of,
    plan_run,
    profile_from_row,
    switch_decision,
)
from reelstack.errors import InvalidRequest

NOW = datetime(2026, 12, 5, 2, 30, tzinfo=UTC)


def test_a_nightly_run_covers_yesterday_and_names_its_outputs_after_the_run() -> None:
    # GIVEN the 02:30 schedule on Dec 5 WHEN a run is planned without a day
    plan = plan_run("nightly-1", NOW, "lake", "lake/interactions/v1", "lake/profiles/runs", JobSettings())
    # THEN its window ends yesterday, it reads the log and writes under its own run folder
    assert plan.as_of == "2026-12-04"
    assert plan.events_uri == "s3://lake/lake/interactions/v1"
    assert plan.out_uri == "s3://lake/lake/profiles/runs/nightly-1"
    assert plan.out_prefix == "lake/profiles/runs/nightly-1/"
    # AND the job gets the contract's arguments, and the version is the planning second
    arguments = dict(zip(plan.arguments[::2], plan.arguments[1::2], strict=True))
    assert arguments == {
        "--events": plan.events_uri,
        "--out": plan.out_uri,
        "--as-of": "2026-12-04",
        "--days": "30",
        "--top-tags": "20",
        "--top-neighbours": "20",
        "--min-support": "2",
        "--half-life-days": "7.0",
        "--history-cap": "200",
        "--daily-stats": "s3://lake/lake/daily_stats/v1",  # the lasting table, rewritten for the window
    }
    assert plan.version == int(NOW.timestamp())
    assert RunPlan.from_dict(plan.to_dict()) == plan


def test_an_operator_may_rerun_a_past_day_but_not_a_future_one() -> None:
    assert as_of_day("2026-11-30", NOW) == "2026-11-30"
    assert as_of_day("2026-12-05", NOW) == "2026-12-05"
    for bad in ("2026-12-06", "yesterday", "2026-13-01"):
        with pytest.raises(InvalidRequest):
            as_of_day(bad, NOW)
    with pytest.raises(InvalidRequest):
        plan_run("bad run id", NOW, "lake", "e", "r", JobSettings())


def test_only_the_spark_part_files_of_the_loaded_tables_are_parts() -> None:
    # GIVEN what a Spark job leaves under its output folder
    prefix = "lake/profiles/runs/r1/"
    keys = [
        f"{prefix}_SUCCESS_MARKER.json",
        f"{prefix}profiles/_SUCCESS",
        f"{prefix}profiles/part-00001-abc.json",
        f"{prefix}profiles/part-00000-abc.json",
        f"{prefix}profiles/.part-00000-abc.json.crc",
        f"{prefix}neighbours/part-00000-def.json.gz",
        f"{prefix}video_features/part-00000-x.json",
        f"{prefix}examples/part-00000-y.parquet",
    ]
    # WHEN the parts are listed THEN the profiles' and neighbours' part files come in a stable order
    assert parts_of(prefix, keys) == [
        Part("profiles", f"{prefix}profiles/part-00000-abc.json"),
        Part("profiles", f"{prefix}profiles/part-00001-abc.json"),
        Part("neighbours", f"{prefix}neighbours/part-00000-def.json.gz"),
    ]
    with pytest.raises(InvalidRequest):
        Part.from_dict({"table": "examples", "key": "x"})


def test_rows_of_the_job_become_profiles_and_neighbour_lists() -> None:
    profile = profile_from_row(
        {
            "user_id": "u1",
            "tags": [{"tag": "cats", "weight": 1.5}, {"tag": "dogs", "weight": 0.25}],
            "region": "DE",
            "device": "ios",
            "activity": 7,
            "last_active": "2026-12-04T20:00:00Z",
        }
    )
    assert profile.tags == (("cats", 1.5), ("dogs", 0.25)) and profile.activity == 7
    assert profile_from_row(profile.to_dict()) == profile
    lists = neighbours_from_row(
        {"video_id": "v1", "neighbours": [{"video_id": "v2", "score": 0.5, "support": 3}]}
    )
    assert lists.items == (("v2", 0.5, 3),)
    assert neighbours_from_row(lists.to_dict()) == lists
    with pytest.raises(InvalidRequest):
        profile_from_row({"tags": []})


def test_a_run_is_switched_to_only_when_whole_and_not_collapsed() -> None:
    expected = {"profiles": 100, "neighbours": 40, "examples": 9000}
    # GIVEN every row loaded and a similar night serving THEN it switches
    assert switch_decision(expected, {"profiles": 100, "neighbours": 40}, 110, 0.5).switch
    # AND the first night ever switches too
    assert switch_decision(expected, {"profiles": 100, "neighbours": 40}, None, 0.5).switch
    # GIVEN a part missing THEN it does not
    missing = switch_decision(expected, {"profiles": 60, "neighbours": 40}, 110, 0.5)
    assert not missing.switch and "60 rows loaded of the 100" in missing.reason
    # GIVEN a collapse (an empty or half-written log) THEN it does not either
    collapsed = switch_decision(
        {"profiles": 10, "neighbours": 0}, {"profiles": 10, "neighbours": 0}, 110, 0.5
    )
    assert not collapsed.switch and "fewer than 50%" in collapsed.reason
