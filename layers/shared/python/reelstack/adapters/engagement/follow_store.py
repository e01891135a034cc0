"""The follow graph in DynamoDB, both directions written in one transaction with both counters.

Table `follows`: pk `user_id`, sk `edge`:
  `out#<followed>`  under the follower: whom they follow
  `in#<follower>`   under the followed: who follows them
each with `other` (the other user), `since`, and `listed` = "<out|in>#<since>#<other>", the key of the
GSI `user-listed-index` (`user_id`, `listed`): a user's followers or followings, newest first.

follow(a, b):   Put out#b under a IF absent + Put in#a under b IF absent
                + user#b followers +1 + user#a following +1           (one TransactWrite)
unfollow(a, b): Delete both edges IF present + both counters -1       (one TransactWrite)
A failed condition means it is already so (a duplicate, a retry): nothing moves. The counters move iff
the edges flip, so follower and following counts always equal the edges, under any storm of follows
and unfollows. A creator's in-edges share one partition key, which DynamoDB splits by sort key as it
heats; the GSI has no item-collection limit (an LSI would cap a creator at 10 GB of followers).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.engagement.social_counters import SocialCounters, user_subject
from reelstack.adapters.engagement.transactions import transact
from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.follows import FOLLOWERS, FOLLOWING, FollowEdge
from reelstack.errors import DependencyFailed

OUT, IN = "out", "in"


class UserListedIndex(GlobalSecondaryIndex["FollowRecord"]):
    class Meta:
        index_name = "user-listed-index"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    listed = UnicodeAttribute(range_key=True)


class FollowRecord(Model):
    class Meta:
        table_name = "unbound-follows"

    user_id = UnicodeAttribute(hash_key=True)
    edge = UnicodeAttribute(range_key=True)
    other = UnicodeAttribute()
    since = UnicodeAttribute()
    listed = UnicodeAttribute()
    by_listed = UserListedIndex()


class FollowStore:
    def __init__(self, table: str, counters: SocialCounters, region: str) -> None:
        self.model: Any = bound_model(FollowRecord, table, region)
        self.counters = counters
        self.region = region

    def _edge(self, owner: str, direction: str, other: str, since: str | None = None) -> Any:
        if since is None:
            return self.model(user_id=owner, edge=f"{direction}#{other}")
        return self.model(
            user_id=owner,
            edge=f"{direction}#{other}",
            other=other,
            since=since,
            listed=f"{direction}#{since}#{other}",
        )

    def follow(self, follower: str, followed: str, at: str) -> bool:
        """True when this made the follow (False: it already was)."""
        model = self.model

        def build(transaction: TransactWrite) -> None:
            transaction.save(self._edge(follower, OUT, followed, at), condition=model.edge.does_not_exist())
            transaction.save(self._edge(followed, IN, follower, at), condition=model.edge.does_not_exist())
            self.counters.move(transaction, user_subject(followed), FOLLOWERS, follower, +1)
            self.counters.move(transaction, user_subject(follower), FOLLOWING, followed, +1)

        return transact(self.region, build, "following")

    def unfollow(self, follower: str, followed: str) -> bool:
        """True when this removed the follow (False: there was none)."""
        model = self.model

        def build(transaction: TransactWrite) -> None:
            transaction.delete(self._edge(follower, OUT, followed), condition=model.edge.exists())
            transaction.delete(self._edge(followed, IN, follower), condition=model.edge.exists())
            self.counters.move(transaction, user_subject(followed), FOLLOWERS, follower, -1)
            self.counters.move(transaction, user_subject(follower), FOLLOWING, followed, -1)

        return transact(self.region, build, "unfollowing")

    def since(self, follower: str, followed: str) -> str | None:
        """When `follower` started following `followed`, or None when they do not."""
        try:
            return str(self.model.get(follower, f"{OUT}#{followed}", consistent_read=True).since)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a follow failed: {exc.msg}") from exc

    def listed(
        self, user_id: str, direction: str, limit: int, cursor: str | None
    ) -> tuple[list[FollowEdge], str | None]:
        """A user's followings (`out`) or followers (`in`), newest first, a page at a time."""
        try:
            result = self.model.by_listed.query(
                user_id,
                self.model.listed.startswith(f"{direction}#"),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
            )
            edges = [FollowEdge(item.other, item.since) for item in result]
            return edges, encode_cursor(result.last_evaluated_key)
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing follows failed: {exc.msg}") from exc

    def following_ids(self, user_id: str, cap: int) -> list[str]:
        """Up to `cap` of the users `user_id` follows, most recently followed first."""
        ids: list[str] = []
        cursor = None
        while len(ids) < cap:
            edges, cursor = self.listed(user_id, OUT, min(500, cap - len(ids)), cursor)
            ids += [edge.user_id for edge in edges]
            if not cursor:
                break
        return ids
