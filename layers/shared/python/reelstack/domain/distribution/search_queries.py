"""Search request bodies for the `videos` alias: full-text search, title suggestions, similar videos.

A user's text is only ever *matched* (`match`, `term`, `terms`, `multi_match` of type `bool_prefix`,
`more_like_this`): it is never parsed as a query language (no `query_string`, no
`simple_query_string`), so quotes, `AND OR NOT`, `*?~^:`, brackets and backslashes are plain text.

Search ranks by relevance blended with recency and popularity in one `function_score`:
relevance = BM25 on the title + a fixed boost for an exact (folded) title + a fixed boost for a
matching tag; it is multiplied by 1 + a gauss decay on `published_at` (0..1) + log10(1 + likes) / 2 +
log10(1 + plays) / 4, capped at `MAX_BLEND`, so popularity and freshness reorder comparable matches
without burying an exact one.
The decay's origin is a fixed instant (`now_ms`, kept in the page cursor), so every page of one
search scores the same documents the same way and `search_after` neither skips nor repeats.
Pages sort by (_score desc, published_at desc, video_id asc): a total order.
Pure: no SDK, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TITLE_EXACT_BOOST = 10.0  # the whole (folded) title equals the text (a constant score)
TAG_BOOST = 3.0  # the text, or one of its words, is one of the video's tags (a constant score)
RECENCY_SCALE = "30d"  # a video this much older than `offset` weighs half (gauss)
RECENCY_OFFSET = "1d"
RECENCY_DECAY = 0.5
LIKES_WEIGHT = 0.5  # x log10(1 + likes): 1,000 likes add 1.5
PLAYS_WEIGHT = 0.25  # x log10(1 + plays): plays are cheaper than likes, 10,000 plays add 1
MAX_BLEND = 5.0  # the recency + popularity multiplier never exceeds this
MAX_TAG_WORDS = 10
SIMILAR_FIELDS = ("title", "tags")
HIT_FIELDS = (
    "video_id",
    "title",
    "author",
    "poster_key",
    "playback_key",
    "duration_s",
    "like_count",
    "published_at",
    "tags",
)
SORT: list[dict[str, Any]] = [
    {"_score": {"order": "desc"}},
    {"published_at": {"order": "desc", "missing": "_last"}},
    {"video_id": {"order": "asc"}},
]


def _tag_terms(text: str) -> list[str]:
    """The text itself and its words (a tag is one keyword: `surfing` in "sunset surfing")."""
    words = [text, *text.split()]
    return list(dict.fromkeys(words))[: MAX_TAG_WORDS + 1]


def _relevance(text: str) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"match": {"title": {"query": text, "operator": "or"}}},
                {"constant_score": {"filter": {"term": {"title.keyword": text}}, "boost": TITLE_EXACT_BOOST}},
                {"terms": {"tags": _tag_terms(text), "boost": TAG_BOOST}},
            ],
            "minimum_should_match": 1,
        }
    }


def _blend(now_ms: int) -> list[dict[str, Any]]:
    return [
        {"weight": 1.0},  # the floor: relevance alone
        {
            "gauss": {
                "published_at": {
                    "origin": now_ms,
                    "scale": RECENCY_SCALE,
                    "offset": RECENCY_OFFSET,
                    "decay": RECENCY_DECAY,
                }
            }
        },
        {
            "field_value_factor": {"field": "like_count", "modifier": "log1p", "missing": 0},
            "weight": LIKES_WEIGHT,
        },
        {
            "field_value_factor": {"field": "play_count", "modifier": "log1p", "missing": 0},
            "weight": PLAYS_WEIGHT,
        },
    ]


def search_body(
    text: str, *, limit: int, now_ms: int, tag: str | None = None, after: Sequence[Any] | None = None
) -> dict[str, Any]:
    """One page of `text`'s matches (`limit` hits), optionally only videos tagged `tag`, after the
    sort values `after` of the previous page's last hit; `now_ms` is the recency origin."""
    query: dict[str, Any] = _relevance(text)
    if tag is not None:
        query = {"bool": {"must": [query], "filter": [{"term": {"tags": tag}}]}}
    body: dict[str, Any] = {
        "size": limit,
        "query": {
            "function_score": {
                "query": query,
                "functions": _blend(now_ms),
                "score_mode": "sum",
                "boost_mode": "multiply",
                "max_boost": MAX_BLEND,
            }
        },
        "sort": SORT,
        "_source": list(HIT_FIELDS),
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = list(after)
    return body


def suggest_body(prefix: str, *, limit: int) -> dict[str, Any]:
    """Titles that complete `prefix` (search_as_you_type: the last word as a prefix), one per title."""
    return {
        "size": limit,
        "query": {
            "multi_match": {
                "query": prefix,
                "type": "bool_prefix",
                "fields": ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"],
            }
        },
        "collapse": {"field": "title.keyword"},
        "sort": [{"_score": {"order": "desc"}}, {"play_count": {"order": "desc"}}, {"video_id": "asc"}],
        "_source": ["title"],
        "track_total_hits": False,
    }


MAX_FEED_TAGS = 20
MAX_EXCLUDED = 5000


def _not_these(exclude: Sequence[str], author: str) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = [{"term": {"author": author}}]
    if exclude:
        clauses.append({"ids": {"values": list(exclude)[:MAX_EXCLUDED]}})
    return clauses


def feed_body(
    interests: Sequence[tuple[str, float]],
    now_ms: int,
    *,
    limit: int,
    exclude: Sequence[str] = (),
    viewer: str,
) -> dict[str, Any]:
    """The feed's search candidates: videos carrying the viewer's interest tags, each tag weighing its
    interest (constant scores, summed), blended with recency and popularity as search is; never the
    viewer's own videos nor `exclude` (seen, served, not interested). The index holds published
    videos only."""
    should = [
        {"constant_score": {"filter": {"term": {"tags": tag}}, "boost": round(max(weight, 0.01), 4)}}
        for tag, weight in list(interests)[:MAX_FEED_TAGS]
    ]
    return {
        "size": limit,
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "should": should,
                        "minimum_should_match": 1,
                        "must_not": _not_these(exclude, viewer),
                    }
                },
                "functions": _blend(now_ms),
                "score_mode": "sum",
                "boost_mode": "multiply",
                "max_boost": MAX_BLEND,
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"video_id": {"order": "asc"}}],
        "_source": list(HIT_FIELDS),
        "track_total_hits": False,
    }


