"""Follows as data (pure): who may follow whom, the interaction a follow logs, and the counters.

A follow is an edge stored twice, once under each user (`out` under the follower, `in` under the
followed), written together in one transaction with both users' counters, so the two directions and
the counts can never disagree. Following yourself is refused; following twice is the same follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelstack.errors import InvalidRequest

FOLLOWERS = "followers"  # the counter of a user's followers
FOLLOWING = "following"  # the counter of the users a user follows


@dataclass(frozen=True)
class FollowAnswer:
    user_id: str  # the followed (or unfollowed) user
    following: bool  # whether the caller follows them now
    changed: bool  # this call made the difference (False: it was already so)
    follower_count: int

    def to_dict(self) -> dict[str, object]:
        return {"user_id": self.user_id, "following": self.following, "follower_count": self.follower_count}


@dataclass(frozen=True)
class FollowEdge:
    user_id: str  # the other user
    since: str  # when the follow was made (ISO)


def check_follow(follower: str, followed: str) -> None:
    if follower == followed:
        raise InvalidRequest("you cannot follow yourself", code="cannot_follow_self")


def follow_event_id(follower: str, followed: str, since: str) -> str:
    """One follow in the interaction log: the pair and the moment it was made (a refollow is another)."""
    return f"follow:{follower}:{followed}:{since}"
