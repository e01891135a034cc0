"""The home feed as data: its request, its candidates and their reasons, the fallback order, and the
re-ranking rules (pure; the pipeline that fills it is `services.distribution.feed`).

A page is built from candidates of several sources, each with the reason the viewer is shown:

    interest     OpenSearch, the viewer's interest tags   "because you like #cats"
    neighbour    item-CF neighbours of a recent like       "because you liked <title>"
    hot          the hot list (overall or the region's)    "popular in DE" / "popular now"
    fresh        exploration: new videos                   "new"
    exposure     the random exposure slice (unranked)      "new" (logged as exposure)

Rules every page keeps (`rerank`):
- a video appears once (the first source that offered it keeps its reason, the best prior is kept);
- never the viewer's own videos, videos already seen or served, videos marked not interested;
- no more than `max_per_author` (2) videos of one author in any `window` (10) consecutive items;
- tags spread: a video whose first tag was among the last `tag_gap` items' first tags waits while
  another candidate can go first.
When the candidates cannot satisfy the author rule (a tiny catalog), the page is shorter rather than
breaking it; the pipeline then fills from the hot list, whose authors differ.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reelstack.errors import InvalidRequest

MAX_PAGE = 50
OVERLOAD_PAGE = 20
MAX_CURSOR_CHARS = 200
SOURCES = ("neighbour", "interest", "hot", "fresh", "exposure")  # reason priority, best first


class FeedMode(StrEnum):
    PERSONALIZED = "personalized"
    OFFLINE = "offline"  # real-time interests stale: the nightly profile and the short-term cache
    POPULAR = "popular"  # search unhealthy: the cached hot list


def _invalid(message: str, code: str = "invalid_feed_request") -> InvalidRequest:
    return InvalidRequest(message, code=code)


@dataclass(frozen=True)
class FeedCursor:
    """Where a viewer is in a feed session: the page number, and the session it belongs to."""

    session: str
    page: int

    def encode(self) -> str:
        raw = json.dumps({"s": self.session, "p": self.page}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> FeedCursor:
        if not text or len(text) > MAX_CURSOR_CHARS:
            raise _invalid("cursor is not one this feed gave", "invalid_cursor")
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            session, page = data["s"], data["p"]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise _invalid("cursor is not one this feed gave", "invalid_cursor") from None
        if not isinstance(session, str) or not session.isalnum() or len(session) > 40:
            raise _invalid("cursor is not one this feed gave", "invalid_cursor")
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 10_000:
            raise _invalid("cursor is not one this feed gave", "invalid_cursor")
        return cls(session, page)


@dataclass(frozen=True)
class Candidate:
    """A video some source offers, with what the re-ranking and the answer need to know of it."""

    video_id: str
    author_id: str
    source: str
    reason: str
    tags: tuple[str, ...] = ()
    prior: float = 0.0  # the source's own score, scaled to [0, 1] (the fallback order's base)
    published_at_s: float | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown candidate source {self.source!r}")


@dataclass(frozen=True)
class Exclusions:
    """What never goes into a viewer's feed."""

    viewer: str
    seen: frozenset[str] = frozenset()  # played lately, or served in this session or lately
    not_interested: frozenset[str] = frozenset()
    muted_authors: frozenset[str] = frozenset()  # authors of videos marked not interested

    def admits(self, candidate: Candidate) -> bool:
        return (
            candidate.author_id != self.viewer
            and candidate.video_id not in self.seen
            and candidate.video_id not in self.not_interested
            and candidate.author_id not in self.muted_authors
        )


def merge(sources: Iterable[Sequence[Candidate]], exclusions: Exclusions) -> list[Candidate]:
    """Every admissible candidate once, in first-offered order; a video offered twice keeps the
    better-priority source's reason and the higher prior."""
    rank = {source: index for index, source in enumerate(SOURCES)}
    chosen: dict[str, Candidate] = {}
    for candidates in sources:
        for candidate in candidates:
            if not exclusions.admits(candidate):
                continue
            known = chosen.get(candidate.video_id)
            if known is None:
                chosen[candidate.video_id] = candidate
                continue
            best = candidate if rank[candidate.source] < rank[known.source] else known
            chosen[candidate.video_id] = replace(best, prior=max(known.prior, candidate.prior))
    return list(chosen.values())


@dataclass(frozen=True)
class FallbackWeights:
    """The order used when the ranker is down or late: the source's prior, the viewer's interest in
    the video's tags, and freshness (a half-life in hours)."""

    prior: float = 1.0
    interest: float = 1.0
    freshness: float = 0.3
    fresh_half_life_h: float = 24.0
    muted_tag: float = 0.5  # subtracted per tag the viewer marked not interested