def fresh_body(
    *, limit: int, exclude: Sequence[str] = (), viewer: str, newer_than: str = "now-3d"
) -> dict[str, Any]:
    """Exploration: the newest published videos (since `newer_than`), not the viewer's, not `exclude`."""
    return {
        "size": limit,
        "query": {
            "bool": {
                "filter": [{"range": {"published_at": {"gte": newer_than}}}],
                "must_not": _not_these(exclude, viewer),
            }
        },
        "sort": [{"published_at": {"order": "desc"}}, {"video_id": {"order": "asc"}}],
        "_source": list(HIT_FIELDS),
        "track_total_hits": False,
    }


def videos_body(video_ids: Sequence[str]) -> dict[str, Any]:
    """The documents of these videos (the hot list's and the neighbours' facts), any order."""
    return {
        "size": len(video_ids),
        "query": {"ids": {"values": list(video_ids)}},
        "_source": list(HIT_FIELDS),
        "track_total_hits": False,
    }


def similar_body(
    index: str, video_id: str, author: str, *, limit: int, seen: Sequence[str] = ()
) -> dict[str, Any]:
    """Videos like `video_id` (stored in `index`) by title and tags: not by `author`, not itself, and
    none of `seen` (what the caller played lately: `PlayStats.seen`)."""
    return {
        "size": limit,
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": list(SIMILAR_FIELDS),
                            "like": [{"_index": index, "_id": video_id}],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 25,
                            "minimum_should_match": "1",
                        }
                    }
                ],
                "must_not": [{"ids": {"values": [video_id, *seen]}}, {"term": {"author": author}}],
            }
        },
        "sort": [{"_score": {"order": "desc"}}, {"video_id": {"order": "asc"}}],
        "_source": list(HIT_FIELDS),
        "track_total_hits": False,
    }


@dataclass(frozen=True)
class VideoHit:
    """One video as the index returns it, and its sort values (the next page starts after them)."""

    video_id: str
    title: str
    author: str
    poster_key: str | None
    playback_key: str | None
    duration_s: float | None
    like_count: int
    sort: tuple[Any, ...] = ()
    tags: tuple[str, ...] = ()
    published_at: str | None = None


def _optional_text(value: Any) -> str | None:
    return str(value) if value else None


def video_hit(hit: dict[str, Any]) -> VideoHit:
    """A `hits.hits[]` entry of a search answer as a VideoHit."""
    source = hit.get("_source") or {}
    duration = source.get("duration_s")
    return VideoHit(
        video_id=str(source.get("video_id") or hit.get("_id")),
        title=str(source.get("title") or ""),
        author=str(source.get("author") or ""),
        poster_key=_optional_text(source.get("poster_key")),
        playback_key=_optional_text(source.get("playback_key")),
        duration_s=float(duration) if duration is not None else None,
        like_count=int(source.get("like_count") or 0),
        sort=tuple(hit.get("sort") or ()),
        tags=tuple(str(tag) for tag in source.get("tags") or () if tag),
        published_at=_optional_text(source.get("published_at")),
    )


def distinct_titles(titles: Iterable[str], limit: int) -> list[str]:
    """At most `limit` titles, each once (compared folded: `Surf` and `surf` are one suggestion)."""
    seen: set[str] = set()
    kept: list[str] = []
    for title in titles:
        key = " ".join(title.casefold().split())
        if title and key not in seen:
            seen.add(key)
            kept.append(title)
    return kept[:limit]
