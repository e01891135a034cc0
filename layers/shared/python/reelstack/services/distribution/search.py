"""Search, title suggestions and similar videos over the `videos` index, as the API answers them.

Parameters are checked first (400 with a code, `domain.distribution.search_input`), then one request goes to the
engine (`SearchClient`; down or slow: 503 `search_unavailable` with Retry-After), and each hit becomes
`{video_id, title, author, poster_url, playback_url, duration_s, like_count}` (URLs from the keys the
index stores). Only published videos are in the index: the indexer puts nothing else there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.clock import utc_now
from reelstack.domain.distribution.search_input import (
    SearchCursor,
    check_parameters,
    decode_cursor,
    plausible_video_id,
    query_key,
    query_text,
    sort_values_of,
    tag_filter,
)
from reelstack.domain.distribution.search_queries import VideoHit, distinct_titles, search_body, suggest_body
from reelstack.domain.request_input import parse_limit
from reelstack.errors import DependencyFailed, NotFound
from reelstack.observability import logger

SEARCH_PARAMETERS = frozenset({"q", "tag", "limit", "cursor"})
SUGGEST_PARAMETERS = frozenset({"q", "limit"})
SIMILAR_PARAMETERS = frozenset({"limit"})
DEFAULT_LIMIT, MAX_LIMIT = 20, 50
DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS = 8, 20
Params = Mapping[str, Sequence[str]]


def _now_ms() -> int:
    return int(utc_now().timestamp() * 1000)


class SearchService:
    def __init__(
        self,
        client: SearchClient,
        public_url: Callable[[str], str],
        *,
        max_query_chars: int = 200,
        now_ms: Callable[[], int] = _now_ms,
        seen: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        self.client = client
        self.seen = seen  # user id -> the videos they played lately (`PlayStats.seen`)
        self.public_url = public_url
        self.max_query_chars = max_query_chars
        self.now_ms = now_ms

    def _result(self, hit: VideoHit) -> dict[str, Any]:
        return {
            "video_id": hit.video_id,
            "title": hit.title,
            "author": hit.author,
            "poster_url": self.public_url(hit.poster_key) if hit.poster_key else None,
            "playback_url": self.public_url(hit.playback_key) if hit.playback_key else None,
            "duration_s": hit.duration_s,
            "like_count": hit.like_count,
        }

    def search(self, params: Params) -> dict[str, Any]:
        """`{items, cursor}`: one page of the videos matching `q` (tagged `tag`), best first; `cursor`
        (None on the last page) asks for the next page of the same search."""
        given = check_parameters(params, SEARCH_PARAMETERS)
        text = query_text(given.get("q"), max_chars=self.max_query_chars)
        tag = tag_filter(given.get("tag"))
        limit = parse_limit(given.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        key = query_key(text, tag)
        cursor = decode_cursor(given["cursor"], key) if given.get("cursor") else None
        now_ms = cursor.now_ms if cursor else self.now_ms()
        after = list(cursor.after) if cursor else None
        # One more than a page: whether a next page exists, without a second request.
        hits = self.client.search(search_body(text, limit=limit + 1, now_ms=now_ms, tag=tag, after=after))
        page = hits[:limit]
        next_cursor = None
        if len(hits) > limit:
            next_cursor = SearchCursor(key, now_ms, sort_values_of(page[-1].sort)).encode()
        return {"items": [self._result(hit) for hit in page], "cursor": next_cursor}

    def suggest(self, params: Params) -> dict[str, Any]:
        """`{suggestions: [title, ...]}`: distinct titles completing `q`."""
        given = check_parameters(params, SUGGEST_PARAMETERS)
        text = query_text(given.get("q"), max_chars=self.max_query_chars)
        limit = parse_limit(given.get("limit"), default=DEFAULT_SUGGESTIONS, maximum=MAX_SUGGESTIONS)
        titles = self.client.suggest(suggest_body(text, limit=limit))
        return {"suggestions": distinct_titles(titles, limit)}

    def similar(self, video_id: str, params: Params, viewer: str | None = None) -> dict[str, Any]:
        """`{items}`: videos like `video_id` by title and tags, none of its author's and none `viewer`
        played lately; 404 when the video is not in the index (not published, or unknown)."""
        given = check_parameters(params, SIMILAR_PARAMETERS)
        limit = parse_limit(given.get("limit"), default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        if not plausible_video_id(video_id):
            raise NotFound("no such published video", code="video_not_found")
        hits = self.client.similar(video_id, limit, self._seen_by(viewer))
        if hits is None:
            raise NotFound("no such published video", code="video_not_found")
        return {"items": [self._result(hit) for hit in hits]}

    def _seen_by(self, viewer: str | None) -> Sequence[str]:
        """What `viewer` played lately; nothing when unknown or when Redis cannot say (similar videos
        then may include seen ones: better than no answer)."""
        if viewer is None or self.seen is None:
            return ()
        try:
            return self.seen(viewer)
        except DependencyFailed as error:
            logger.warning(
                "similar videos without the seen set", extra={"viewer": viewer, "error": str(error)}
            )
            return ()
