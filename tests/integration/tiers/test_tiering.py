"""The nightly tiering of one published video against the local cloud: a dry run changes nothing,
a run moves its objects to the classes the ROI decisions chose (and says why), a second run changes
nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.domain.storage.storage_tiers import tier_of
from reelstack.services.storage.tiering import TieringService
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def video_id(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PUBLISHED 6 s 720p video of alice's (media files well above the 128 KB billing minimum)."""
    from reelstack_tools.demo import make_test_video

    clip = make_test_video(tmp_path_factory.mktemp("tiering") / "clip.mp4", 6)
    video = upload_bytes(alice, Path(clip).read_bytes(), title="tier me")
    assert wait_for_status(alice, video, timeout=180).get("status") == "PUBLISHED"
    return video


@pytest.fixture(scope="module")
def service(
    local_cloud: Any, cloud_sdk_environment: Any
) -> tuple[TieringService, Repositories, MediaStorage]:
    storage = media_storage(local_cloud)
    repos = repositories(local_cloud)
    plays = DailyStats(local_cloud.name("PlayDailyStatsTable"), local_cloud.region)
    return TieringService(storage, repos, plays), repos, storage


def _classes(storage: MediaStorage, video_id: str) -> Counter[str]:
    objects = storage.list_objects(f"renditions/{video_id}/") + storage.list_objects(f"originals/{video_id}")
    return Counter(item.storage_class for item in objects)


def test_dry_run_then_run_then_nothing_left_to_do(service: Any, video_id: str) -> None:
    tiering, repos, storage = service
    video = repos.get_video(video_id)
    before = _classes(storage, video_id)
    assert set(before) == {"STANDARD"}

    # WHEN a dry run decides THEN it reports decisions with reasons and S3 is untouched
    dry = tiering.run(video, dry_run=True)
    assert dry.decisions and all(d["reason"] for d in dry.decisions)
    moves = [d for d in dry.decisions if d["action"] == "move"]
    assert moves, dry.decisions  # a new video nobody plays costs less outside Standard
    assert _classes(storage, video_id) == before and dry.moved_objects == 0

    # WHEN it runs THEN every moved group is in its target class, and the record says the new tier
    done = tiering.run(video)
    assert done.moved_objects > 0
    for decision in moves:
        targets = {item.storage_class for item in storage.list_objects(decision["key"])}
        assert targets == {decision["to"]}, decision
    record = repos.get_video(video_id)
    assert tier_of(record.storage).value == done.tier == dry.tier

    # WHEN it runs again on what it did THEN nothing moves
    again = tiering.run(record)
    assert again.moved_objects == 0 and not [d for d in again.decisions if d["action"] == "move"]


def test_a_dry_run_pages_through_the_published_partition_and_reports(service: Any, video_id: str) -> None:
    from reelstack.domain.videos import published_bucket
    from reelstack.services.storage.tiering_run import TieringRun, buckets

    tiering, repos, storage = service
    run = TieringRun(repos, tiering, storage, page_size=1)
    bucket = published_bucket(video_id)
    assert bucket in buckets()
    before = _classes(storage, video_id)

    # WHEN a dry run pages through the video's partition one video at a time
    seen, cursor, page = 0, None, 0
    while True:
        result = run.page("test-run", bucket, cursor, page, dry_run=True)
        seen += result["counts"]["videos"]
        cursor, page = result["cursor"], result["page"]
        if cursor is None:
            break

    # THEN every page wrote its report, the summary adds them up, and nothing moved
    summary = run.summarize("test-run", dry_run=True)
    assert summary["videos"] == seen >= 1 and summary["pages"] == page
    assert summary["moved_objects"] == 0 and _classes(storage, video_id) == before
    assert storage.head(summary["report"]) is not None


def test_the_nights_uploads_fund_the_reencode_budget_and_the_summary_sets_the_next_margin(
    service: Any, video_id: str
) -> None:
    from reelstack.domain.storage.reencode_pacing import ReencodePacing, budget, next_margin
    from reelstack.domain.videos import published_bucket
    from reelstack.services.storage.reencode_ledger import ReencodeLedger
    from reelstack.services.storage.tiering_run import TieringRun

    # GIVEN the ledger as earlier nights left it, and a video published within the day
    tiering, repos, storage = service
    pacing = ReencodePacing()
    ledger = ReencodeLedger(storage, pacing)
    before = ledger.state()
    run = TieringRun(repos, tiering, storage, page_size=50, ledger=ledger)

    # WHEN a run pages through the video's partition (dry: nothing is started) and is summarized
    cursor, page, margins = None, 0, set()
    while True:
        result = run.page("budget-run", published_bucket(video_id), cursor, page, dry_run=True)
        margins.add(result["counts"]["margin"])
        cursor, page = result["cursor"], result["page"]
        if cursor is None:
            break
    summary = run.summarize("budget-run", dry_run=False)

    # THEN every page decided with the ledger's margin, the new video's twins entered the budget,
    # nothing was spent, and the next margin is the pacing's answer over the window's nights
    assert margins == {before["margin"]}
    assert summary["uploads_twins_usd"] > 0 and summary["reencode_compute_usd"] == 0
    state = ledger.state()
    assert state["nights"][-1] == {
        "run_id": "budget-run",
        "spent_usd": 0.0,
        "uploads_twins_usd": summary["uploads_twins_usd"],
    }
    window = state["nights"]
    allowed = budget(pacing, sum(n["uploads_twins_usd"] for n in window))
    expected = next_margin(before["margin"], sum(n["spent_usd"] for n in window), allowed, pacing)
    assert state["margin"] == summary["pacing"]["margin"] == expected

    # WHEN the same run is summarized again THEN its night is not counted twice nor the margin moved twice
    again = run.summarize("budget-run", dry_run=False)
    assert ledger.state()["nights"] == window and again["pacing"]["margin"] == expected
