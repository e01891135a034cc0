"""The demo's feed step: a new viewer's first page, the page after a few likes, and the popular
fallback while the search node is down (then personal again once it is back).

A handful of demo uploads makes a thin feed, so the step first adds a catalog of `CATALOG` published
videos by `CREATORS` creators (records written as Publish writes them, without media: the feed reads
records, search documents and the hot list, never the media) and indexes them with the product's own
indexer, then runs the hot-list function once (its schedule is every 10 minutes).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack_tools.localcloud.client import CloudHandle

Call = Callable[..., Any]  # Demo.call: (method, path, body=None, token=None) -> JSON answer
CATALOG = 60
CREATORS = 12
TAGS = ("cats", "cooking", "skate", "music", "travel", "space")
HOT_LIST = "HotListFunctionEvery10Minutes"
HEALTH_PROBE_S = 2.0  # = FeedSettings.feed_health_probe_seconds


def seed_catalog(cloud: CloudHandle) -> list[tuple[str, str]]:
    """(video id, first tag) of CATALOG published records, indexed into the cloud's search node."""
    from reelstack.adapters.repositories import Repositories
    from reelstack.clock import iso
    from reelstack.search_wiring import build_indexer
    from reelstack.settings import SearchIndexerSettings
    from reelstack_tools.published_records import published_record

    os.environ.update(cloud.environment())
    settings = SearchIndexerSettings(
        search_endpoint=str(cloud.search_url),
        reelstack_local=True,
        uploads_table=cloud.name("UploadsTable"),
        videos_table=cloud.name("VideosTable"),
        likes_table=cloud.name("LikesTable"),
        like_counters_table=cloud.name("LikeCountersTable"),
        play_daily_stats_table=cloud.name("PlayDailyStatsTable"),
        aws_region=cloud.region,
    )
    repos = Repositories.from_settings(settings)
    now = datetime.now(UTC)
    seeded = []
    for n in range(CATALOG):
        tag = TAGS[n % len(TAGS)]
        video_id = f"demo-feed-{n:03d}"
        published = iso(now - timedelta(minutes=5 * (CATALOG - n)))
        published_record(
            repos.tables, video_id, owner=f"creator{n % CREATORS}", title=f"{tag.capitalize()} #{n}",
            tags=[tag], published_at=published, duration_s=15.0,
        ).save()  # fmt: skip
        seeded.append((video_id, tag))
    build_indexer(settings).sync([video_id for video_id, _ in seeded])
    return seeded


def _show(console: Console, heading: str, page: dict[str, Any], n: int = 6) -> None:
    reasons = page.get("degraded", {}).get("reasons", [])
    console.print(
        f"  {heading}: mode [bold]{page['mode']}[/bold]"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + f", {len(page['items'])} items, ranked by {page.get('ranked_by')}"
    )
    for item in page["items"][:n]:
        console.print(f"    {item['title']:<14} by {item['author']:<10} - {item['reason']}")
    tags = Counter(item["title"].split(" ")[0].lower() for item in page["items"])
    console.print(f"    ... tags on the page: {', '.join(f'{t} {c}' for t, c in tags.most_common())}")


def feed_step(console: Console, cloud: CloudHandle, call: Call, extra: Sequence[str] = ()) -> bool:
    seeded = seed_catalog(cloud)
    cloud.fire_schedule(HOT_LIST)
    console.print(
        f"  {CATALOG} more published videos by {CREATORS} creators (records and search documents, no media), "
        "and the hot list built once"
    )
    nora = cloud.token("nora")
    first = call("GET", "/feed?limit=20", token=nora)
    _show(console, "nora's first visit (she never played or liked anything)", first)
    cats = [video_id for video_id, tag in seeded if tag == "cats"][-3:]
    for video_id in cats:
        call("POST", f"/videos/{video_id}/like", token=nora)
    after = call("GET", "/feed?limit=20", token=nora)
    _show(console, "after nora liked three #cats videos", after)
    leaned = sum(item["title"].startswith("Cats") for item in after["items"])
    before = sum(item["title"].startswith("Cats") for item in first["items"])

    console.print("  the search node is stopped (an OpenSearch outage) ...")
    cloud.stop_search()
    time.sleep(HEALTH_PROBE_S + 1)  # each API process measures the search's health every 2 s
    try:
        down = call("GET", "/feed?limit=20", token=nora)
        _show(console, "nora's feed meanwhile", down, n=3)
    finally:
        cloud.start_search()
    back: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        back = call("GET", "/feed?limit=20", token=nora)
        if back.get("mode") == "personalized":
            break
        time.sleep(2)
    _show(console, "once it is back (and healthy through the 10 s hold)", back, n=3)
    return (
        len(first["items"]) == 20
        and leaned > before
        and down.get("mode") == "popular"
        and len(down.get("items", [])) == 20
        and back.get("mode") == "personalized"
    )
