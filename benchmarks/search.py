"""Search on the local OpenSearch node, measured against opensearch-py used directly.

    .venv/bin/python benchmarks/search.py [--videos 100000] [--queries 300] [--seed 20241204]

A seeded synthetic catalogue (titles of 3-7 words from a 3,000-word vocabulary drawn with a Zipf
law, 1-4 of 400 tags, 5,000 authors, a year of publish dates, Zipf-distributed likes and plays) as
PUBLISHED video records, the shape Publish writes.

(a) indexing: the catalogue through our indexer path -- `SearchIndexer.sync` per batch of the
    template's SQS batch size (documents built from the records and their counts, one external-
    versioned `_bulk` per batch, each item's outcome read) -- into the cloud's `videos` index, against
    opensearch-py's own `helpers.bulk` (its default 500-document chunks) of the same documents,
    already built, into an index with the same settings and mappings. Sequential on both sides (one
    indexer instance). Records come from memory: the function's DynamoDB batch-get is not in it.
    Prints documents per second of each and the ratio ours / helpers.bulk (target >= 0.8).
(b) search latency: the same queries (one or two words of the vocabulary, Zipf-drawn) through our
    API (HTTP with a bearer token, the API function's input checks, rate limiter, one engine request,
    hit shaping) and sent directly with opensearch-py (the very body the API sends:
    `search_queries.search_body`), interleaved, after a warm-up. Prints p50 and p99 of each and the
    ratios: the difference is our HTTP, auth and shaping overhead.
(c) the node: its start time to green and resident memory, fresh (a node of its own, empty data
    folder), and the cloud's node's resident memory once it holds the catalogue.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from likes_http import KeepAlive, mint_tokens  # benchmarks/ is on sys.path when run as a script
from opensearchpy import OpenSearch, helpers

from reelstack.adapters.distribution.search_writer import write_bulk
from reelstack.domain.distribution.search_documents import Counts, search_document
from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS, index_specs
from reelstack.domain.distribution.search_queries import search_body
from reelstack.domain.videos import Playback, Video, VideoStatus
from reelstack.observability import logger
from reelstack.services.distribution.search_indexing import SearchIndexer
from reelstack_tools.localcloud import cfn_yaml
from reelstack_tools.localcloud.client import CloudHandle, running_local_cloud
from reelstack_tools.localcloud.search_node import SearchNode

ROOT = Path(__file__).resolve().parents[1]
INDEXING_TARGET = 0.8
BASELINE_INDEX = "bench-helpers-bulk"
RATE_LIMITS = "read=100000/s:burst=100000"  # the benchmark's one viewer must not be throttled


@dataclass(frozen=True)
class Catalogue:
    videos: dict[str, Video]
    counts: dict[str, Counts]
    vocabulary: list[str]
    weights: list[float]  # Zipf weights of the vocabulary


def _words(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "tu", "ne", "so", "vi", "da", "pe", "zu", "fo", "ri", "an", "el"]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def catalogue(count: int, seed: int) -> Catalogue:
    """`count` published videos with their counts; the same for the same seed."""
    rng = random.Random(seed)
    vocabulary = _words(rng, 3000)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    tags = _words(random.Random(seed + 1), 400)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    videos: dict[str, Video] = {}
    counts: dict[str, Counts] = {}
    for n in range(count):
        video_id = f"{rng.getrandbits(128):032x}"
        published = (now - timedelta(seconds=rng.randint(0, 365 * 86400))).isoformat()
        videos[video_id] = Video(
            video_id=video_id,
            owner=f"author-{rng.randint(1, 5000)}",
            status=VideoStatus.PUBLISHED,
            title=" ".join(rng.choices(vocabulary, weights, k=rng.randint(3, 7))),
            tags=tuple(dict.fromkeys(rng.choices(tags, k=rng.randint(1, 4)))),
            created_at=published,
            updated_at=published,
            playback=Playback(
                master_key=f"renditions/{video_id}/master.m3u8",
                poster_key=f"renditions/{video_id}/poster.jpg",
                sprite_key=None,
                sprite_index_key=None,
                duration_s=float(rng.randint(5, 180)),
                renditions=(),
            ),
            published_at=published,
        )
        counts[video_id] = Counts(
            likes=int(rng.paretovariate(1.2)) - 1, plays=int(rng.paretovariate(1.1) * 10)
        )
        if n and n % 25000 == 0:
            print(f"  ... {n} videos generated", flush=True)
    return Catalogue(videos, counts, vocabulary, weights)


class MemoryRecords:
    """The indexer's record and count sources, from the generated catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def get_videos(self, video_ids: Iterable[str]) -> dict[str, Video]:
        return {v: self.catalogue.videos[v] for v in video_ids if v in self.catalogue.videos}

    def counts(self, video_id: str) -> Counts:
        return self.catalogue.counts[video_id]


