"""`GET /feed`: a viewer's page, personal when every part behind it answers, never empty or an error
while published videos exist.

The pipeline (`FeedService.page`):
1. load level: overloaded -> 20 items at most (`degradation.overload`);
2. what the viewer must not see: own videos, the seen set (plays) and what the feed served lately,
   videos marked not interested (their tags and authors weigh less too);
3. a cached first page (pre-computed after a visit, or the popular page of the hot-list run) is
   served after only the seen filter when it is still valid;
4. mode: search unhealthy -> `popular` (the cached hot list, region first); real-time path stale ->
   `offline` (the nightly profile and the short-term cache); else `personalized`;
5. candidates, the sources asked at once: OpenSearch on the viewer's interest tags, item-CF
   neighbours of what the viewer engaged with lately, the hot list (region, then overall), and fresh
   videos for exploration;
6. ranking: DeepFM on the endpoint within its budget, else the fallback order; not-interested
   tags and authors weigh less either way;
7. re-ranking (`domain.distribution.feed.rerank`): author diversity, tag spread; a small random
   exposure slice puts an unranked fresh video in a slot (logged as such);
8. short page -> filled from the hot list; still short (no hot list yet: a new platform before the
   first hot-list run, or Redis and its S3 copy both gone) -> the newest publications from the videos
   table (`newest`, DynamoDB's published-index); the served videos join the viewer's served set.

Every dependency is optional at request time: a failure is logged, recorded as a degradation signal,
and the page is built from what answered.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from reelstack.domain.distribution.degradation import HealthSnapshot
from reelstack.domain.distribution.feed import (
    MAX_PAGE,
    OVERLOAD_PAGE,
    Candidate,
    Exclusions,
    FallbackWeights,
    FeedCursor,
    FeedItem,
    FeedMode,
    FeedPage,
    fallback_score,
    merge,
    parse_feed_limit,
    reason_for_region,
    reason_for_tag,
    rerank,
    scaled,
)
from reelstack.domain.distribution.profile_runs import InterestProfile, Neighbours
from reelstack.domain.distribution.search_queries import VideoHit, feed_body, fresh_body, videos_body
from reelstack.domain.identity import Principal
from reelstack.domain.videos import VideoStatus
from reelstack.errors import NotFound, ReelstackError
from reelstack.observability import logger

FRESH_S = 3 * 86400  # what exploration and the exposure slice call new


class Search(Protocol):
    def search(self, body: dict[str, Any]) -> list[VideoHit]: ...


class ShortTerm(Protocol):
    def interests(self, user_id: str, n: int) -> list[tuple[str, float]]: ...
    def seen(self, user_id: str, n: int = 500) -> list[str]: ...


class LongTerm(Protocol):
    def version(self) -> int | None: ...
    def profile(self, user_id: str) -> InterestProfile | None: ...
    def neighbours(self, video_id: str) -> Neighbours | None: ...


class Store(Protocol):
    def hit(self, now_s: float) -> None: ...
    def served(self, user_id: str) -> set[str]: ...
    def mark_served(self, user_id: str, video_ids: Sequence[str], now_ms: int) -> None: ...
    def not_interested(self, user_id: str) -> tuple[set[str], dict[str, float], dict[str, float]]: ...
    def hot_list(self, scope: str, version: int | None = None) -> list[dict[str, Any]] | None: ...
    def hot_page(self, scope: str, version: int | None = None) -> Any: ...
    def first_page(self, user_id: str) -> dict[str, Any] | None: ...
    def put_first_page(self, user_id: str, page: Mapping[str, Any], ttl_s: int) -> None: ...
    def mark_not_interested(
        self, user_id: str, video_id: str, author_id: str, tags: Sequence[str]
    ) -> bool: ...


class Ranker(Protocol):
    def score(
        self, user: Mapping[str, Any], context: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[float]: ...


class Urls(Protocol):
    def public(self, key: str) -> str: ...


class Health(Protocol):
    """The degradation switches as the feed reads and feeds them (and the operator page reports them)."""

    def search_unhealthy(self) -> bool: ...
    def realtime_stale(self) -> bool: ...
    def overloaded(self) -> bool: ...
    def report(self, level: str, failed: bool) -> None: ...
    def try_ranker(self) -> bool: ...
    def snapshot(self) -> HealthSnapshot: ...


@dataclass(frozen=True)
class FeedContext:
    region: str | None = None
    device: str | None = None
    hour: int = 0
    # The ranker this viewer's feed is ranked by (the `ranker_version` flag): "" = the stack's own.
    ranker_version: str = ""


@dataclass(frozen=True)
class FeedTuning:
    interest_tags: int = 10
    search_candidates: int = 150
    neighbour_seeds: int = 10
    hot_candidates: int = 100
    fresh_candidates: int = 20
    exposure_share: float = 0.005
    first_page_ttl_s: int = 600
    penalty_per_mark: float = 0.3
    fallback: FallbackWeights = field(default_factory=FallbackWeights)


@dataclass
class _Facts:
    """What an answer item needs of a video, from a search hit or a hot-list entry."""

    video_id: str
    title: str
    author: str
    tags: tuple[str, ...]
    poster_key: str | None
    playback_key: str | None
    duration_s: float | None
    like_count: int
    published_at_s: float | None
    plays: int = 0


def _epoch_s(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def facts_of_hit(hit: VideoHit) -> _Facts:
    return _Facts(
        hit.video_id, hit.title, hit.author, hit.tags, hit.poster_key, hit.playback_key,
        hit.duration_s, hit.like_count, _epoch_s(hit.published_at),
    )  # fmt: skip


def facts_of_entry(entry: Mapping[str, Any]) -> _Facts:
    duration = entry.get("duration_s")
    return _Facts(
        video_id=str(entry["video_id"]),
        title=str(entry.get("title") or ""),
        author=str(entry.get("author") or ""),
        tags=tuple(str(tag) for tag in entry.get("tags") or ()),
        poster_key=entry.get("poster_key") or None,
        playback_key=entry.get("playback_key") or None,
        duration_s=float(duration) if duration is not None else None,
        like_count=int(entry.get("like_count") or 0),
        published_at_s=_epoch_s(entry.get("published_at")),
        plays=int(entry.get("plays") or 0),
    )


class FeedService:
    def __init__(
        self,
        *,
        search: Search,
        short_term: ShortTerm,
        long_term: LongTerm,
        store: Store,
        urls: Urls,
        health: Health,
        ranker: Ranker | None = None,
        tuning: FeedTuning | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        recent_likes: Callable[[str, int], list[str]] | None = None,
        followings: Callable[[str], Sequence[str]] | None = None,
        ranker_versions: Callable[[str], Ranker] | None = None,
        newest: Callable[[int], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.newest = newest  # the last resort: the newest publications, as hot-list entries
        self.ranker_versions = ranker_versions  # the ranker behind a named version (a gray release)
        self.recent_likes = recent_likes
        self.followings = followings  # whom a viewer follows (the ranker's follows_author)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="feed-candidates")
        self.search = search
        self.short_term = short_term
        self.long_term = long_term
        self.store = store
        self.urls = urls
        self.health = health
        self.ranker = ranker
        self.tuning = tuning or FeedTuning()
        self.rng = rng or random.Random()
        self.clock = clock

    # -- the page -----------------------------------------------------------------------------------------

    def page(
        self, principal: Principal, limit: str | None, cursor: str | None, context: FeedContext
    ) -> FeedPage:
        try:
            self.store.hit(self.clock())
        except ReelstackError as error:
            logger.warning("feed: load not counted", extra={"error": str(error)})
        overloaded = self.health.overloaded()
        size = parse_feed_limit(limit, OVERLOAD_PAGE if overloaded else MAX_PAGE)
        place = FeedCursor.decode(cursor) if cursor else FeedCursor(uuid.uuid4().hex[:16], 0)
        viewer = principal.user_id
        exclusions, tag_marks, author_marks, played = self._exclusions(viewer)
        recent = self._recent_interests(viewer)
        degraded: list[str] = ["overload: fewer items"] if overloaded else []
        facts: dict[str, _Facts] = {}
        key: dict[str, Any] | None = None
        if cursor is None and not overloaded and self._all_clear():
            key = self._cache_key(recent, context)
            cached = self._cached_page(viewer, key, exclusions, size)
            if cached:
                self._remember(viewer, [item.video_id for item in cached])
                next_page = FeedCursor(place.session, 1).encode()
                return FeedPage(cached, FeedMode.PERSONALIZED, (), next_page, "cache")
        if self.health.search_unhealthy():
            mode = FeedMode.POPULAR
            degraded.append("search unhealthy: popular videos")
            ranked = self._popular(context, exclusions, facts)
            ranked_by = "hot list"
        else:
            stale = self.health.realtime_stale()
            mode = FeedMode.OFFLINE if stale else FeedMode.PERSONALIZED
            if stale:
                degraded.append("real-time interests stale: offline interests")
            candidates, interests, profile = self._candidates(
                viewer, context, exclusions, facts, stale, recent, played
            )
            if self.health.search_unhealthy():  # a search failed while gathering: this page is popular
                mode = FeedMode.POPULAR
                degraded = [r for r in degraded if not r.startswith("real-time")]
                degraded.append("search unhealthy: popular videos")
                ranked, ranked_by = self._popular(context, exclusions, facts), "hot list"
            else:
                ranked, ranked_by = self._rank(
                    viewer, candidates, interests, profile, context, facts, tag_marks, author_marks
                )
                if ranked_by == "fallback":
                    degraded.append("ranker unavailable: fallback order")
            if not ranked:  # nothing new for this viewer from any source: the hot list fills the page
                ranked, ranked_by = self._popular(context, exclusions, facts), "hot list"
        chosen = rerank(ranked, size)
        chosen = self._exposure(chosen, facts, exclusions)
        if len(chosen) < size:
            chosen = self._fill(chosen, size, context, exclusions, facts, played)
        items = tuple(self._item(candidate, facts[candidate.video_id]) for candidate in chosen)
        self._remember(viewer, [item.video_id for item in items])
        if mode is FeedMode.PERSONALIZED and ranked_by != "hot list":
            taken = {c.video_id for c in chosen}
            self._cache_next(
                viewer,
                key or self._cache_key(recent, context),
                [c for c in ranked if c.video_id not in taken],
                facts,
            )
        next_cursor = FeedCursor(place.session, place.page + 1).encode() if items else None
        return FeedPage(items, mode, tuple(degraded), next_cursor, ranked_by, context.ranker_version)

    # -- the pre-computed first page ---------------------------------------------------------------------

    def _all_clear(self) -> bool:
        return not self.health.search_unhealthy() and not self.health.realtime_stale()

    def _cache_key(self, recent: Sequence[tuple[str, float]], context: FeedContext) -> dict[str, Any]:
        """What a cached first page was built from: the profile version, the viewer's top 5 interests
        and the ranker version (a new play or like that moves them, a new nightly version, or a rollout
        that moves the viewer to another ranker, makes it stale)."""
        try:
            version = self.long_term.version()
        except ReelstackError:
            version = None
        return {
            "profile": version,
            "interests": [tag for tag, _ in recent[:5]],
            "ranker": context.ranker_version,
        }

    def _ranker_for(self, context: FeedContext) -> Ranker | None:
        if context.ranker_version and self.ranker_versions is not None:
            return self.ranker_versions(context.ranker_version)
        return self.ranker

    def _recent_interests(self, viewer: str) -> list[tuple[str, float]]:
        """The viewer's strongest short-term interest tags (read once per page)."""
        try:
            return self.short_term.interests(viewer, self.tuning.interest_tags)
        except ReelstackError as error:
            logger.warning("feed: short-term interests unavailable", extra={"error": str(error)})
            return []

    def _cached_page(
        self, viewer: str, key: Mapping[str, Any], exclusions: Exclusions, size: int
    ) -> tuple[FeedItem, ...] | None:
        try:
            cached = self.store.first_page(viewer)
        except ReelstackError:
            return None
        if not cached or cached.get("key") != dict(key):
            return None
        entries = [e for e in cached.get("entries") or [] if isinstance(e, dict)]
        candidates = [
            Candidate(
                str(e["video_id"]), str(e["author"]), str(e["source"]), str(e["reason"]), tuple(e["tags"])
            )
            for e in entries
        ]
        chosen = rerank(merge([candidates], exclusions), size)
        if len(chosen) < size:
            return None  # mostly seen since: build a fresh page
        by_id = {str(e["video_id"]): e for e in entries}
        return tuple(_item_from_entry(by_id[c.video_id]) for c in chosen)

    def _cache_next(
        self, viewer: str, key: Mapping[str, Any], rest: list[Candidate], facts: Mapping[str, _Facts]
    ) -> None:
        """The next visit's first page: the best of what this page left, in diversity order."""
        following = rerank(rest, MAX_PAGE)
        if len(following) < MAX_PAGE // 2:
            return
        entries = []
        for candidate in following:
            item = self._item(candidate, facts[candidate.video_id])
            entries.append({**item.__dict__, "tags": list(candidate.tags), "source": candidate.source})
        try:
            self.store.put_first_page(
                viewer, {"key": dict(key), "built_ms": int(self.clock() * 1000), "entries": entries},
                self.tuning.first_page_ttl_s,
            )  # fmt: skip
        except ReelstackError as error:
            logger.warning("feed: first page not cached", extra={"error": str(error)})

    def _exclusions(self, viewer: str) -> tuple[Exclusions, dict[str, float], dict[str, float], list[str]]:
        """(what the viewer must not see, not-interested tag and author marks, the videos they played
        lately, newest first: also the item-CF seeds)."""
        played: list[str] = []
        seen: set[str] = set()
        nope: set[str] = set()
        tags: dict[str, float] = {}
        authors: dict[str, float] = {}
        try:
            played = self.short_term.seen(viewer)
            seen |= set(played)
        except ReelstackError as error:
            logger.warning("feed: seen set unavailable", extra={"error": str(error)})
        try:
            seen |= self.store.served(viewer)
            nope, tags, authors = self.store.not_interested(viewer)
        except ReelstackError as error:
            logger.warning("feed: served set unavailable", extra={"error": str(error)})
        return Exclusions(viewer, frozenset(seen), frozenset(nope)), tags, authors, played

    # -- candidates ---------------------------------------------------------------------------------------

    def _hot(self, scope: str) -> list[dict[str, Any]]:
        try:
            return self.store.hot_list(scope) or []
        except ReelstackError as error:
            logger.warning("feed: hot list unavailable", extra={"error": str(error), "scope": scope})
            return []

    def _hot_candidates(self, context: FeedContext, facts: dict[str, _Facts]) -> list[Candidate]:
        scopes = ([f"region:{context.region}"] if context.region else []) + ["all"]
        found: list[Candidate] = []
        for scope in scopes:
            entries = self._hot(scope)[: self.tuning.hot_candidates]
            top = max((float(entry.get("score") or 0.0) for entry in entries), default=0.0) or 1.0
            reason = reason_for_region(context.region if scope != "all" else None)
            for entry in entries:
                fact = facts.setdefault(str(entry["video_id"]), facts_of_entry(entry))
                prior = float(entry.get("score") or 0.0) / top
                found.append(
                    Candidate(
                        fact.video_id, fact.author, "hot", reason, fact.tags, prior, fact.published_at_s
                    )
                )
        return found

    def _popular(
        self, context: FeedContext, exclusions: Exclusions, facts: dict[str, _Facts]
    ) -> list[Candidate]:
        """The hot list in the order the hot-list run pre-computed (the region's page, then the overall
        one: the lists in diversity order), what those pages lack by score."""
        candidates = merge([self._hot_candidates(context, facts)], exclusions)
        order: dict[str, int] = {}
        for scope in ([f"region:{context.region}"] if context.region else []) + ["all"]:
            try:
                page = self.store.hot_page(scope) or []
            except ReelstackError:
                page = []
            for video_id in page:
                order.setdefault(str(video_id), len(order))
        return sorted(candidates, key=lambda c: (order.get(c.video_id, len(order)), -c.prior, c.video_id))

    def _candidates(
        self,
        viewer: str,
        context: FeedContext,
        exclusions: Exclusions,
        facts: dict[str, _Facts],
        stale: bool,
        recent: Sequence[tuple[str, float]],
        played: Sequence[str],
    ) -> tuple[list[Candidate], dict[str, float], InterestProfile | None]:
        profile = self._profile(viewer)
        long_term = list(profile.tags[: self.tuning.interest_tags]) if profile else []
        # Offline (the real-time path lags): the nightly profile leads, the short-term cache only helps.
        interests = _blend_interests(recent, long_term, self.tuning.interest_tags, 0.5 if stale else 1.0)
        excluded = sorted(exclusions.seen | exclusions.not_interested)
        now_ms = int(self.clock() * 1000)
        ranked_tags = sorted(interests.items(), key=lambda p: -p[1])
        jobs: list[Callable[[dict[str, _Facts]], list[Candidate]]] = []
        if interests:
            body = feed_body(
                ranked_tags, now_ms, limit=self.tuning.search_candidates, exclude=excluded, viewer=viewer
            )
            jobs.append(lambda own: self._from_search(body, own, "interest", interests))
        seeds = list(played[: self.tuning.neighbour_seeds])
        jobs.append(lambda own: self._neighbour_candidates(viewer, exclusions, own, seeds))
        jobs.append(lambda own: self._hot_candidates(context, own))
        newest = fresh_body(limit=self.tuning.fresh_candidates, exclude=excluded, viewer=viewer)
        jobs.append(lambda own: self._from_search(newest, own, "fresh", {}))
        # The sources wait on different stores: asked at once, each with its own facts, merged in order.
        own_facts: list[dict[str, _Facts]] = [{} for _ in jobs]
        futures = [self._pool.submit(job, mine) for job, mine in zip(jobs, own_facts, strict=True)]
        sources = [future.result() for future in futures]
        for mine in own_facts:
            for video_id, fact in mine.items():
                facts.setdefault(video_id, fact)
        return merge(sources, exclusions), interests, profile

    def _profile(self, viewer: str) -> InterestProfile | None:
        try:
            return self.long_term.profile(viewer)
        except ReelstackError as error:
            logger.warning("feed: long-term profile unavailable", extra={"error": str(error)})
            return None

    def _from_search(
        self, body: dict[str, Any], facts: dict[str, _Facts], source: str, interests: Mapping[str, float]
    ) -> list[Candidate]:
        try:
            hits = self.search.search(body)
        except ReelstackError as error:
            self.health.report("search_unhealthy", True)
            logger.warning(
                "feed: search candidates unavailable", extra={"error": str(error), "source": source}
            )
            return []
        found = []
        for rank, hit in enumerate(hits):
            fact = facts.setdefault(hit.video_id, facts_of_hit(hit))
            if source == "interest":
                best = max(fact.tags, key=lambda tag: interests.get(tag, 0.0), default=None)
                reason = reason_for_tag(best) if best and interests.get(best) else "picked for you"
            else:
                reason = "new"
            prior = 1.0 - rank / max(len(hits), 1)
            found.append(
                Candidate(fact.video_id, fact.author, source, reason, fact.tags, prior, fact.published_at_s)
            )
        return found

    def _neighbour_candidates(
        self, viewer: str, exclusions: Exclusions, facts: dict[str, _Facts], played: list[str]
    ) -> list[Candidate]:
        """Item-CF neighbours of the viewer's recent likes and `played` (their newest plays)."""
        liked: list[str] = []
        if self.recent_likes is not None:
            try:
                liked = self.recent_likes(viewer, self.tuning.neighbour_seeds)
            except ReelstackError as error:
                logger.warning("feed: recent likes unavailable", extra={"error": str(error)})
        seeds = list(dict.fromkeys(liked + played))
        scored: dict[str, tuple[float, str]] = {}
        for seed in seeds:
            try:
                found = self.long_term.neighbours(seed)
            except ReelstackError:
                continue
            for video, score, _support in found.items if found else ():
                if score > scored.get(video, (0.0, ""))[0]:
                    scored[video] = (score, seed)
        wanted = [video for video in scored if exclusions.admits(Candidate(video, "", "neighbour", ""))]
        used_seeds = {scored[video][1] for video in wanted}
        missing = [video for video in [*wanted, *used_seeds] if video not in facts]
        if missing:
            try:
                for hit in self.search.search(videos_body(missing)):
                    facts.setdefault(hit.video_id, facts_of_hit(hit))
            except ReelstackError as error:
                self.health.report("search_unhealthy", True)
                logger.warning("feed: neighbour facts unavailable", extra={"error": str(error)})
        found_list = []
        for video in wanted:
            fact = facts.get(video)
            seed_fact = facts.get(scored[video][1])
            if fact is None:
                continue
            verb = "liked" if scored[video][1] in liked else "watched"
            reason = (
                f"because you {verb} {seed_fact.title}"
                if seed_fact and seed_fact.title
                else "watched together"
            )
            found_list.append(
                Candidate(
                    video, fact.author, "neighbour", reason, fact.tags, scored[video][0], fact.published_at_s
                )
            )
        return found_list

    # -- ranking -------------------------------------------------------------------------------------------

    def _follows(self, viewer: str) -> list[str] | None:
        """Whom the viewer follows (None: unknown, the ranker then sees the field as missing)."""
        if self.followings is None:
            return None
        try:
            return list(self.followings(viewer))
        except ReelstackError as error:
            logger.warning("feed: followings unavailable", extra={"error": str(error)})
            return None

    def _rank(
        self,
        viewer: str,
        candidates: list[Candidate],
        interests: Mapping[str, float],
        profile: InterestProfile | None,
        context: FeedContext,
        facts: Mapping[str, _Facts],
        tag_marks: Mapping[str, float],
        author_marks: Mapping[str, float],
    ) -> tuple[list[Candidate], str]:
        if not candidates:
            return [], "ranker"
        penalty = self.tuning.penalty_per_mark

        def marked(candidate: Candidate) -> float:
            tags = sum(tag_marks.get(tag, 0.0) for tag in candidate.tags)
            return penalty * (tags + author_marks.get(candidate.author_id, 0.0))

        scores: list[float] | None = None
        ranker = self._ranker_for(context)
        # A ranker on trial (a gray release) is not the stack's: its failures fall back for its own
        # viewers and never trip the `ranker_down` level that everyone else's feed reads.
        on_trial = ranker is not self.ranker
        if ranker is not None and (on_trial or self.health.try_ranker()):
            try:
                scores = ranker.score(
                    _user_features(profile, interests, self._follows(viewer)),
                    {"hour": context.hour, "device": context.device},
                    [_candidate_features(facts[c.video_id], self.clock()) for c in candidates],
                )  # fmt: skip
                if not on_trial:
                    self.health.report("ranker_down", False)
            except ReelstackError as error:
                if not on_trial:
                    self.health.report("ranker_down", True)
                logger.warning(
                    "feed: ranker unavailable, fallback order",
                    extra={"error": str(error), "ranker_version": context.ranker_version},
                )
        if scores is None:
            muted = frozenset(tag for tag, count in tag_marks.items() if count > 0)
            now = self.clock()
            scores = [fallback_score(c, interests, muted, now, self.tuning.fallback) for c in candidates]
            by = "fallback"
        else:
            by = "ranker"
        order = sorted(
            zip(candidates, scores, strict=True), key=lambda p: (-(p[1] - marked(p[0])), p[0].video_id)
        )
        return [candidate for candidate, _ in order], by

    def _exposure(
        self, chosen: list[Candidate], facts: Mapping[str, _Facts], exclusions: Exclusions
    ) -> list[Candidate]:
        """Each slot, with probability `exposure_share`, goes to an unranked fresh video the viewer may
        see (the same exclusions: never their own, seen, served or not-interested videos)."""
        on_page = {c.video_id for c in chosen}
        now = self.clock()
        fresh = [
            Candidate(f.video_id, f.author, "exposure", "new", f.tags, 0.0, f.published_at_s)
            for f in facts.values()
            if f.video_id not in on_page and f.published_at_s is not None and now - f.published_at_s < FRESH_S
        ]
        fresh = [c for c in fresh if exclusions.admits(c)]
        result = list(chosen)
        for slot in range(len(result)):
            if fresh and self.rng.random() < self.tuning.exposure_share:
                pick = fresh.pop(self.rng.randrange(len(fresh)))
                logger.info("feed exposure", extra={"video_id": pick.video_id, "slot": slot})
                result[slot] = pick
        return result

    def _fill(
        self,
        chosen: list[Candidate],
        size: int,
        context: FeedContext,
        exclusions: Exclusions,
        facts: dict[str, _Facts],
        played: Sequence[str],
    ) -> list[Candidate]:
        """Top up a short page: the hot list, then (still short) the newest publications, each under the
        viewer's exclusions; then both again with the videos served but never played let back in (a page
        the viewer reloaded away), then with the played ones too (never their own or the not-interested
        ones), so a viewer who has seen it all gets repeats, not an empty page."""
        unplayed = Exclusions(exclusions.viewer, frozenset(played), exclusions.not_interested)
        anything = Exclusions(exclusions.viewer, frozenset(), exclusions.not_interested)
        sources = [self._hot_candidates(context, facts)]
        chosen = self._top_up(chosen, size, sources[0], exclusions)
        if len(chosen) < size and self.newest is not None:
            sources.append(self._newest_candidates(size, facts))
            chosen = self._top_up(chosen, size, sources[1], exclusions)
        for admit in (unplayed, anything):
            for source in sources:
                chosen = self._top_up(chosen, size, source, admit)
        return chosen

    def _top_up(
        self, chosen: list[Candidate], size: int, source: list[Candidate], admit: Exclusions
    ) -> list[Candidate]:
        """`chosen` and what `source` adds to it (not on it yet, admitted, diverse), up to `size`."""
        if len(chosen) >= size:
            return chosen
        have = {c.video_id for c in chosen}
        pending = [c for c in source if c.video_id not in have]
        return chosen + rerank(merge([pending], admit), size - len(chosen), start=chosen)

    def _newest_candidates(self, size: int, facts: dict[str, _Facts]) -> list[Candidate]:
        assert self.newest is not None
        try:
            entries = self.newest(max(size * 2, 20))
        except ReelstackError as error:
            logger.warning("feed: newest publications unavailable", extra={"error": str(error)})
            return []
        found = []
        for rank, entry in enumerate(entries):
            fact = facts.setdefault(str(entry["video_id"]), facts_of_entry(entry))
            prior = 1.0 - rank / max(len(entries), 1)
            found.append(
                Candidate(fact.video_id, fact.author, "fresh", "new", fact.tags, prior, fact.published_at_s)
            )
        return found

    # -- not interested -----------------------------------------------------------------------------------

    def not_interested(
        self, principal: Principal, video_id: str, lookup: Callable[[str], Any]
    ) -> dict[str, Any]:
        """Mark a published video: never in this viewer's feed again; its tags and author weigh less."""
        video = lookup(video_id)
        if video is None or getattr(video, "status", None) != VideoStatus.PUBLISHED:
            raise NotFound(f"no published video {video_id}", code="video_not_found")
        marked = self.store.mark_not_interested(principal.user_id, video_id, video.owner, video.tags)
        return {"video_id": video_id, "not_interested": True, "newly_marked": marked}

    # -- the answer ----------------------------------------------------------------------------------------

    def _item(self, candidate: Candidate, fact: _Facts) -> FeedItem:
        return FeedItem(
            video_id=fact.video_id,
            title=fact.title,
            author=fact.author,
            poster_url=self.urls.public(fact.poster_key) if fact.poster_key else None,
            playback_url=self.urls.public(fact.playback_key) if fact.playback_key else None,
            duration_ms=None if fact.duration_s is None else int(fact.duration_s * 1000),
            like_count=fact.like_count,
            reason=candidate.reason,
            source=candidate.source,
        )

    def _remember(self, viewer: str, video_ids: list[str]) -> None:
        try:
            self.store.mark_served(viewer, video_ids, int(self.clock() * 1000))
        except ReelstackError as error:
            logger.warning("feed: served set not updated", extra={"error": str(error)})


