"""The home feed on the local cloud: latency per mode through the API against its backend calls, a
cached first page against one Redis GET, the handler's CPU per page, and what personalization buys.

    .venv/bin/python benchmarks/feed.py [--users 10000] [--videos 100000] [--viewers 8] [--seed 7]

A seeded synthetic world: `--videos` PUBLISHED records (1-2 of 60 tags, 3,000 authors, a month of
publication dates; written to the videos table in batches, their search documents bulk-indexed into
the cloud's node), and `--users` viewers, each with two favourite tags: their short-term interests
are bumped in Redis as their plays would (`PlayStats.bump_interests`), and Zipf-drawn plays of the
catalog feed the hot counters, from which the hot-list function builds the hot list once.

Printed:
(a) p50/p99 of GET /feed?limit=50 through the API for `--viewers` concurrent viewers paging three
    pages each, per mode (personalized; popular while the search node is stopped), and the same
    request's backend calls timed directly from here (the Redis reads, the OpenSearch candidate
    query, the hot-list GET): the ratio is our overhead (HTTP, auth, rate limit, merge, re-rank);
(b) a returning viewer's cached first page (ranked_by "cache") against one Redis GET of the same
    cached bytes;
(c) the handler's CPU milliseconds per page in this process (`FeedService.page`, process time);
(d) the hit rate on held-out plays (each viewer's next plays, drawn from their favourite tags as the
    synthetic world says they will be) of the personalized first page against the popular one: the
    lift personalization buys.
A timing here is a measurement, never an assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from likes_http import KeepAlive, mint_tokens  # benchmarks/ is on sys.path when run as a script
from opensearchpy import OpenSearch, helpers

from reelstack.adapters.distribution.feed_store import FeedStore
from reelstack.adapters.engagement.play_stats import PlayStats
from reelstack.adapters.repositories import Repositories
from reelstack.domain.distribution.search_documents import Counts, search_document
from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS
from reelstack.domain.distribution.search_queries import feed_body
from reelstack.domain.engagement.plays import PlayEvent
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Playback, Video, VideoStatus
from reelstack_tools.localcloud.client import CloudHandle, running_local_cloud
from reelstack_tools.published_records import published_record
from reelstack_tools.tokens import user_sub

ROOT = Path(__file__).resolve().parents[1]
TAGS = [f"tag{n:02d}" for n in range(60)]
HOT_LIST = "HotListFunctionEvery10Minutes"
RATE_LIMITS = "read=100000/s:burst=100000;play=100000/s:burst=100000;like=100000/s:burst=100000"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def seed_videos(cloud: CloudHandle, count: int, rng: random.Random) -> dict[str, tuple[str, ...]]:
    """`count` published records and their documents; video id -> tags."""
    os.environ.update(cloud.environment())
    from reelstack.settings import TableSettings

    repos = Repositories.from_settings(
        TableSettings(uploads_table=cloud.name("UploadsTable"), videos_table=cloud.name("VideosTable"))
    )
    now = datetime.now(UTC)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(TAGS))]
    tags_of: dict[str, tuple[str, ...]] = {}
    client = OpenSearch(hosts=[cloud.search_url], timeout=120)
    documents = []
    with repos.tables.videos.batch_write() as batch:
        for n in range(count):
            video_id = f"fb{n:06d}"
            tags = tuple(dict.fromkeys(rng.choices(TAGS, weights, k=rng.randint(1, 2))))
            published = (now - timedelta(seconds=rng.uniform(0, 30 * 86400))).isoformat(
                timespec="milliseconds"
            )
            owner, title = f"creator{rng.randrange(3000)}", f"{tags[0]} clip {n}"
            record = published_record(
                repos.tables,
                video_id,
                owner=owner,
                title=title,
                tags=tags,
                published_at=published,
                duration_s=20.0,
            )
            batch.save(record)
            playback = Playback(
                record.playback["master_key"], record.playback["poster_key"], None, None, 20.0, ()
            )
            video = Video(
                video_id, owner, VideoStatus.PUBLISHED, title, tags, published, published,
                published_at=published, playback=playback,
            )  # fmt: skip
            documents.append(
                {"_index": VIDEOS_ALIAS, "_id": video_id, "_source": search_document(video, Counts(0, 0), 0)}
            )
            tags_of[video_id] = tags
    helpers.bulk(client, documents, chunk_size=2000, request_timeout=300)
    client.indices.refresh(index=VIDEOS_ALIAS)
    return tags_of


def seed_users(
    cloud: CloudHandle, users: int, tags_of: dict[str, tuple[str, ...]], rng: random.Random
) -> dict[str, tuple[str, str]]:
    """Each viewer's two favourite tags, bumped into their short-term interests; plays for the hot list."""
    stats = PlayStats(cloud.redis_url, cluster=True)
    favourites: dict[str, tuple[str, str]] = {}
    now = datetime.now(UTC)
    for n in range(users):
        name = f"fbuser{n}"
        first, second = rng.sample(TAGS, 2)
        favourites[name] = (first, second)
        stats.bump_interests(user_sub(name), [first, first, second], 1.0, now)
    videos = list(tags_of)
    popular = [1 / (rank + 1) ** 1.1 for rank in range(len(videos))]
    for n, video_id in enumerate(rng.choices(videos, popular, k=20_000)):
        stats.record(PlayEvent(video_id, f"player{n % 5000}", f"s{n}", 15_000, now), tags_of[video_id])
    return favourites


