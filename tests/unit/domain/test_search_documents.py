"""A video record as its search document: the mapping's fields only, published videos indexed and any
other removed, and external versions that grow with the record and with the writer's start."""

from __future__ import annotations

from dataclasses import replace

from reelstack.domain.distribution.search_documents import (
    Counts,
    IndexAction,
    document_version,
    epoch_micros,
    heat,
    plan_video,
    search_document,
)
from reelstack.domain.distribution.search_indices import VIDEOS_MAPPINGS
from reelstack.domain.storage.storage_tiers import StorageState, Tier
from reelstack.domain.videos import Playback, Video, VideoStatus

NOW_US = epoch_micros("2026-12-04T12:00:00.000Z")


def _video(**changes: object) -> Video:
    video = Video(
        video_id="v1",
        owner="alice",
        status=VideoStatus.PUBLISHED,
        title="Café au lait",
        tags=("cats", "Funny"),
        created_at="2026-12-04T09:00:00.000Z",
        updated_at="2026-12-04T10:00:00.123Z",
        playback=Playback(
            master_key="renditions/v1/master.m3u8",
            poster_key="renditions/v1/poster.jpg",
            sprite_key=None,
            sprite_index_key=None,
            duration_s=12.5,
            renditions=(),
        ),
        published_at="2026-12-04T10:00:00.123Z",
        extra={"region": "FR"},
    )
    return replace(video, **changes)  # type: ignore[arg-type]


def test_a_published_video_becomes_a_document_of_the_mappings_fields() -> None:
    # GIVEN a published, archived video with counts
    video = _video(storage=StorageState(tier=Tier.COLD, since="2026-12-04T11:00:00.000Z"))
    # WHEN its document is built
    document = search_document(video, Counts(likes=3, plays=40), NOW_US)
    # THEN the owner is the author, keys come from the playback, the tier from the storage state
    assert set(document) <= set(VIDEOS_MAPPINGS["properties"])
    assert document["author"] == "alice"
    assert document["poster_key"] == "renditions/v1/poster.jpg"
    assert document["playback_key"] == "renditions/v1/master.m3u8"
    assert document["storage_tier"] == "cold"
    assert document["like_count"] == 3 and document["play_count"] == 40
    assert document["duration_s"] == 12.5
    assert document["region"] == "FR" and "language" not in document
    assert document["tags"] == ["cats", "Funny"]


def test_a_never_moved_video_is_hot_and_heat_fades_with_age() -> None:
    # GIVEN the same engagement on a fresh and on a week-old video
    counts = Counts(likes=10, plays=100)
    fresh = heat(counts, "2026-12-04T11:00:00.000Z", NOW_US)
    old = heat(counts, "2026-11-27T11:00:00.000Z", NOW_US)
    # THEN the fresh one is hotter, both positive, and a hot tier is the default
    assert fresh > old > 0
    assert heat(Counts(), "2026-12-04T11:00:00.000Z", NOW_US) == 0
    assert search_document(_video(), counts, NOW_US)["storage_tier"] == "hot"


def test_published_videos_are_indexed_and_every_other_status_removed() -> None:
    # GIVEN a video in each status, and one whose record is gone
    for status in VideoStatus:
        op = plan_video(_video(status=status), "v1", Counts(), NOW_US)
        # THEN only PUBLISHED is indexed
        expected = IndexAction.INDEX if status is VideoStatus.PUBLISHED else IndexAction.DELETE
        assert op.action is expected, status
        assert (op.document is not None) == (expected is IndexAction.INDEX)
    gone = plan_video(None, "v1", Counts(), NOW_US)
    assert gone.action is IndexAction.DELETE and gone.version == NOW_US


def test_the_version_is_the_newer_of_the_records_update_and_the_writers_start() -> None:
    # GIVEN a record updated at 10:00:00.123
    updated = epoch_micros("2026-12-04T10:00:00.123Z")
    # WHEN a writer that started earlier (clock skew) or later writes it
    # THEN the version never goes below the record's update, and grows with a later start
    assert document_version("2026-12-04T10:00:00.123Z", updated - 5) == updated
    assert document_version("2026-12-04T10:00:00.123Z", NOW_US) == NOW_US
    assert document_version("2026-12-04T10:00:00.124Z", 0) == updated + 1000
    # AND a newer record update gives a newer version at the same start
    older = plan_video(_video(), "v1", Counts(), 0).version
    newer = plan_video(_video(updated_at="2026-12-04T10:00:01.000Z"), "v1", Counts(), 0).version
    assert newer > older


def test_epoch_micros_reads_z_offsets_and_naive_times_as_utc() -> None:
    # GIVEN the same instant written three ways THEN the same microseconds
    assert epoch_micros("1970-01-01T00:00:01.5Z") == 1_500_000
    assert epoch_micros("1970-01-01T01:00:01.5+01:00") == 1_500_000
    assert epoch_micros("1970-01-01T00:00:01.500000") == 1_500_000
