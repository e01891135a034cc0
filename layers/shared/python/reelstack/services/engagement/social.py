"""Profiles and follows: who someone is, whom they follow, and who follows them.

`ProfileService` answers `GET /users/{id}` (the profile with its follower, following and published
video counts) and `PATCH /me`, and makes a profile on a user's first authenticated request (`seen`,
once per user per process). `FollowService` follows and unfollows (idempotent, never yourself, only
existing users), lists followers and followings newest first, and announces a new follow as
`UserFollowed` (source `reelstack.social`): the followed user's notification and the interaction log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.follows import (
    FOLLOWERS,
    FOLLOWING,
    FollowAnswer,
    FollowEdge,
    check_follow,
    follow_event_id,
)
from reelstack.domain.engagement.profiles import (
    Profile,
    ProfilePatch,
    default_display_name,
    parse_profile_patch,
)
from reelstack.domain.engagement.rate_limits import FOLLOW_ROUTE, Limiter
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.errors import NotFound, ReelstackError
from reelstack.observability import logger

MAX_PAGE = 100
USER_FOLLOWED = "UserFollowed"
SOCIAL_EVENT_SOURCE = "reelstack.social"
_SEEN_CAP = 100_000  # users remembered per process as having a profile


class Profiles(Protocol):
    def ensure(self, user_id: str, display_name: str, at: str) -> None: ...
    def get(self, user_id: str) -> Profile | None: ...
    def names(self, user_ids: list[str]) -> dict[str, str]: ...
    def update(self, user_id: str, patch: ProfilePatch, at: str) -> Profile | None: ...


class Counters(Protocol):
    def of_user(self, user_id: str) -> dict[str, int]: ...


class Follows(Protocol):
    def follow(self, follower: str, followed: str, at: str) -> bool: ...
    def unfollow(self, follower: str, followed: str) -> bool: ...
    def since(self, follower: str, followed: str) -> str | None: ...
    def listed(
        self, user_id: str, direction: str, limit: int, cursor: str | None
    ) -> tuple[list[FollowEdge], str | None]: ...


class Publisher(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None
    ) -> None: ...


def user_counts(counters: Counters, user_id: str) -> dict[str, int]:
    counts = counters.of_user(user_id)
    return {"follower_count": counts.get(FOLLOWERS, 0), "following_count": counts.get(FOLLOWING, 0)}


class ProfileService:
    def __init__(
        self,
        profiles: Profiles,
        counters: Counters,
        published_count: Callable[[str], int],
        avatar_url: Callable[[str], str],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.profiles = profiles
        self.counters = counters
        self.published_count = published_count
        self.avatar_url = avatar_url
        self.clock = clock
        self._seen: set[str] = set()

    def seen(self, principal: Principal) -> None:
        """The caller has a profile from their first authenticated request on (best effort: a failure
        is logged and retried on the next request, the request itself goes on)."""
        if principal.user_id in self._seen:
            return
        try:
            self.profiles.ensure(
                principal.user_id, default_display_name(principal.username), iso(self.clock())
            )
        except ReelstackError as error:
            logger.warning("profile not recorded", extra={"error": str(error)})
            return
        if len(self._seen) >= _SEEN_CAP:
            self._seen.clear()
        self._seen.add(principal.user_id)

    def display_name(self, principal: Principal) -> str:
        """What others see the caller called (their profile's name; the sign-in's before they have one)."""
        try:
            profile = self.profiles.get(principal.user_id)
        except ReelstackError:
            profile = None
        return profile.display_name if profile is not None else default_display_name(principal.username)

    def require(self, user_id: str) -> Profile:
        profile = self.profiles.get(user_id)
        if profile is None:
            raise NotFound(f"no user {user_id}", code="user_not_found")
        return profile

    def view(self, profile: Profile, viewer: str | None = None) -> dict[str, Any]:
        """The public profile; its owner also sees where their newest avatar upload stands."""
        body: dict[str, Any] = {
            "user_id": profile.user_id,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "avatar_url": self.avatar_url(profile.avatar_key) if profile.avatar_key else None,
            **user_counts(self.counters, profile.user_id),
            "video_count": self.published_count(profile.user_id),
        }
        if viewer == profile.user_id and profile.avatar_upload is not None:
            body["avatar_upload"] = profile.avatar_upload.to_dict()
        return body

    def get(self, principal: Principal, user_id: str) -> dict[str, Any]:
        return self.view(self.require(user_id), principal.user_id)

    def patch(self, principal: Principal, body: Any) -> dict[str, Any]:
        patch = parse_profile_patch(body)
        self.seen(principal)
        profile = self.profiles.update(principal.user_id, patch, iso(self.clock()))
        if profile is None:
            raise NotFound("your profile is not recorded yet: try again", code="user_not_found")
        return self.view(profile, principal.user_id)


class FollowService:
    def __init__(
        self,
        profiles: ProfileService,
        follows: Follows,
        counters: Counters,
        events: Publisher,
        *,
        limiter: Limiter | None = None,
        on_change: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.on_change = on_change  # told the follower's id when their followings change
        self.profiles = profiles
        self.follows = follows
        self.counters = counters
        self.events = events
        self.limiter = limiter
        self.clock = clock

    def follow(self, principal: Principal, user_id: str) -> FollowAnswer:
        self._admit(principal, user_id)
        at = iso(self.clock())
        made = self.follows.follow(principal.user_id, user_id, at)
        if made:
            self._changed(principal.user_id)
            self._announce(principal, user_id, at)
        return self._answer(user_id, True, made)

    def unfollow(self, principal: Principal, user_id: str) -> FollowAnswer:
        self._admit(principal, user_id)
        gone = self.follows.unfollow(principal.user_id, user_id)
        if gone:
            self._changed(principal.user_id)
        return self._answer(user_id, False, gone)

    def _changed(self, follower: str) -> None:
        if self.on_change is not None:
            self.on_change(follower)

    def _admit(self, principal: Principal, user_id: str) -> None:
        if self.limiter is not None:
            self.limiter.enforce(principal.user_id, FOLLOW_ROUTE)
        check_follow(principal.user_id, user_id)
        self.profiles.require(user_id)

    def _answer(self, user_id: str, following: bool, changed: bool) -> FollowAnswer:
        count = user_counts(self.counters, user_id)["follower_count"]
        return FollowAnswer(user_id, following, changed, count)

    def _announce(self, principal: Principal, followed: str, at: str) -> None:
        """`UserFollowed` for the notification and the interaction log. The follow stands whatever
        happens here: a lost event costs one notification and one logged follow, never the follow."""
        detail = {
            "follower": principal.user_id,
            "follower_name": self.profiles.display_name(principal),
            "followed": followed,
            "followed_at": at,
            # What the interaction log takes as it is (its rule's InputPath is $.detail.interaction).
            "interaction": {
                "event_id": follow_event_id(principal.user_id, followed, at),
                "kind": "follow",
                "user_id": principal.user_id,
                "target_user_id": followed,
                "occurred_at": at,
            },
        }
        try:
            self.events.publish(USER_FOLLOWED, detail, resources=[])
        except ReelstackError as error:
            logger.error("UserFollowed not published", extra={"followed": followed, "error": str(error)})

    def follows_of(
        self, user_id: str, direction: str, limit_text: str | None, cursor: str | None
    ) -> dict[str, Any]:
        """`{items: [{user_id, display_name, since}], cursor}`: followers (`in`) or followings (`out`)."""
        self.profiles.require(user_id)
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        edges, next_cursor = self.follows.listed(user_id, direction, limit, cursor)
        names = self.profiles.profiles.names([edge.user_id for edge in edges]) if edges else {}
        items = [
            {
                "user_id": edge.user_id,
                "display_name": names.get(edge.user_id, edge.user_id),
                "since": edge.since,
            }
            for edge in edges
        ]
        return {"items": items, "cursor": next_cursor}