def indexer_batch_size(template: Path = ROOT / "template.yaml") -> int:
    """The SQS batch size of the indexer's queue event in the template (what one bulk request holds)."""
    events = cfn_yaml.load(template)["Resources"]["SearchIndexerFunction"]["Properties"]["Events"]
    return next(int(e["Properties"]["BatchSize"]) for e in events.values() if e["Type"] == "SQS")


def _batches(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _fresh_index(client: OpenSearch, name: str, *, aliased: bool = False) -> None:
    """An empty index with the `videos` settings and mappings (and the `videos` alias if `aliased`)."""
    body = index_specs()[0].body()
    if not aliased:
        body.pop("aliases")
    client.indices.delete(index=name, ignore=[404])
    client.indices.create(index=name, body=body)


def index_with_helpers(
    client: OpenSearch, catalogue: Catalogue, now_us: int, limit: int | None = None
) -> float:
    """(a)'s baseline: helpers.bulk of the prebuilt documents into a fresh index; seconds until refreshed."""
    documents = [
        (video_id, search_document(video, catalogue.counts[video_id], now_us))
        for video_id, video in list(catalogue.videos.items())[:limit]
    ]
    _fresh_index(client, BASELINE_INDEX)
    actions = ({"_index": BASELINE_INDEX, "_id": video_id, "_source": doc} for video_id, doc in documents)
    started = time.perf_counter()
    ok, errors = helpers.bulk(client, actions, stats_only=True)
    client.indices.refresh(index=BASELINE_INDEX)
    seconds = time.perf_counter() - started
    if errors or ok != len(documents):
        raise RuntimeError(f"helpers.bulk indexed {ok} of {len(documents)}")
    return seconds


def index_with_our_indexer(client: OpenSearch, catalogue: Catalogue, batch_size: int) -> float:
    """(a): SearchIndexer.sync per SQS batch into a fresh index behind the `videos` alias; seconds
    until refreshed."""
    _fresh_index(client, index_specs()[0].index, aliased=True)
    records = MemoryRecords(catalogue)
    indexer = SearchIndexer(records, records, lambda ops: write_bulk(client, ops))
    ids = list(catalogue.videos)
    written = 0
    started = time.perf_counter()
    for batch in _batches(ids, batch_size):
        result = indexer.sync(batch)
        if result.failed:
            raise RuntimeError(
                f"the indexer failed {len(result.failed)} videos: {next(iter(result.failed.items()))}"
            )
        written += len(result.written)
    client.indices.refresh(index=VIDEOS_ALIAS)
    seconds = time.perf_counter() - started
    if written != len(ids):
        raise RuntimeError(f"the indexer wrote {written} of {len(ids)}")
    return seconds


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Latencies:
    api_ms: list[float]
    direct_ms: list[float]


def search_latencies(
    cloud: CloudHandle, client: OpenSearch, catalogue: Catalogue, queries: int, seed: int
) -> Latencies:
    """(b): each query through the API and directly, interleaved (a burst of load hits both alike)."""
    rng = random.Random(seed + 2)
    texts = [
        " ".join(rng.choices(catalogue.vocabulary, catalogue.weights, k=rng.randint(1, 2)))
        for _ in range(queries)
    ]
    api = KeepAlive(cloud.api_url, mint_tokens(cloud.state_dir, ["search-bench-viewer"])[0])
    api_ms: list[float] = []
    direct_ms: list[float] = []
    try:
        for n, text in enumerate(texts[:20] + texts):  # the first 20: warm-up, not counted
            path = "/search?" + urllib.parse.urlencode({"q": text})
            started = time.perf_counter()
            status, body = api.call("GET", path)
            through_api = (time.perf_counter() - started) * 1000
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body}")
            now_ms = int(time.time() * 1000)
            started = time.perf_counter()
            client.search(index=VIDEOS_ALIAS, body=search_body(text, limit=21, now_ms=now_ms))
            directly = (time.perf_counter() - started) * 1000
            if n >= 20:
                api_ms.append(through_api)
                direct_ms.append(directly)
    finally:
        api.close()
    return Latencies(api_ms, direct_ms)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def java_pid_under(folder: Path) -> int | None:
    """The search node's JVM whose command line names `folder` (its home)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "java" in command and str(folder) in command:
            return int(proc.name)
    return None


def fresh_node(work: Path) -> tuple[float, float]:
    """(c): a node of its own on an empty data folder: seconds to green, resident MiB when green."""
    node = SearchNode(0, work / "fresh-node")
    started = time.perf_counter()
    node.start()
    seconds = time.perf_counter() - started
    try:
        assert node.process is not None
        return seconds, rss_mib(node.process.pid)
    finally:
        node.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20241204)
    parser.add_argument("--runs", type=int, default=2, help="indexing runs of each side (best of)")
    args = parser.parse_args()
    logger.setLevel("WARNING")  # the indexer's per-batch lines
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        work = Path(tmp)
        start_s, fresh_rss = fresh_node(work)
        print(
            f"(c) a fresh node: green in {start_s:.1f} s, resident {fresh_rss:.0f} MiB (heap capped at 512 MiB)"
        )
        print(f"generating {args.videos} videos (seed {args.seed}) ...", flush=True)
        cat = catalogue(args.videos, args.seed)
        state = work / "cloud"
        extra = ["--parameter", f"RateLimits={RATE_LIMITS}"]
        with running_local_cloud(ROOT / "template.yaml", state, extra_args=extra, timeout=180) as cloud:
            assert cloud.search_url is not None
            client = OpenSearch(hosts=[cloud.search_url], timeout=120)
            now_us = int(time.time() * 1_000_000)
            batch = indexer_batch_size()
            print(f"(a) indexing, best of {args.runs} each, interleaved ...", flush=True)
            index_with_helpers(client, cat, now_us, limit=5000)  # warm-up: the node's JIT, not counted
            baseline: list[float] = []
            ours: list[float] = []
            for run in range(args.runs):  # the order alternates: neither side always runs on a warmer node
                sides = [
                    (baseline, lambda: index_with_helpers(client, cat, now_us)),
                    (ours, lambda: index_with_our_indexer(client, cat, batch)),
                ]
                for times, side in sides if run % 2 == 0 else sides[::-1]:
                    times.append(side())
            baseline_s, ours_s = min(baseline), min(ours)
            client.indices.delete(index=BASELINE_INDEX, ignore=[404])
            n = len(cat.videos)
            ratio = (n / ours_s) / (n / baseline_s)
            print(
                f"    helpers.bulk (500 per request):         {n / baseline_s:,.0f} docs/s ({baseline_s:.1f} s)"
            )
            print(
                f"    our indexer ({indexer_batch_size()} per SQS batch, 1 bulk): {n / ours_s:,.0f} docs/s ({ours_s:.1f} s)"
            )
            print(
                f"    ratio ours / helpers.bulk: {ratio:.3f} (target >= {INDEXING_TARGET}) {'met' if ratio >= INDEXING_TARGET else 'NOT met'}"
            )
            print(f"(b) {args.queries} searches, through the API and directly ...", flush=True)
            latencies = search_latencies(cloud, client, cat, args.queries, args.seed)
            api50, api99 = statistics.median(latencies.api_ms), _percentile(latencies.api_ms, 0.99)
            direct50, direct99 = (
                statistics.median(latencies.direct_ms),
                _percentile(latencies.direct_ms, 0.99),
            )
            print(f"    directly (opensearch-py): p50 {direct50:.1f} ms, p99 {direct99:.1f} ms")
            print(f"    through the API:          p50 {api50:.1f} ms, p99 {api99:.1f} ms")
            print(f"    ratio API / direct: p50 {api50 / direct50:.2f}, p99 {api99 / direct99:.2f}")
            pid = java_pid_under(state)
            if pid is not None:
                print(f"(c) the cloud's node holding {n} videos: resident {rss_mib(pid):.0f} MiB")
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