def time_pages(
    cloud: CloudHandle, names: list[str], viewers: int, pages: int = 3
) -> tuple[list[float], dict[str, list[dict[str, Any]]]]:
    """Latencies of every page, and each viewer's answers in order."""
    tokens = dict(zip(names, mint_tokens(cloud.state_dir, names), strict=True))
    latencies: list[float] = []
    answers: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    failures: list[str] = []

    def walk(name: str) -> None:
        api = KeepAlive(cloud.api_url, tokens[name])
        cursor = None
        for _ in range(pages):
            started = time.perf_counter()
            status, body = api.call("GET", "/feed?limit=50" + (f"&cursor={cursor}" if cursor else ""))
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                failures.append(f"{status} {body}")
                break
            answers[name].append(body)
            cursor = body.get("next_cursor")
        api.close()

    with ThreadPoolExecutor(max_workers=viewers) as pool:
        list(pool.map(walk, names))
    if failures:
        print(f"    {len(failures)} pages failed, e.g. {failures[0][:300]}")
    return latencies, answers


def offline_pages(
    cloud: CloudHandle, names: list[str], viewers: int, tags_of: dict[str, tuple[str, ...]]
) -> tuple[list[float], dict[str, list[dict[str, Any]]]]:
    """Pages while the plays worker is stalled (its event source paused) and a play waits past 5 s."""
    function = cloud.name("PlaysFunction")
    cloud.pause_sources(function)
    try:
        api = KeepAlive(cloud.api_url, mint_tokens(cloud.state_dir, ["offline-player"])[0])
        api.call(
            "POST", f"/videos/{next(iter(tags_of))}/plays", {"session_id": "stall", "watched_ms": 15_000}
        )
        api.close()
        time.sleep(8)  # past the 5 s level and the 2 s probe
        return time_pages(cloud, names, viewers, pages=1)
    finally:
        cloud.resume_sources(function)