def _item_from_entry(entry: Mapping[str, Any]) -> FeedItem:
    return FeedItem(
        video_id=str(entry["video_id"]),
        title=str(entry.get("title") or ""),
        author=str(entry.get("author") or ""),
        poster_url=entry.get("poster_url"),
        playback_url=entry.get("playback_url"),
        duration_ms=entry.get("duration_ms"),
        like_count=int(entry.get("like_count") or 0),
        reason=str(entry.get("reason") or ""),
        source=str(entry.get("source") or ""),
    )


def _blend_interests(
    recent: Sequence[tuple[str, float]], long_term: Sequence[tuple[str, float]], n: int, recent_weight: float
) -> dict[str, float]:
    """Short-term and long-term tag weights, each scaled to its best, summed (recent x `recent_weight`)."""
    blended: dict[str, float] = {}
    for weights, factor in ((scaled(recent), recent_weight), (scaled(long_term), 1.0)):
        for tag, weight in weights.items():
            blended[tag] = blended.get(tag, 0.0) + factor * weight
    best = sorted(blended.items(), key=lambda p: (-p[1], p[0]))[:n]
    return scaled(best)


def _user_features(
    profile: InterestProfile | None, interests: Mapping[str, float], follows: Sequence[str] | None
) -> dict[str, Any]:
    return {
        "region": profile.region if profile else None,
        "device": profile.device if profile else None,
        "activity": profile.activity if profile else 0,
        "tags": [tag for tag, _ in sorted(interests.items(), key=lambda p: -p[1])],
        "follows": None if follows is None else list(follows),
    }


def _candidate_features(fact: _Facts, now_s: float) -> dict[str, Any]:
    age = None if fact.published_at_s is None else max(0.0, now_s - fact.published_at_s) / 86400.0
    return {
        "video_id": fact.video_id,
        "author_id": fact.author,
        "tags": list(fact.tags),
        "duration_ms": None if fact.duration_s is None else int(fact.duration_s * 1000),
        "codec_tier": None,
        "age_days": age,
        "plays": fact.plays,
    }