def fallback_score(
    candidate: Candidate,
    interests: Mapping[str, float],
    muted_tags: frozenset[str],
    now_s: float,
    weights: FallbackWeights | None = None,
) -> float:
    """A ranker-free score: higher goes first. `interests`: tag -> weight, scaled so the best is 1."""
    w = weights or FallbackWeights()
    interest = max((interests.get(tag, 0.0) for tag in candidate.tags), default=0.0)
    fresh = 0.0
    if candidate.published_at_s is not None:
        age_h = max(0.0, now_s - candidate.published_at_s) / 3600.0
        fresh = math.pow(0.5, age_h / w.fresh_half_life_h)
    muted = sum(1 for tag in candidate.tags if tag in muted_tags)
    return w.prior * candidate.prior + w.interest * interest + w.freshness * fresh - w.muted_tag * muted


def scaled(weights: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Tag weights divided by the largest (an empty or non-positive list gives {})."""
    pairs = [(tag, weight) for tag, weight in weights if weight > 0]
    top = max((weight for _, weight in pairs), default=0.0)
    return {tag: weight / top for tag, weight in pairs} if top > 0 else {}


@dataclass(frozen=True)
class Diversity:
    max_per_author: int = 2
    window: int = 10
    tag_gap: int = 2


def rerank(
    ranked: Sequence[Candidate],
    limit: int,
    rules: Diversity | None = None,
    *,
    start: Sequence[Candidate] = (),
) -> list[Candidate]:
    """Up to `limit` candidates in `ranked` order (best first) under the diversity rules. `start`: items
    already on the page (a cached page's head), counted by the rules but not returned."""
    rules = rules or Diversity()
    pending = list(ranked)
    recent: deque[Candidate] = deque(start, maxlen=max(rules.window - 1, rules.tag_gap, 1))
    page: list[Candidate] = []
    while pending and len(page) < limit:
        pick = _next(pending, list(recent), rules)
        if pick is None:
            break
        page.append(pending.pop(pick))
        recent.append(page[-1])
    return page


def _next(pending: Sequence[Candidate], recent: Sequence[Candidate], rules: Diversity) -> int | None:
    window = recent[-(rules.window - 1) :] if rules.window > 1 else []
    first_tags = {c.tags[0] for c in recent[-rules.tag_gap :] if c.tags} if rules.tag_gap else set()
    allowed_late: int | None = None
    for index, candidate in enumerate(pending):
        if sum(1 for c in window if c.author_id == candidate.author_id) >= rules.max_per_author:
            continue
        if candidate.tags and candidate.tags[0] in first_tags:
            if allowed_late is None:
                allowed_late = index
            continue
        return index
    return allowed_late


@dataclass(frozen=True)
class FeedItem:
    video_id: str
    title: str
    author: str
    poster_url: str | None
    playback_url: str | None
    duration_ms: int | None
    like_count: int
    reason: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "title": self.title,
            "author": self.author,
            "poster_url": self.poster_url,
            "playback_url": self.playback_url,
            "duration": None if self.duration_ms is None else round(self.duration_ms / 1000, 3),
            "like_count": self.like_count,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class FeedPage:
    items: tuple[FeedItem, ...]
    mode: FeedMode
    degraded: tuple[str, ...] = ()
    next_cursor: str | None = None
    ranked_by: str = "ranker"  # "fallback", "hot list", or "cache" (a pre-computed first page)
    ranker_version: str = ""  # the ranker of a gray release that ranked it ("" = the stack's)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "items": [item.to_dict() for item in self.items],
            "mode": self.mode.value,
            "ranked_by": self.ranked_by,
            "next_cursor": self.next_cursor,
        }
        if self.ranker_version and self.ranked_by == "ranker":
            body["ranker_version"] = self.ranker_version
        if self.degraded:
            body["degraded"] = {"reasons": list(self.degraded)}
        return body


def parse_feed_limit(raw: str | None, cap: int) -> int:
    """`limit`: 1..cap (the page size the load level allows), default cap."""
    if raw is None or raw == "":
        return cap
    try:
        value = int(raw)
    except ValueError:
        raise _invalid("limit must be a whole number", "invalid_limit") from None
    if not 1 <= value <= MAX_PAGE:
        raise _invalid(f"limit must be between 1 and {MAX_PAGE}", "invalid_limit")
    return min(value, cap)


def reason_for_tag(tag: str) -> str:
    return f"because you like #{tag}"


def reason_for_region(region: str | None) -> str:
    return f"popular in your region ({region})" if region else "popular now"
