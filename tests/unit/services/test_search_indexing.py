"""The indexer's order (start, counts, records, one bulk) and the count refresher's marks: cleared only
for written documents, kept for stale or failed ones. In-memory stand-ins: no sockets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reelstack.domain.distribution.search_documents import Counts, IndexAction, IndexOp
from reelstack.domain.videos import Playback, Video, VideoStatus
from reelstack.services.distribution.search_indexing import CountRefresher, SearchIndexer, mark_dirty

T0 = 1_800_000_000_000_000


def _video(video_id: str, status: VideoStatus = VideoStatus.PUBLISHED) -> Video:
    return Video(
        video_id=video_id,
        owner="alice",
        status=status,
        title=video_id,
        tags=(),
        created_at="2026-12-04T10:00:00.000Z",
        updated_at="2026-12-04T10:00:00.000Z",
        playback=Playback("m.m3u8", None, None, None, 3.0, ()),
        published_at="2026-12-04T10:00:00.000Z",
    )


@dataclass
class Outcome:
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    videos: dict[str, Video]
    log: list[str] = field(default_factory=list)
    bulks: list[list[IndexOp]] = field(default_factory=list)
    stale: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)

    def get_videos(self, video_ids: Iterable[str]) -> Mapping[str, Video]:
        self.log.append("records")
        return {v: self.videos[v] for v in video_ids if v in self.videos}

    def counts(self, video_id: str) -> Counts:
        self.log.append(f"counts {video_id}")
        return Counts(likes=2, plays=7)

    def __call__(self, ops: Sequence[IndexOp]) -> Outcome:
        self.bulks.append(list(ops))
        outcome = Outcome()
        for op in ops:
            if op.video_id in self.failing:
                outcome.failed[op.video_id] = "500"
            elif op.video_id in self.stale:
                outcome.stale.append(op.video_id)
            else:
                outcome.written.append(op.video_id)
        return outcome


@dataclass
class Marks:
    marks: dict[str, float]
    cleared: list[str] = field(default_factory=list)

    def mark(self, video_ids: Iterable[str], now_s: float) -> None:
        self.marks.update({v: now_s for v in video_ids})

    def oldest(self, limit: int) -> list[tuple[str, float]]:
        return sorted(self.marks.items(), key=lambda kv: kv[1])[:limit]

    def clear(self, marks: Sequence[tuple[str, float]]) -> int:
        for video_id, _ in marks:
            self.marks.pop(video_id, None)
            self.cleared.append(video_id)
        return len(marks)


def test_a_batch_reads_counts_before_records_and_writes_one_bulk() -> None:
    # GIVEN a published, a rejected and a missing video, named twice over
    world = World({"a": _video("a"), "b": _video("b", VideoStatus.REJECTED)})
    indexer = SearchIndexer(world, world, world, clock_us=lambda: T0)
    # WHEN the batch is synced
    indexer.sync(["a", "b", "a", "gone"])
    # THEN counts come first, then one batch read of the records, then ONE bulk with one op per video
    assert sorted(world.log[:-1]) == ["counts a", "counts b", "counts gone"]  # read side by side
    assert world.log[-1] == "records"
    assert len(world.bulks) == 1
    actions = {op.video_id: op.action for op in world.bulks[0]}
    assert actions == {"a": IndexAction.INDEX, "b": IndexAction.DELETE, "gone": IndexAction.DELETE}
    assert all(op.version == T0 for op in world.bulks[0])  # the start is later than the records
    assert world.bulks[0][0].document is not None and world.bulks[0][0].document["like_count"] == 2


def test_the_refresh_clears_written_marks_and_keeps_the_others() -> None:
    # GIVEN three dirty videos: one the index holds newer (409), one the engine fails
    world = World({v: _video(v) for v in ("a", "b", "c")}, stale={"b"}, failing={"c"})
    marks = Marks({"a": 1.0, "b": 2.0, "c": 3.0})
    refresher = CountRefresher(SearchIndexer(world, world, world, clock_us=lambda: T0), marks, page_size=10)
    # WHEN the refresh runs
    report = refresher.refresh()
    # THEN only the written one is cleared; the other two wait for the next run (which starts later)
    assert marks.cleared == ["a"]
    assert set(marks.marks) == {"b", "c"}
    assert (report.refreshed, report.kept_dirty, report.pages) == (1, 2, 1)


def test_the_refresh_pages_through_the_marks_until_none_are_left() -> None:
    # GIVEN five dirty videos and pages of two
    world = World({v: _video(v) for v in "abcde"})
    marks = Marks({v: float(n) for n, v in enumerate("abcde")})
    refresher = CountRefresher(SearchIndexer(world, world, world, clock_us=lambda: T0), marks, page_size=2)
    # WHEN it runs THEN three bulks, oldest first, and nothing left dirty
    assert refresher.refresh().pages == 3
    assert [[op.video_id for op in bulk] for bulk in world.bulks] == [["a", "b"], ["c", "d"], ["e"]]
    assert marks.marks == {}


def test_a_failed_mark_is_logged_not_raised() -> None:
    # GIVEN a dirty set that cannot be reached
    class Down(Marks):
        def mark(self, video_ids: Iterable[str], now_s: float) -> None:
            raise RuntimeError("redis down")

    # WHEN a worker marks its videos THEN nothing is raised (the durable write already happened)
    mark_dirty(Down({}), ["a"])
    mark_dirty(None, ["a"])
