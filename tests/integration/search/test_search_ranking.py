"""Search, suggestions and similar videos on the real node: a planted corpus whose order is known, every
page of a search once, titles completed, similar videos without the author's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.errors import NotFound
from reelstack.services.distribution.search import SearchService
from reelstack.settings import SearchSettings
from reelstack_tools.localcloud.search_node import SearchNode
from tests.support import search_corpus as corpus

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def service(search_node: SearchNode) -> Iterator[SearchService]:
    corpus.plant(search_node.url)
    settings = SearchSettings(
        search_endpoint=search_node.url, reelstack_local=True, search_timeout_seconds=10
    )
    client = SearchClient(settings)
    yield SearchService(client, lambda key: f"https://cdn.example/{key}", now_ms=lambda: corpus.NOW_MS)
    client.client.close()


def _ids(answer: dict[str, object]) -> list[str]:
    items = answer["items"]
    assert isinstance(items, list)
    return [item["video_id"] for item in items]


def test_an_exact_title_ranks_above_a_tag_match_above_older_less_played_title_matches(
    service: SearchService,
) -> None:
    """GIVEN a title equal to the text, a video tagged with it, and two videos whose title contains it,
    one fresh and much played, one a year old and barely played
    WHEN searching "surfing"
    THEN the exact title comes first, the tag match above both title matches, the fresh one above the
    old one; videos that match nothing are absent."""
    ids = _ids(service.search({"q": ["surfing"]}))

    assert ids[0] == "v-exact"
    assert ids.index("v-tag") < ids.index("v-fresh") < ids.index("v-old")
    assert "v-pasta" not in ids and not any(i.startswith("v-kayak") for i in ids)


def test_a_result_carries_the_player_fields_and_urls(service: SearchService) -> None:
    """GIVEN the planted exact-title video WHEN searched THEN its result has the fields a player needs,
    URLs made from the stored keys."""
    first = service.search({"q": ["Surfing"], "limit": ["1"]})["items"][0]

    assert first == {
        "video_id": "v-exact",
        "title": "Surfing",
        "author": "ana",
        "poster_url": "https://cdn.example/renditions/v-exact/poster.jpg",
        "playback_url": "https://cdn.example/renditions/v-exact/master.m3u8",
        "duration_s": 12.5,
        "like_count": 3,
    }


def test_case_and_accents_are_folded(service: SearchService) -> None:
    """GIVEN a title with "café" WHEN searching "CAFE" THEN it is found."""
    assert "v-special" in _ids(service.search({"q": ["CAFE"]}))


def test_the_tag_filter_keeps_only_that_tag(service: SearchService) -> None:
    """GIVEN kayak videos tagged kayak or river WHEN searching "kayak" with tag=RIVER
    THEN only the river ones come back (the tag folded as stored)."""
    ids = _ids(service.search({"q": [corpus.PAGED_WORD], "tag": ["RIVER"], "limit": ["50"]}))

    expected = {f"v-kayak-{n:02d}" for n in range(corpus.PAGED_COUNT) if n % 2 == 0}
    assert set(ids) == expected


def test_search_after_pages_return_every_video_once(service: SearchService) -> None:
    """GIVEN 23 kayak videos, several identical but for their id
    WHEN paging through "kayak" 5 at a time with the cursor of each page
    THEN every video comes exactly once, in the order of one big page, and the last page has no cursor."""
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"q": [corpus.PAGED_WORD], "limit": ["5"]} | ({"cursor": [cursor]} if cursor else {})
        answer = service.search(params)
        seen += _ids(answer)
        pages += 1
        cursor = answer["cursor"]
        if cursor is None:
            break
        assert pages < 10, "the cursor never ends"

    assert len(seen) == len(set(seen)) == corpus.PAGED_COUNT
    assert pages == 5
    assert seen == _ids(service.search({"q": [corpus.PAGED_WORD], "limit": ["50"]}))


def test_suggest_completes_a_title_prefix_once_per_title(service: SearchService) -> None:
    """GIVEN two videos titled "Surfing lessons for beginners" and other surfing titles
    WHEN asking suggestions for "surfing less" and for "sur"
    THEN the lessons title comes once, and the prefix "sur" completes to the surfing titles."""
    lessons = service.suggest({"q": ["surfing less"]})["suggestions"]
    short = service.suggest({"q": ["sur"]})["suggestions"]

    assert lessons[0] == "Surfing lessons for beginners"
    assert lessons.count("Surfing lessons for beginners") == 1
    assert {"Surfing", "Surfing at dawn", "Surfing lessons for beginners"} <= set(short)
    assert len(short) == len(set(short))


def test_similar_videos_exclude_the_video_and_its_author(service: SearchService) -> None:
    """GIVEN ana's "Surfing" and ana's "Surfing at dawn", and others' surfing videos
    WHEN asking videos similar to "Surfing"
    THEN others' surfing videos come back, neither the video itself nor anything of ana's."""
    ids = _ids(service.similar("v-exact", {}))

    assert {"v-fresh", "v-old", "v-tag"} & set(ids)
    assert "v-exact" not in ids and "v-ana2" not in ids


def test_similar_videos_leave_out_what_the_viewer_has_seen(service: SearchService) -> None:
    """GIVEN a viewer whose seen set holds one of the surfing videos
    WHEN the viewer asks for videos similar to "Surfing"
    THEN that video is left out, and the other similar ones still come back."""
    seen_by = {"viewer-1": ["v-fresh"]}
    with_seen = SearchService(
        service.client, service.public_url, now_ms=service.now_ms, seen=lambda user: seen_by.get(user, [])
    )

    ids = _ids(with_seen.similar("v-exact", {}, "viewer-1"))

    assert "v-fresh" not in ids and {"v-old", "v-tag"} & set(ids)
    assert "v-fresh" in _ids(with_seen.similar("v-exact", {}, "viewer-2"))


def test_similar_for_a_video_not_in_the_index_is_not_found(service: SearchService) -> None:
    """GIVEN ids the index does not hold (unknown, absurdly long) WHEN asking similar videos
    THEN 404 video_not_found."""
    for video_id in ("v-missing", "x" * 600):
        with pytest.raises(NotFound) as refused:
            service.similar(video_id, {})
        assert refused.value.code == "video_not_found"


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced quote',
        "a/b\\c",
        "[part 1] {x} (y)",
        "surfing AND NOT OR",
        "*?~^:!-+&|",
        "title:surfing",
        "café ünïcödé 日本語",
        "🏄‍♀️ surf 🌊",
        "\\",
        'C++ "tips" [part 1] & AND/OR: café',
    ],
)
def test_special_characters_are_just_searched(service: SearchService, text: str) -> None:
    """GIVEN text full of query-language syntax, unicode or emoji WHEN searched and suggested
    THEN an answer (never an engine error), with the planted special title found by its own words."""
    answer = service.search({"q": [text]})
    service.suggest({"q": [text]})

    assert isinstance(answer["items"], list)
    if text.startswith("C++"):
        assert _ids(answer)[0] == "v-special"
