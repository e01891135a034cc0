"""Author notifications in DynamoDB: one item per (recipient, video, window), newest first per recipient.

A like adds its liker to the item's `liker_ids` (a string set) and its name to `recent_names`, both
only when the liker is not yet counted: a redelivered like changes nothing, and `recent_names` holds
one entry per counted liker (the read side keeps the newest distinct names). An item holds at most
`MAX_LIKERS` ids (DynamoDB items stop at 400 KB); likes beyond that only move `extra_likes`, which a
redelivery may count twice: in a window that busy, "and 2,000+ others" is still true.
The GSI (recipient, latest_at) lists a recipient's notifications newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.tables import bound_model
from reelstack.clock import iso
from reelstack.domain.engagement.notifications import LikeNotice, like_text, notification_key
from reelstack.errors import DependencyFailed
from reelstack.settings import NotificationSettings

MAX_LIKERS = 2000


class RecipientLatestIndex(GlobalSecondaryIndex["NotificationRecord"]):
    class Meta:
        index_name = "recipient-latest-index"
        projection = AllProjection()

    recipient = UnicodeAttribute(hash_key=True)
    latest_at = UnicodeAttribute(range_key=True)


class NotificationRecord(Model):
    class Meta:
        table_name = "unbound-notifications"

    recipient = UnicodeAttribute(hash_key=True)
    ref = UnicodeAttribute(range_key=True)  # "like#<video id>#<window>"
    kind = UnicodeAttribute()
    video_id = UnicodeAttribute()
    latest_at = UnicodeAttribute()
    liker_ids = UnicodeSetAttribute(null=True)
    recent_names = ListAttribute(of=UnicodeAttribute, null=True)
    extra_likes = NumberAttribute(null=True)
    by_latest = RecipientLatestIndex()


@dataclass(frozen=True)
class Notification:
    ref: str
    kind: str
    video_id: str
    latest_at: str
    likers: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.ref,
            "kind": self.kind,
            "video_id": self.video_id,
            "latest_at": self.latest_at,
            "likers": self.likers,
            "text": self.text,
        }


def _notification(record: NotificationRecord) -> Notification:
    names: list[str] = []
    for name in reversed([str(name) for name in record.recent_names or []]):  # appended oldest first
        if name not in names:
            names.append(name)
    likers = len(record.liker_ids or ()) + int(record.extra_likes or 0)
    return Notification(
        record.ref, record.kind, record.video_id, record.latest_at, likers, like_text(names, likers)
    )


class NotificationStore:
    def __init__(self, table_name: str, region: str, window_s: int) -> None:
        self.model: type[NotificationRecord] = bound_model(NotificationRecord, table_name, region)
        self.window_s = window_s

    @classmethod
    def from_settings(cls, settings: NotificationSettings) -> NotificationStore:
        return cls(settings.notifications_table, settings.aws_region, settings.notification_window_seconds)

    def add_like(self, notice: LikeNotice) -> None:
        """Fold one like into its (author, video, window) notification; idempotent per liker."""
        model = self.model
        item = model(recipient=notice.author, ref=notification_key(notice, self.window_s))
        common = [
            model.kind.set("like"),
            model.video_id.set(notice.video_id),
            model.latest_at.set(iso(notice.liked_at)),
            model.recent_names.set((model.recent_names | []).append([notice.liker_name])),
        ]
        try:
            item.update(
                actions=[*common, model.liker_ids.add({notice.liker})],
                condition=model.liker_ids.does_not_exist()
                | (~model.liker_ids.contains(notice.liker) & (size(model.liker_ids) < MAX_LIKERS)),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc
            self._overflow(item, common, notice.liker)
        except PynamoDBException as exc:
            raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc

    def _overflow(self, item: NotificationRecord, common: list[Any], liker: str) -> None:
        """The liker is already counted (a redelivery: nothing to do), or the item is full: count the
        like in `extra_likes` without a name (so `recent_names` never outgrows MAX_LIKERS entries)."""
        try:
            item.update(
                actions=[*common[:3], self.model.extra_likes.add(1)],
                condition=~self.model.liker_ids.contains(liker),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc
        except PynamoDBException as exc:
            raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc

    def newest(self, recipient: str, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]:
        """A recipient's notifications, newest activity first, a page at a time."""
        try:
            result = self.model.by_latest.query(
                recipient, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor)
            )
            items = [_notification(record) for record in result]
            return items, encode_cursor(result.last_evaluated_key)
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing notifications failed: {exc.msg}") from exc
