"""Daily play stats per video in DynamoDB: one write per (video, day) per batch, each play once.

Items of the one table (pk `video_id`, sk `day`):

    (V, "YYYY-MM-DD")           DailyStatsRecord: plays, watched_ms -- moved only by ADD
    ("play#<message id>", "applied")
                                PlayMarkerRecord: the SQS message of one counted play was applied;
                                expires (TTL) `marker_ttl_s` after the play's day, longer than a message
                                can live in the queue (retention 4 days)

Exactly once across SQS redelivery, whatever the grouping: a delta (one video, one day, the messages
folded into it) is applied by ONE TransactWriteItems: the ADD on the day's item and, per message, a
conditional Put (attribute_not_exists) of its marker. A message applied before (a batch retried whole,
a redelivered partial failure, or the messages of a batch whose worker was killed after committing
some of its deltas, handed out again by SQS mixed with other messages) fails its marker's condition:
the transaction changes nothing, its cancellation reasons name those messages (one reason per item,
in order), and the delta is applied again without them. A transaction holds at most 100 items, so a
delta of more than 99 messages is applied in parts of 99 (`DailyDelta.split`). Each transaction
carries a digest of its messages as its ClientRequestToken, so a retry of an ambiguous (timed-out)
commit within 10 minutes is recognised by DynamoDB itself.

Cost (on-demand, transactional writes are 2 write units per item up to 1 KB): 2 WRU per play for its
~60-byte marker, plus 2 WRU per (video, day) per batch for the ADD -- about one write per play again,
which aggregation had saved; a batch stays one request per (video, day) (two past 99 plays), and a
redelivered message costs one cancelled transaction (charged as if written) and the retry. Markers
take ~100 bytes each (with DynamoDB's per-item overhead) until their TTL. The former per-delta ledger
(one item per (video, day, batch)) could not recognise a message handed out again in a different
group (a delta re-formed from other messages), which counted it twice.

`series` and `total` query the day items only: sk between "0000-00-00" and "9999-99-99"; markers live
under their own partition keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.tables import bound_model, transaction_connection
from reelstack.domain.engagement.plays import DailyDelta
from reelstack.errors import DependencyFailed
from reelstack.settings import PlayDailyStatsSettings

MARKER_PREFIX = "play#"
MARKER_SORT_KEY = "applied"
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for TransactWriteItems
MARKERS_PER_TRANSACTION = MAX_TRANSACTION_ITEMS - 1  # the other item is the day's ADD
FIRST_DAY, LAST_DAY = "0000-00-00", "9999-99-99"


class DailyStatsRecord(Model):
    class Meta:
        table_name = "unbound-play-daily-stats"

    video_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # "YYYY-MM-DD" (UTC)
    plays = NumberAttribute(default=0)
    watched_ms = NumberAttribute(default=0)


class PlayMarkerRecord(Model):
    """One applied play message (same table: pk "play#<message id>", sk "applied")."""

    class Meta:
        table_name = "unbound-play-daily-stats"

    video_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)
    expires_at_epoch = TTLAttribute()


@dataclass(frozen=True)
class DayStats:
    day: str
    plays: int
    watched_ms: int


@dataclass
class AddResult:
    applied: list[DailyDelta] = field(default_factory=list)  # written (less any messages applied before)
    duplicates: list[str] = field(default_factory=list)  # ids of messages applied before: not counted again
    failed: list[DailyDelta] = field(default_factory=list)  # not applied: redeliver their messages
    errors: list[str] = field(default_factory=list)  # why each failed delta failed (same order)


def delta_digest(delta: DailyDelta) -> str:
    """The delta's identity: video, day and the ids of the messages folded in (32 hex characters)."""
    text = "\n".join((delta.video_id, delta.day, *sorted(delta.sources)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def marker_key(message_id: str) -> str:
    return f"{MARKER_PREFIX}{message_id}"


def _applied_before(delta: DailyDelta, error: TransactWriteError) -> list[str] | None:
    """The messages whose marker's condition failed, if that alone cancelled the transaction (else None).
    Reasons come one per item in the order sent: PynamoDB sends a transaction's puts before its updates,
    so one marker per source first, then the day's ADD."""
    reasons = error.cancellation_reasons
    if len(reasons) != len(delta.sources) + 1 or reasons[-1] is not None:
        return None
    applied = [
        source
        for source, reason in zip(delta.sources, reasons[:-1], strict=True)
        if reason is not None and reason.code == "ConditionalCheckFailed"
    ]
    others = [
        reason for reason in reasons[:-1] if reason is not None and reason.code != "ConditionalCheckFailed"
    ]
    return applied if applied and not others else None


class DailyStats:
    def __init__(
        self,
        table_name: str,
        region: str,
        *,
        marker_ttl_s: int = 16 * 24 * 3600,
        connection: Connection | None = None,
    ) -> None:
        self.stats: type[DailyStatsRecord] = bound_model(DailyStatsRecord, table_name, region)
        self.markers: type[PlayMarkerRecord] = bound_model(PlayMarkerRecord, table_name, region)
        self.region = region
        self.marker_ttl_s = marker_ttl_s
        self._connection = connection

    @classmethod
    def from_settings(cls, settings: PlayDailyStatsSettings) -> DailyStats:
        return cls(settings.play_daily_stats_table, settings.aws_region)

    @property
    def connection(self) -> Connection:
        """The connection transactions use: the injected one, else the process's shared one."""
        return self._connection or transaction_connection(self.region)

    def add(self, deltas: Iterable[DailyDelta]) -> AddResult:
        """Apply each delta, each of its messages once (see the module docstring)."""
        result = AddResult()
        for delta in deltas:
            if delta.plays == 0 and delta.watched_ms == 0:
                continue
            for part in delta.split(MARKERS_PER_TRANSACTION):
                self._apply(part, result)
        return result

    def _apply(self, delta: DailyDelta, result: AddResult) -> None:
        pending: DailyDelta | None = delta
        while pending is not None:  # each round applies it or drops at least one message applied before
            try:
                self._transact(pending)
            except TransactWriteError as exc:
                applied = _applied_before(pending, exc)
                if applied is None:
                    reasons = [reason.code for reason in exc.cancellation_reasons if reason is not None]
                    result.failed.append(pending)
                    result.errors.append(f"{exc.cause_response_code}: {reasons or exc.msg}")
                    return
                result.duplicates.extend(applied)
                pending = pending.without(applied)
            except PynamoDBException as exc:
                result.failed.append(pending)
                result.errors.append(f"{exc.cause_response_code}: {exc.msg}")
                return
            else:
                result.applied.append(pending)
                return

    def _transact(self, delta: DailyDelta) -> None:
        """The day's ADD and one conditional marker per message, in one transaction."""
        # Deterministic, so a retried request is the same request (ClientRequestToken semantics).
        expires = datetime.fromisoformat(delta.day).replace(tzinfo=UTC) + timedelta(seconds=self.marker_ttl_s)
        with TransactWrite(
            connection=self.connection, client_request_token=delta_digest(delta)
        ) as transaction:
            transaction.update(
                self.stats(delta.video_id, delta.day),
                actions=[self.stats.plays.add(delta.plays), self.stats.watched_ms.add(delta.watched_ms)],
            )
            for source in delta.sources:
                transaction.save(
                    self.markers(marker_key(source), MARKER_SORT_KEY, expires_at_epoch=expires),
                    condition=self.markers.day.does_not_exist(),
                )

    def series(self, video_id: str, days: int, until: date | None = None) -> list[DayStats]:
        """The last `days` days up to `until` (UTC today), oldest first, zeros where nothing played."""
        last = until or datetime.now(UTC).date()
        first = last - timedelta(days=max(days, 1) - 1)
        found = {stat.day: stat for stat in self._query(video_id, first.isoformat(), last.isoformat())}
        span = (first + timedelta(days=offset) for offset in range(max(days, 1)))
        return [found.get(day.isoformat(), DayStats(day.isoformat(), 0, 0)) for day in span]

    def daily_plays(self, video_id: str, days: int) -> list[int]:
        """The plays of each of the last `days` days, oldest first (the tiering's history)."""
        return [stats.plays for stats in self.series(video_id, days)]

    def total(self, video_id: str) -> DayStats:
        """Every day summed (`day` = "total")."""
        stats: Sequence[DayStats] = self._query(video_id, FIRST_DAY, LAST_DAY)
        return DayStats("total", sum(s.plays for s in stats), sum(s.watched_ms for s in stats))

    def _query(self, video_id: str, first: str, last: str) -> list[DayStats]:
        try:
            return [
                DayStats(record.day, int(record.plays or 0), int(record.watched_ms or 0))
                for record in self.stats.query(
                    video_id, self.stats.day.between(first, last), consistent_read=True
                )
            ]
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading play stats failed: {exc.msg}") from exc