def backend_ms(cloud: CloudHandle, names: list[str], store: FeedStore, stats: PlayStats) -> list[float]:
    """The same page's backend calls, timed directly: the viewer's Redis reads, the candidate query,
    and the hot list's GET (no ranker: the local cloud's feed runs its fallback order)."""
    client = OpenSearch(hosts=[cloud.search_url], timeout=30)
    timings = []
    for name in names:
        user = user_sub(name)
        started = time.perf_counter()
        stats.seen(user)
        store.served(user)
        store.not_interested(user)
        interests = stats.interests(user, 10)
        store.hot_list("all")
        body = feed_body(interests, int(time.time() * 1000), limit=150, viewer=user)
        client.search(index=VIDEOS_ALIAS, body=body)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def hit_rate(pages: dict[str, list[str]], held_out: dict[str, set[str]]) -> float:
    hits = sum(len(set(pages[name]) & held_out[name]) for name in pages)
    total = sum(len(held_out[name]) for name in pages)
    return hits / total if total else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--viewers", type=int, default=8)
    parser.add_argument("--sample", type=int, default=200, help="viewers timed and scored (200)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="feed-bench-") as tmp, running_local_cloud(
        ROOT / "template.yaml", Path(tmp) / "cloud",
        extra_args=["--parameter", f"RateLimits={RATE_LIMITS}", "--parameter", "FeedOverloadRequestsPerSecond=100000"],
    ) as cloud:  # fmt: skip
        started = time.perf_counter()
        tags_of = seed_videos(cloud, args.videos, rng)
        favourites = seed_users(cloud, args.users, tags_of, rng)
        cloud.fire_schedule(HOT_LIST)
        print(
            f"seeded {args.videos:,} videos and {args.users:,} viewers in {time.perf_counter() - started:.0f} s"
        )
        sample = rng.sample(sorted(favourites), min(args.sample, len(favourites)))
        by_tag: dict[str, list[str]] = {}
        for video_id, tags in tags_of.items():
            for tag in tags:
                by_tag.setdefault(tag, []).append(video_id)
        held_out = {
            name: {rng.choice(by_tag[tag]) for tag in favourites[name] for _ in range(5)} for name in sample
        }
        store, stats = FeedStore(cloud.redis_url, cluster=True), PlayStats(cloud.redis_url, cluster=True)

        personal_ms, personal = time_pages(cloud, sample, args.viewers)
        direct_ms = backend_ms(cloud, sample[:100], store, stats)
        cached_ms, cached = time_pages(cloud, sample[:100], args.viewers, pages=1)
        redis_ms = []
        for name in sample[:100]:
            key = f"feed:{{{user_sub(name)}}}:page1"
            t = time.perf_counter()
            store.client.get(key)
            redis_ms.append((time.perf_counter() - t) * 1000)
        cpu_ms = in_process_cpu(cloud, sample[:50])
        offline_ms, offline = offline_pages(
            cloud, [f"off-{name}" for name in sample[:100]], args.viewers, tags_of
        )
        cloud.stop_search()
        time.sleep(3)  # each API process measures the search's health every 2 s
        popular_ms, popular = time_pages(
            cloud, [f"pop-{name}" for name in sample[:100]], args.viewers, pages=1
        )
        cloud.start_search()

        all_personal = [a for answers in personal.values() for a in answers]
        modes = {
            mode: sum(1 for a in all_personal if a.get("mode") == mode)
            for mode in ("personalized", "offline", "popular")
        }
        print(
            f"(a) GET /feed?limit=50 through the API, 3 pages per viewer, {args.viewers} concurrent viewers"
        )
        print(
            f"    personalized: p50 {_pct(personal_ms, 0.5):.1f} ms, p99 {_pct(personal_ms, 0.99):.1f} ms "
            f"({len(personal_ms)} pages; modes {modes})"
        )
        offline_modes = sum(1 for answers in offline.values() for a in answers if a.get("mode") == "offline")
        print(
            f"    offline (plays worker stalled, lag > 5 s): p50 {_pct(offline_ms, 0.5):.1f} ms, "
            f"p99 {_pct(offline_ms, 0.99):.1f} ms ({offline_modes} of {len(offline_ms)} pages offline)"
        )
        print(
            f"    popular (search stopped): p50 {_pct(popular_ms, 0.5):.1f} ms, p99 {_pct(popular_ms, 0.99):.1f} ms"
        )
        print(
            f"    the same page's backend calls, direct: p50 {_pct(direct_ms, 0.5):.1f} ms, p99 {_pct(direct_ms, 0.99):.1f} ms"
        )
        print(
            f"    ratio API / backend: p50 {_pct(personal_ms, 0.5) / _pct(direct_ms, 0.5):.2f}x, "
            f"p99 {_pct(personal_ms, 0.99) / _pct(direct_ms, 0.99):.2f}x"
        )
        returning = [answers[0] for answers in cached.values() if answers]
        hits = sum(1 for a in returning if a.get("ranked_by") == "cache")
        print(
            f"(b) a returning viewer's first page: p50 {_pct(cached_ms, 0.5):.1f} ms ({hits}/{len(returning)} from the cache) "
            f"vs one Redis GET of the cached bytes p50 {_pct(redis_ms, 0.5):.2f} ms: "
            f"{_pct(cached_ms, 0.5) / _pct(redis_ms, 0.5):.0f}x"
        )
        print(f"(c) {cpu_ms:.1f} CPU ms per page in process (FeedService.page, median of 50)")
        first_pages = {
            name: [i["video_id"] for i in answers[0]["items"]]
            for name, answers in personal.items()
            if answers
        }
        popular_page = next(([i["video_id"] for i in a[0]["items"]] for a in popular.values() if a), [])
        personal_rate = hit_rate(first_pages, held_out)
        popular_rate = hit_rate({name: popular_page for name in first_pages}, held_out)
        lift = personal_rate / popular_rate if popular_rate else float("inf")
        print(
            f"(d) held-out plays found in the first page: personalized {personal_rate:.3f}, popular {popular_rate:.3f}: "
            f"lift {lift:.1f}x"
        )
    return 0


def in_process_cpu(cloud: CloudHandle, names: list[str]) -> float:
    """CPU ms per page of the feed service (the API's pieces, built here), in this process."""
    from reelstack.adapters.distribution.interest_cache import InterestCache
    from reelstack.adapters.distribution.search_client import SearchClient
    from reelstack.adapters.media_urls import MediaUrls
    from reelstack.feed_wiring import LongTermInterests
    from reelstack.services.distribution.feed import FeedContext, FeedService
    from reelstack.services.distribution.feed_health import FeedHealth
    from reelstack.settings import SearchSettings

    search = SearchClient(SearchSettings(search_endpoint=str(cloud.search_url), reelstack_local=True))
    store = FeedStore(cloud.redis_url, cluster=True)
    service = FeedService(
        search=search,
        short_term=PlayStats(cloud.redis_url, cluster=True),
        long_term=LongTermInterests(InterestCache(cloud.redis_url, cluster=True), None),
        store=store,
        urls=MediaUrls("media", "http://cdn.local"),
        health=FeedHealth(search_gap=lambda: 0.0, realtime_lag=lambda: 0.0, load=lambda: 0.0),
    )
    cpu = []
    for name in names:
        principal = Principal(user_sub(f"cpu-{name}"), f"cpu-{name}")
        started = time.process_time()
        service.page(principal, "50", None, FeedContext())
        cpu.append((time.process_time() - started) * 1000)
    return statistics.median(cpu)


if __name__ == "__main__":
    sys.exit(main())
