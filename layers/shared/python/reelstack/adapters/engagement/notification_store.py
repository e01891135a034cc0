"""Notifications in DynamoDB: one item per (recipient, kind, subject, window), newest first per recipient.

An action adds its actor to the item's `actor_ids` (a string set) and its name to `recent_names`, both
only when the actor is not yet counted: a redelivered action changes nothing, and `recent_names` holds
one entry per counted actor (the read side keeps the newest distinct names). An item holds at most
`MAX_ACTORS` ids (DynamoDB items stop at 400 KB); actions beyond that only move `extra_actors`, which
a redelivery may count twice: in a window that busy, "and 2,000+ others" is still true.
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
from reelstack.domain.engagement.notifications import Notice, notice_text, notification_key
from reelstack.errors import DependencyFailed
from reelstack.settings import NotificationSettings

MAX_ACTORS = 2000


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
    ref = UnicodeAttribute(range_key=True)  # "<kind>#<subject>#<window>"
    kind = UnicodeAttribute()
    video_id = UnicodeAttribute(null=True)  # none for a follow
    latest_at = UnicodeAttribute()
    # Stored under their first names (likes came first): the actors counted, and those past MAX_ACTORS.
    actor_ids = UnicodeSetAttribute(null=True, attr_name="liker_ids")
    recent_names = ListAttribute(of=UnicodeAttribute, null=True)
    extra_actors = NumberAttribute(null=True, attr_name="extra_likes")
    by_latest = RecipientLatestIndex()


@dataclass(frozen=True)
class Notification:
    ref: str
    kind: str
    video_id: str
    latest_at: str
    actors: int  # distinct people in the window
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.ref,
            "kind": self.kind,
            "video_id": self.video_id or None,
            "latest_at": self.latest_at,
            "actors": self.actors,
            "text": self.text,
        }


def _notification(record: NotificationRecord) -> Notification:
    names: list[str] = []
    for name in reversed([str(name) for name in record.recent_names or []]):  # appended oldest first
        if name not in names:
            names.append(name)
    actors = len(record.actor_ids or ()) + int(record.extra_actors or 0)
    return Notification(
        record.ref,
        record.kind,
        record.video_id or "",
        record.latest_at,
        actors,
        notice_text(record.kind, names, actors),
    )


class NotificationStore:
    def __init__(self, table_name: str, region: str, window_s: int) -> None:
        self.model: type[NotificationRecord] = bound_model(NotificationRecord, table_name, region)
        self.window_s = window_s

    @classmethod
    def from_settings(cls, settings: NotificationSettings) -> NotificationStore:
        return cls(settings.notifications_table, settings.aws_region, settings.notification_window_seconds)

    def add(self, notice: Notice) -> None:
        """Fold one action into its (recipient, kind, subject, window) notification; idempotent per actor."""
        model = self.model
        item = model(recipient=notice.recipient, ref=notification_key(notice, self.window_s))
        common = [
            model.kind.set(notice.kind),
            model.latest_at.set(iso(notice.at)),
            model.recent_names.set((model.recent_names | []).append([notice.actor_name or notice.actor])),
        ]
        if notice.video_id:
            common.insert(1, model.video_id.set(notice.video_id))
        try:
            item.update(
                actions=[*common, model.actor_ids.add({notice.actor})],
                condition=model.actor_ids.does_not_exist()
                | (~model.actor_ids.contains(notice.actor) & (size(model.actor_ids) < MAX_ACTORS)),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc
            self._overflow(item, common[:-1], notice.actor)
        except PynamoDBException as exc:
            raise DependencyFailed(f"recording a notification failed: {exc.msg}") from exc

    def _overflow(self, item: NotificationRecord, common: list[Any], actor: str) -> None:
        """The actor is already counted (a redelivery: nothing to do), or the item is full: count the
        action in `extra_actors` without a name (so `recent_names` never outgrows MAX_ACTORS entries)."""
        try:
            item.update(
                actions=[*common, self.model.extra_actors.add(1)],
                condition=~self.model.actor_ids.contains(actor),
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
