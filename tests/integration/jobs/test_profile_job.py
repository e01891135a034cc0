"""The profile job (jobs/profile_job/job.py) on a hand-built event set: the weights, neighbours,
video features and examples its contract's formulas give, computed here by hand; duplicates count
once; the same input gives the same rows; a held-out split takes its features from the window only."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.engagement.lake_files import parquet_bytes
from reelstack.domain.engagement.interactions import Interaction, VideoFacts
from tests.conftest import ROOT
from tests.support.modules import load_module

pytestmark = pytest.mark.integration

JOB = load_module("profile_job", ROOT / "jobs" / "profile_job" / "job.py")
AS_OF = "2026-12-03"
END = datetime(2026, 12, 4, tzinfo=UTC)  # the end of as_of
PUBLISHED = datetime(2026, 11, 1, tzinfo=UTC)
VIDEOS = {
    "v1": VideoFacts("ann", ("cats", "funny"), 10_000, PUBLISHED, "h264"),
    "v2": VideoFacts("ann", ("cats",), 20_000, PUBLISHED, "hevc"),
    "v3": VideoFacts("bob", ("cars",), 30_000, None, None),
}


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def play(
    user: str, video: str, watched_ms: int, when: datetime, region: str = "DE", device: str = "ios"
) -> Interaction:
    return Interaction(
        f"play:{user}:{video}:{int(when.timestamp())}", "play", user, when, video_id=video,
        watched_ms=watched_ms, region=region, device=device, video=VIDEOS[video],
    )  # fmt: skip


def like(user: str, video: str, when: datetime, liked: bool = True) -> Interaction:
    kind = "like" if liked else "unlike"
    return Interaction(
        f"{kind}:{user}:{video}:{int(when.timestamp())}",
        kind,
        user,
        when,
        video_id=video,
        video=VIDEOS[video],
    )


EVENTS = [
    # u1: watches v1 fully on the 3rd, half of v2 on the 2nd, likes v1 on the 3rd
    play("u1", "v1", 10_000, at(3, 12)),
    play("u1", "v2", 10_000, at(2, 12)),
    like("u1", "v1", at(3, 13)),
    # u2: watches v1 and v2 fully on the 3rd (web, FR twice, DE once), a tenth of v3
    play("u2", "v1", 10_000, at(3, 8), region="FR", device="web"),
    play("u2", "v2", 20_000, at(3, 9), region="FR", device="web"),
    play("u2", "v3", 3_000, at(3, 10), region="DE", device="android"),
    # u3: likes then unlikes v3 on the 1st (net nothing), watches v1 fully
    like("u3", "v3", at(1, 0)),
    like("u3", "v3", at(1, 1), liked=False),
    play("u3", "v1", 10_000, at(1, 2)),
    # u2 follows ann (the author of v1 and v2) on the 2nd, before u2's plays; nobody follows bob (v3's)
    Interaction("follow:u2:ann:1", "follow", "u2", at(2, 0), target_user_id="ann"),
    # after as_of: u1 plays v3 (the held-out split) and likes it
    play("u1", "v3", 3_000, at(4, 9)),
    like("u1", "v3", at(4, 10)),
    # outside the window (the job runs --days 3: Dec 1-3): never read
    play("u9", "v1", 10_000, datetime(2026, 11, 30, 23, tzinfo=UTC)),
]


def decay(when: datetime) -> float:
    return 0.5 ** (((END - when).total_seconds() / 86400) / 7.0)


def write_lake(folder: Path, events: list[Interaction]) -> None:
    by_day: dict[str, list[Interaction]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event)
    for day, batch in by_day.items():
        target = folder / f"dt={day}"
        target.mkdir(parents=True, exist_ok=True)
        (target / f"batch-{len(list(target.iterdir()))}.parquet").write_bytes(parquet_bytes(batch))


def run_job(spark: Any, events: Path, out: Path, *extra: str) -> dict[str, int]:
    args = JOB.parse_args(
        [
            "--events",
            str(events),
            "--out",
            str(out),
            "--as-of",
            AS_OF,
            "--days",
            "3",
            "--min-support",
            "1",
            *extra,
        ]
    )
    return dict(JOB.run(spark, args))


def json_rows(folder: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for part in sorted(folder.glob("part-*")) for line in part.read_text().splitlines()
    ]


@pytest.fixture(scope="module")
def output(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    write_lake(lake, EVENTS)
    write_lake(lake, EVENTS[:3])  # a redelivered batch: the same events again, in another file
    out = tmp_path_factory.mktemp("run") / "out"
    run_job(spark, lake, out, "--label-until", "2026-12-04")
    return out


def test_interest_weights_follow_completion_likes_and_decay(output: Path) -> None:
    profiles = {row["user_id"]: row for row in json_rows(output / "profiles")}
    assert set(profiles) == {"u1", "u2", "u3"}  # u9 is outside the window
    u1 = profiles["u1"]
    # v1 watched fully (1.0) and liked (1.0) on the 3rd; v2 half watched (0.5) on the 2nd
    cats = 1.0 * decay(at(3, 12)) + 1.0 * decay(at(3, 13)) + 0.5 * decay(at(2, 12))
    funny = 1.0 * decay(at(3, 12)) + 1.0 * decay(at(3, 13))
    assert u1["tags"] == [
        {"tag": "cats", "weight": round(cats, 6)},
        {"tag": "funny", "weight": round(funny, 6)},
    ]
    assert (u1["region"], u1["device"], u1["activity"]) == ("DE", "ios", 3)  # the duplicates counted once
    assert u1["last_active"] == "2026-12-03T13:00:00.000Z"
    # u2: FR twice beats DE once; web twice beats android once; v3 at a tenth adds 0.1 to cars
    u2 = profiles["u2"]
    assert (u2["region"], u2["device"]) == ("FR", "web")
    assert u2["tags"][-1] == {"tag": "cars", "weight": round(0.1 * decay(at(3, 10)), 6)}
    # u3: the like and the unlike cancel: cars is not positive, so only v1's tags remain
    assert [item["tag"] for item in profiles["u3"]["tags"]] == ["cats", "funny"]


def test_neighbours_are_cosine_co_watch_with_support(output: Path) -> None:
    lists = {row["video_id"]: row["neighbours"] for row in json_rows(output / "neighbours")}
    # engaged: u1 {v1, v2} (v2 at half counts), u2 {v1, v2} (v3 at a tenth does not), u3 {v1}
    # n_v1 = 3, n_v2 = 2; support(v1, v2) = 2 -> 2 / sqrt(6)
    assert lists == {
        "v1": [{"video_id": "v2", "score": round(2 / math.sqrt(6), 6), "support": 2}],
        "v2": [{"video_id": "v1", "score": round(2 / math.sqrt(6), 6), "support": 2}],
    }


def test_video_features_count_plays_likes_and_completion(output: Path) -> None:
    videos = {row["video_id"]: row for row in json_rows(output / "video_features")}
    assert videos["v1"]["plays"] == 3 and videos["v1"]["likes"] == 1 and videos["v1"]["completion"] == 1.0
    assert videos["v2"]["completion"] == 0.75  # (0.5 + 1.0) / 2
    assert videos["v3"]["likes"] == 0 and videos["v3"]["published_at"] is None
    assert videos["v1"]["author_id"] == "ann" and videos["v1"]["tags"] == ["cats", "funny"]


def test_examples_label_plays_and_hold_out_later_days(spark: Any, output: Path) -> None:
    rows = {
        row["event_id"]: row
        for row in (r.asDict() for r in spark.read.parquet(str(output / "examples")).collect())
    }
    train = {key: row for key, row in rows.items() if row["split"] == "train"}
    test = [row for row in rows.values() if row["split"] == "test"]
    assert len(train) == 6  # the window's plays, duplicates once
    u2_v3 = train[f"play:u2:v3:{int(at(3, 10).timestamp())}"]
    assert (u2_v3["label"], u2_v3["user_region"], u2_v3["hour"], u2_v3["video_plays"]) == (0, "FR", 10, 1)
    assert train[f"play:u1:v2:{int(at(2, 12).timestamp())}"]["label"] == 1  # half counts
    assert train[f"play:u1:v1:{int(at(3, 12).timestamp())}"]["video_age_days"] == pytest.approx(32.5)
    # whether the viewer followed the author when they played: u2 follows ann, not bob; u1 nobody
    follows = {key.rsplit(":", 1)[0]: row["follows_author"] for key, row in train.items()}
    assert (follows["play:u2:v1"], follows["play:u2:v2"], follows["play:u2:v3"]) == (True, True, False)
    assert follows["play:u1:v1"] is False
    # the held-out play: a tenth watched but liked the same day -> 1; its user features are W's
    assert len(test) == 1 and test[0]["label"] == 1
    assert test[0]["user_tags"] == ["cats", "funny"] and test[0]["video_plays"] == 1


def test_the_marker_counts_every_table_and_a_second_run_gives_the_same_rows(
    spark: Any, output: Path, tmp_path: Path
) -> None:
    marker = json.loads((output / "_SUCCESS_MARKER.json").read_text())
    assert marker == {
        "as_of": AS_OF,
        "counts": {"profiles": 3, "neighbours": 2, "video_features": 3, "examples": 7},
    }
    lake = tmp_path / "lake"
    write_lake(lake, EVENTS)
    again = tmp_path / "again"
    run_job(spark, lake, again, "--label-until", "2026-12-04")
    for table in ("profiles", "neighbours", "video_features"):
        first = sorted(json.dumps(row, sort_keys=True) for row in json_rows(output / table))
        assert first == sorted(json.dumps(row, sort_keys=True) for row in json_rows(again / table)), table


def test_daily_stats_replace_the_window_dates_and_keep_older_ones(spark: Any, tmp_path: Path) -> None:
    # GIVEN the log, and a daily-stats table that already holds an older date and a stale copy of Dec 2
    lake = tmp_path / "lake"
    write_lake(lake, EVENTS)
    write_lake(lake, EVENTS[:3])
    stats = tmp_path / "daily"
    old_row = {"video_id": "v1", "plays": 7, "likes": 0, "unlikes": 0, "watched_sum": 3.5, "watched_plays": 7}
    for day in ("2026-11-20", "2026-12-02"):
        spark.createDataFrame([old_row]).write.parquet(str(stats / f"dt={day}"))
    # WHEN the job runs over Dec 1-3 with --daily-stats
    counts = run_job(spark, lake, tmp_path / "out", "--daily-stats", str(stats))
    # THEN every date of the window with events holds exactly its counts, and Nov 20 is untouched
    rows = {
        (row["dt"], row["video_id"]): row
        for row in (
            r.asDict()
            for r in spark.read.options(basePath=str(stats), mergeSchema="true").parquet(str(stats)).collect()
        )
    }
    got = {
        key: (r["plays"], r["likes"], r["unlikes"], r["watched_sum"], r["watched_plays"])
        for key, r in rows.items()
    }
    assert got == {
        ("2026-11-20", "v1"): (7, 0, 0, 3.5, 7),
        ("2026-12-01", "v1"): (1, 0, 0, 1.0, 1),
        ("2026-12-01", "v3"): (0, 1, 1, 0.0, 0),
        ("2026-12-02", "v2"): (1, 0, 0, 0.5, 1),
        ("2026-12-03", "v1"): (2, 1, 0, 2.0, 2),
        ("2026-12-03", "v2"): (1, 0, 0, 1.0, 1),
        ("2026-12-03", "v3"): (1, 0, 0, pytest.approx(0.1), 1),
    }
    assert rows[("2026-12-02", "v2")]["published_at"].replace(tzinfo=UTC) == PUBLISHED
    assert rows[("2026-12-03", "v3")]["published_at"] is None
    assert counts["daily_stats"] == 6


def test_no_log_yet_gives_empty_outputs(spark: Any, tmp_path: Path) -> None:
    counts = run_job(spark, tmp_path / "missing", tmp_path / "out")
    assert counts == {"profiles": 0, "neighbours": 0, "video_features": 0, "examples": 0}
