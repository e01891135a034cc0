"""The demo's search step: the demo's videos found by a word of their title and by a tag, a title
completed as it is typed, and the videos similar to one of them.

Every published video reaches the OpenSearch node through the indexer (EventBridge -> SQS -> one bulk
request per batch), so the step first waits until the search finds what was published. Similar videos
leave out the video's own author: a second creator (maya) uploads her own take on the first video's
subject, and that is what "similar" finds. The failed and held videos never show up.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

Call = Callable[..., Any]  # Demo.call: (method, path, body=None, token=None) -> JSON answer
INDEXED_WITHIN_S = 60.0


def _query(path: str, **params: str) -> str:
    return f"{path}?{urllib.parse.urlencode(params)}"


def wait_until_found(
    call: Call, query: str, expected: set[str], timeout: float = INDEXED_WITHIN_S
) -> dict[str, Any]:
    """Poll the search until every expected video is in the answer (or the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = call("GET", query)
        found = {item["video_id"] for item in answer.get("items", [])}
        if expected <= found or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def _show(console: Console, heading: str, items: Sequence[dict[str, Any]]) -> None:
    console.print(f"  {heading}")
    for rank, item in enumerate(items, start=1):
        console.print(
            f"    {rank}. {item['title']!r} by {item['author']}, "
            f"{item['duration_s']:.0f} s, {item['like_count']} likes  ({item['video_id']})"
        )
    if not items:
        console.print("    (nothing)")


def search_step(
    console: Console,
    call: Call,
    published: Sequence[str],
    unsearchable: set[str],
    second_take: Callable[[], str],
) -> bool:
    """`published`: the demo's published videos (the first is the one whose similar videos are asked
    for); `unsearchable`: ids that must never be found (failed, held); `second_take` publishes another
    creator's video like the first and answers its id."""
    first = published[0]
    titles = {video_id: str(call("GET", f"/videos/{video_id}").get("title", "")) for video_id in published}
    started = time.monotonic()
    other = second_take()
    console.print(f"  maya publishes her own take on {titles[first]!r}: {other}")
    with_the_word = {video_id for video_id, title in titles.items() if "upload" in title.lower()} | {other}
    by_word = wait_until_found(call, _query("/search", q="upload"), with_the_word)
    console.print(f"  searchable {time.monotonic() - started:.1f} s after maya's upload began")
    _show(
        console,
        "GET /search?q=upload (title and tags, blended with recency and likes):",
        by_word.get("items", []),
    )
    by_tag = call("GET", _query("/search", q="demo", tag="multipart"))
    _show(console, "GET /search?q=demo&tag=multipart:", by_tag.get("items", []))
    suggested = call("GET", _query("/search/suggest", q="multi"))
    console.print(f"  GET /search/suggest?q=multi: {suggested.get('suggestions')}")
    similar = call("GET", _query(f"/videos/{first}/similar", limit="5"))
    _show(
        console, f"GET /videos/{first}/similar (its author's own videos left out):", similar.get("items", [])
    )
    found = {item["video_id"] for answer in (by_word, by_tag, similar) for item in answer.get("items", [])}
    leaked = found & unsearchable
    if leaked:
        console.print(f"  [red]videos that are not published were found: {sorted(leaked)}")
    ok = (
        with_the_word <= {item["video_id"] for item in by_word.get("items", [])}
        and other in {item["video_id"] for item in similar.get("items", [])}
        and bool(by_tag.get("items"))
        and not leaked
    )
    console.print(
        "  the failed upload stays out of the index; each result carries its poster and playback URLs"
        if ok
        else "  [red]search did not find what was published"
    )
    return ok
