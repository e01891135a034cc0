"""The per-process memory of published videos: hits within the TTL, never for unpublished ones."""

from __future__ import annotations

from reelstack.domain.videos import Video, VideoStatus
from reelstack.services.published_videos import PublishedVideos

AT = "2026-11-22T00:00:00.000Z"


class Table:
    def __init__(self) -> None:
        self.videos: dict[str, Video] = {}
        self.reads = 0

    def get(self, video_id: str) -> Video | None:
        self.reads += 1
        return self.videos.get(video_id)


def video(video_id: str, status: VideoStatus) -> Video:
    return Video(video_id, "author", status, "t", (), AT, AT)


def test_a_published_video_is_read_once_per_ttl() -> None:
    # GIVEN a published video and a clock
    table, now = Table(), [0.0]
    table.videos["v"] = video("v", VideoStatus.PUBLISHED)
    cache = PublishedVideos(table.get, ttl_s=30, clock=lambda: now[0])
    # WHEN it is looked up three times within 30 s, then once after
    for moment in (0.0, 10.0, 29.9):
        now[0] = moment
        assert cache.get_video("v") == table.videos["v"]
    reads_within = table.reads
    now[0] = 30.0
    cache.get_video("v")
    # THEN the table was read once, then again when the entry expired
    assert (reads_within, table.reads) == (1, 2)


def test_unpublished_and_missing_videos_are_read_every_time_so_publishing_shows_at_once() -> None:
    # GIVEN a video still processing, and a missing one
    table = Table()
    table.videos["v"] = video("v", VideoStatus.PROCESSING)
    cache = PublishedVideos(table.get, clock=lambda: 0.0)
    assert cache("v") is not None and cache("v").status == VideoStatus.PROCESSING  # type: ignore[union-attr]
    assert cache("missing") is None
    # WHEN it is published THEN the next lookup sees it
    table.videos["v"] = video("v", VideoStatus.PUBLISHED)
    assert cache("v").status == VideoStatus.PUBLISHED  # type: ignore[union-attr]
    assert table.reads == 4


def test_the_oldest_entries_make_room() -> None:
    table = Table()
    for name in ("a", "b", "c"):
        table.videos[name] = video(name, VideoStatus.PUBLISHED)
    cache = PublishedVideos(table.get, max_entries=2, clock=lambda: 0.0)
    for name in ("a", "b", "c", "a"):
        cache(name)
    # "a" was evicted by "c", so it was read twice
    assert table.reads == 4
