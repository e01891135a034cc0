"""Daily play stats per video in DynamoDB: one write per (video, day) per batch, once per batch.

Items of the one table (pk `video_id`, sk `day`):

    (V, "YYYY-MM-DD")        DailyStatsRecord: plays, watched_ms -- moved only by ADD
    (V, "applied#<digest>")  PlayLedgerRecord: marks one delta as applied; expires (TTL) after
                             `ledger_ttl_s`, longer than a message can live in the queue

Idempotency across SQS redelivery: a delta (one video, one day, the sorted ids of the messages folded
into it) is applied by ONE TransactWriteItems of two items -- the ADD on the day's item and a
conditional Put (attribute_not_exists) of its ledger item, keyed by a digest of (video, day, message
ids). Delivered again with the same messages (a batch retried whole, a redelivered partial failure),
the ledger's condition fails, the transaction changes nothing, and `add` reports the delta as a
duplicate, i.e. done. The transaction also carries the digest as its ClientRequestToken, so a retry
of an ambiguous (timed-out) commit within 10 minutes is recognised by DynamoDB itself.

Why not one marker per message: it would make every play a write again (2 WCU each, transactional),
which aggregation exists to avoid. The price: a delta re-formed from a *different* set of messages
(SQS regrouping the messages of a batch whose worker died after committing some of its deltas) is
not recognised. The aggregator keeps that window small -- it never dies between commits on a
DynamoDB error, it reports the failed deltas' messages and lets the committed ones be deleted.

`series` and `total` query the day items only: sk between "0000-00-00" and "9999-99-99" leaves the
"applied#" ledger out.
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

LEDGER_PREFIX = "applied#"
FIRST_DAY, LAST_DAY = "0000-00-00", "9999-99-99"


class DailyStatsRecord(Model):
    class Meta:
        table_name = "unbound-play-daily-stats"

    video_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # "YYYY-MM-DD" (UTC)
    plays = NumberAttribute(default=0)
    watched_ms = NumberAttribute(default=0)


class PlayLedgerRecord(Model):
    """One applied delta (same table, sk "applied#<digest>")."""

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
    applied: list[DailyDelta] = field(default_factory=list)
    duplicates: list[DailyDelta] = field(default_factory=list)  # applied before: nothing changed
    failed: list[DailyDelta] = field(default_factory=list)  # not applied: redeliver their messages
    errors: list[str] = field(default_factory=list)  # why each failed delta failed (same order)


def delta_digest(delta: DailyDelta) -> str:
    """The delta's identity: video, day and the ids of the messages folded in (32 hex characters)."""
    text = "\n".join((delta.video_id, delta.day, *sorted(delta.sources)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class DailyStats:
    def __init__(
        self,
        table_name: str,
        region: str,
        *,
        ledger_ttl_s: int = 16 * 24 * 3600,
        connection: Connection | None = None,
    ) -> None:
        self.stats: type[DailyStatsRecord] = bound_model(DailyStatsRecord, table_name, region)
        self.ledger: type[PlayLedgerRecord] = bound_model(PlayLedgerRecord, table_name, region)
        self.region = region
        self.ledger_ttl_s = ledger_ttl_s
        self._connection = connection

    @classmethod
    def from_settings(cls, settings: PlayDailyStatsSettings) -> DailyStats:
        return cls(settings.play_daily_stats_table, settings.aws_region)

    @property
    def connection(self) -> Connection:
        """The connection transactions use: the injected one, else the process's shared one."""
        return self._connection or transaction_connection(self.region)

    def add(self, deltas: Iterable[DailyDelta]) -> AddResult:
        """Apply each delta with one transaction (ADD + ledger); see the module docstring."""
        result = AddResult()
        for delta in deltas:
            if delta.plays == 0 and delta.watched_ms == 0:
                continue
            digest = delta_digest(delta)
            # Deterministic, so a retried request is the same request (ClientRequestToken semantics).
            expires = datetime.fromisoformat(delta.day).replace(tzinfo=UTC) + timedelta(
                seconds=self.ledger_ttl_s
            )
            try:
                with TransactWrite(connection=self.connection, client_request_token=digest) as transaction:
                    transaction.update(
                        self.stats(delta.video_id, delta.day),
                        actions=[
                            self.stats.plays.add(delta.plays),
                            self.stats.watched_ms.add(delta.watched_ms),
                        ],
                    )
                    transaction.save(
                        self.ledger(delta.video_id, LEDGER_PREFIX + digest, expires_at_epoch=expires),
                        condition=self.ledger.day.does_not_exist(),
                    )
            except TransactWriteError as exc:
                reasons = [reason.code for reason in exc.cancellation_reasons if reason is not None]
                if "ConditionalCheckFailed" in reasons:
                    result.duplicates.append(delta)
                else:
                    result.failed.append(delta)
                    result.errors.append(f"{exc.cause_response_code}: {reasons or exc.msg}")
            except PynamoDBException as exc:
                result.failed.append(delta)
                result.errors.append(f"{exc.cause_response_code}: {exc.msg}")
            else:
                result.applied.append(delta)
        return result

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
