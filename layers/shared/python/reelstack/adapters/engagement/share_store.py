"""Share links in DynamoDB (`shares` table, pk `share_key`), counted with the video's share counter.

  token#<token>                      -> video_id, sharer, channel, created_at   (what a link opens)
  share#<video>#<sharer>#<channel>   -> token                                   (one link per share)
A new share writes both items and moves the counter in one transaction; the same user sharing the
same video to the same channel again finds its link (condition failed) and counts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.engagement.social_counters import SocialCounters, video_subject
from reelstack.adapters.engagement.transactions import transact
from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.shares import SHARES
from reelstack.errors import DependencyFailed


class ShareRecord(Model):
    class Meta:
        table_name = "unbound-shares"

    share_key = UnicodeAttribute(hash_key=True)
    token = UnicodeAttribute(null=True)
    video_id = UnicodeAttribute(null=True)
    sharer = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class ShareLink:
    token: str
    video_id: str
    sharer: str
    channel: str
    created_at: str
    new: bool = False  # this call made it (and counted it)


class ShareStore:
    def __init__(self, table: str, counters: SocialCounters, region: str) -> None:
        self.model: Any = bound_model(ShareRecord, table, region)
        self.counters = counters
        self.region = region

    def share(self, video_id: str, sharer: str, channel: str, token: str, at: str) -> ShareLink:
        """The link of this (video, sharer, channel): made and counted now with `token`, or the one made
        before."""
        model = self.model
        pair = f"share#{video_id}#{sharer}#{channel}"

        def build(transaction: TransactWrite) -> None:
            transaction.save(model(share_key=pair, token=token), condition=model.share_key.does_not_exist())
            transaction.save(
                model(
                    share_key=f"token#{token}",
                    video_id=video_id,
                    sharer=sharer,
                    channel=channel,
                    created_at=at,
                ),
                condition=model.share_key.does_not_exist(),
            )
            self.counters.move(transaction, video_subject(video_id), SHARES, sharer, +1)

        if transact(self.region, build, "sharing"):
            return ShareLink(token, video_id, sharer, channel, at, new=True)
        earlier = self._item(pair)
        link = self.resolve(str(earlier.token)) if earlier is not None and earlier.token else None
        if link is None:  # a token collision (2^-128) or a half-read race: the caller may retry
            raise DependencyFailed("sharing raced with itself: try again")
        return link

    def resolve(self, token: str) -> ShareLink | None:
        item = self._item(f"token#{token}")
        if item is None or not item.video_id:
            return None
        return ShareLink(token, item.video_id, item.sharer or "", item.channel or "", item.created_at or "")

    def _item(self, key: str) -> Any:
        try:
            return self.model.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a share failed: {exc.msg}") from exc
