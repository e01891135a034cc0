"""The demo's likes and plays: viewers like and watch a published video, the author is notified.

Each answer comes at once from Redis; the counts on the video record are DynamoDB's, once the likes
and plays queues are drained, so the demo waits for them. One eager viewer shows the rate limit.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack_tools.localcloud.client import CloudHandle

Call = Callable[..., Any]  # Demo.call: (method, path, body=None, token=None) -> JSON answer


def likes_and_plays(
    console: Console, cloud: CloudHandle, call: Call, video_id: str, author_token: str, viewers: int = 5
) -> bool:
    names = [f"viewer{n}" for n in range(1, viewers + 1)]
    tokens = {name: cloud.token(name) for name in names}
    like = f"/videos/{video_id}/like"

    answers = [call("POST", like, token=tokens[name]) for name in names]
    again = call("POST", like, token=tokens[names[0]])
    own = call("POST", like, token=author_token)
    console.print(
        f"  {viewers} viewers like it; each answer comes from Redis at once: like_count "
        f"{' -> '.join(str(a.get('like_count')) for a in answers)}; {names[0]} likes again: still "
        f"{again.get('like_count')}; the author likes her own video: {own.get('like_count')} (no notification)"
    )

    plays = f"/videos/{video_id}/plays"
    reasons = [call("POST", plays, {"session_id": "demo-1", "watched_ms": 1000}, token=tokens[names[0]])]
    reasons += [
        call("POST", plays, {"session_id": "demo-1", "watched_ms": 5000}, token=tokens[n]) for n in names
    ]
    reasons.append(call("POST", plays, {"session_id": "demo-2", "watched_ms": 8000}, token=tokens[names[0]]))
    tally = Counter(str(answer.get("reason") or answer.get("code")) for answer in reasons)
    console.print(
        f"  {len(reasons)} play beacons (a play counts after 3 s or half the video, once per viewer per hour): "
        + ", ".join(f"{count} {reason}" for reason, count in sorted(tally.items()))
    )

    eager = cloud.token("eager-viewer")
    with ThreadPoolExecutor(max_workers=8) as pool:
        burst = list(pool.map(lambda _: call("POST", like, token=eager), range(120)))
    refused = [answer for answer in burst if answer.get("http_status") == 429]
    console.print(
        f"  an eager client sends {len(burst)} likes at once: {len(burst) - len(refused)} answered, "
        f"{len(refused)} refused with 429 ({refused[0]['message'] if refused else 'none'})"
    )

    expected_likes = viewers + 2  # the viewers, the author, the eager client
    expected_likers = viewers + 1  # the author's own like notifies nobody

    def settled() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        record = call("GET", f"/videos/{video_id}", token=author_token)
        notices = call("GET", "/notifications", token=author_token).get("items", [])
        return record, [notice for notice in notices if notice.get("video_id") == video_id]

    def done(record: dict[str, Any], notices: list[dict[str, Any]]) -> bool:
        likers = sum(int(notice.get("actors", 0)) for notice in notices if notice.get("kind") == "like")
        counts = (record.get("like_count"), record.get("play_count"))
        return counts == (expected_likes, viewers) and likers == expected_likers

    deadline = time.monotonic() + 60
    record, notices = settled()
    while time.monotonic() < deadline and not done(record, notices):
        time.sleep(0.5)
        record, notices = settled()
    console.print(
        f"  durable in DynamoDB: like_count {record.get('like_count')}, play_count {record.get('play_count')} "
        "(each batch of plays is one write per video per day)"
    )
    console.print(f"  the author's notifications: {[notice['text'] for notice in notices]}")
    return done(record, notices)
