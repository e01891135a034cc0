"""The nightly tiering of one published video: its facts, the ROI decisions, carried out (or not).

Facts come from S3 and the daily play stats:
- objects: the original (`originals/{id}`) and each rendition, i.e. every object under
  `renditions/{id}/<name>/` (its playlist and segments) grouped as one `StoredObject` keyed by that
  prefix, with their total size, object count, storage class and days in it (S3 resets LastModified
  when an object is copied onto itself into another class). The master playlist, poster and sprite
  are a few KB and stay in Standard.
- plays: the daily play stats since publication (at most `forecast_days`, oldest first, the last is
  today) with the watch time, the like count (`likes`, 0 without one) and the video's duration make
  its `PlayHistory` (`domain.storage.play_history`): daily plays, likes, and the completion rate = watched ms /
  (plays x duration ms) over those days, clipped to [0, 1]. `forecast` turns it into the plays of the
  next 7 and 30 days: `decay_forecast`, the exponential-decay baseline, by default; `ModelForecast`,
  the trained gradient-boosted predictor (`adapters.storage.play_predictor`) on the history's features, when
  the tiering is given one (wiring does when PLAY_MODEL_KEY names an artifact). A video older than
  `forecast_days` is seen as if it were published `forecast_days` ago. The decisions' recent plays and
  last play are read from the last `history_days` of it. Each report row says which forecast ran and
  what it predicted; every decision carries its numbers (`plays_horizon` among them).

Decisions are `reelstack.domain.storage.roi.decide_video`'s. Carried out: a MOVE copies every object of the
group onto itself in the target class; a DROP first takes the rendition out of the master playlist
and the video's playback record, then deletes the group (roi never drops the original or the last
playable rendition: the video keeps playing from what is left); a REENCODE is handed to `start_reencode` (the heat workflow,
`services.media.heat_start`), and the outcome names the execution and whether it was started now or
already existed. The video's `storage` record is updated when its tier changes. A dry run decides and
reports but changes nothing (and starts nothing).
Idempotent: a second run over the same facts decides KEEP for what the first one did.

Videos the owner archived, that an archive is moving (`archiving`), that are being restored for a
player (`restoring`), or whose record another request holds (its lease) are left alone. A run that
moves or drops objects holds the record's lease while it does (`services.storage.tier_claims`: the owner's
archive or a player's restore waits meanwhile) and writes the outcome with the `nightly` transition,
conditional on the version it holds; if it cannot take the lease the video is skipped this night.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from reelstack.clock import utc_now
from reelstack.domain.media.ffmpeg_ladder import PLAYLIST
from reelstack.domain.media.heat import master_without
from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.regeneration import RegenerationPolicy
from reelstack.domain.storage.roi import (
    Action,
    ObjectKind,
    RoiPolicy,
    StoredObject,
    VideoDecisions,
    VideoFacts,
    decide_video,
)
from reelstack.domain.storage.storage_costs import Codec
from reelstack.domain.storage.storage_tiers import Tier, state_of, tier_of
from reelstack.domain.storage.tier_transitions import TierEvent, lease_held
from reelstack.domain.videos import Playback, Video, VideoStatus
from reelstack.services.media.transcode import PlaylistStore, put_public_playlist
from reelstack.services.storage.regeneration import Regenerator
from reelstack.services.storage.tier_claims import StorageRecords, TierClaims, run_held

if TYPE_CHECKING:  # numpy: imported when a forecast runs (the tiering image has it, the shared layer not)
    from reelstack.domain.storage.play_history import PlayHistory

OWNER_ARCHIVE = "archived by its owner"
EFFICIENT_SUFFIXES = {"-hevc": Codec.HEVC, "-av1": Codec.AV1}
Forecast = Callable[["PlayHistory"], tuple[float, float]]  # a video's play history -> plays in (7 d, 30 d)


class StoredInfo(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def storage_class(self) -> str: ...
    @property
    def last_modified(self) -> datetime | None: ...


class Storage(PlaylistStore, Protocol):
    def list_objects(self, prefix: str) -> Sequence[StoredInfo]: ...
    def set_storage_class(self, key: str, storage_class: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def read(self, key: str) -> bytes: ...
    def restore_state(self, key: str) -> Any: ...
    def request_restore(self, key: str, days: int, tier: str) -> None: ...


class Videos(StorageRecords, Protocol):
    """The video records (`adapters.repositories.Repositories`): tier changes are conditional writes."""


class DayPlays(Protocol):
    @property
    def plays(self) -> int: ...
    @property
    def watched_ms(self) -> int: ...


class PlayStats(Protocol):
    """The daily play stats (`adapters.engagement.play_daily_stats.DailyStats`)."""

    def series(self, video_id: str, days: int) -> Sequence[DayPlays]: ...


class LikeCounts(Protocol):
    """The durable like count (`adapters.engagement.like_store.LikeStore`)."""

    def count(self, video_id: str) -> int: ...


class Predictor(Protocol):
    """The trained play predictor (`adapters.storage.play_predictor.PlayPredictor`)."""

    def expected(self, features: Any, horizon: int) -> Any: ...


class ReencodeStart(Protocol):
    """What `start_reencode` answers: the execution's name, and False when it already existed."""

    @property
    def execution_name(self) -> str: ...
    @property
    def started(self) -> bool: ...


StartReencode = Callable[[str, Codec], ReencodeStart]


@dataclass
class TieringOutcome:
    """What one video's run decided and did (the report's row)."""

    video_id: str
    skipped: str = ""  # why the video was left alone ("" = decided)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    moved_objects: int = 0
    dropped_objects: int = 0
    reencode: bool = False
    reencode_execution: str = ""  # the heat execution's name ("" = none started: dry run, KEEP, no hook)
    reencode_started: bool | None = None  # True: started by this run; False: it already existed
    tier: str = ""
    forecast: str = ""  # which forecast predicted the plays ("decay", or "model <artifact>")
    predicted_plays: dict[str, float] = field(default_factory=dict)  # {"7d": ..., "30d": ...}
    regeneration: dict[str, Any] | None = None  # reclaimed rungs: made again, restoring, or not yet
    reencode_compute_usd: float = 0.0  # the re-encode this run started: its compute (the budget's spend)
    uploads_twins_usd: float = 0.0  # a video on its first night: what its twins would cost (the budget)

    def to_dict(self) -> dict[str, Any]:
        return {
            "regeneration": self.regeneration,
            "video_id": self.video_id,
            "skipped": self.skipped,
            "decisions": self.decisions,
            "moved_objects": self.moved_objects,
            "dropped_objects": self.dropped_objects,
            "reencode": self.reencode,
            "reencode_execution": self.reencode_execution,
            "reencode_started": self.reencode_started,
            "tier": self.tier,
            "forecast": self.forecast,
            "predicted_plays": self.predicted_plays,
            "reencode_compute_usd": self.reencode_compute_usd,
            "uploads_twins_usd": self.uploads_twins_usd,
        }


def decay_forecast(history: PlayHistory) -> tuple[float, float]:
    """The exponential-decay baseline (`domain.storage.play_history`) for the next 7 and 30 days (it reads the
    daily plays only)."""
    from reelstack.domain.storage.play_history import exponential_decay

    row, upload, day = history.as_matrix()
    return float(exponential_decay(row, upload, day, 7)[0]), float(exponential_decay(row, upload, day, 30)[0])


@dataclass(frozen=True)
class ModelForecast:
    """The trained predictor as a forecast: the expected plays (`expected`, the median calibrated to the
    mean: costs add up over videos, so they need means) on the history's features, per horizon."""

    predictor: Predictor
    name: str = "model"  # what report rows say (wiring: "model <artifact key>")

    def __call__(self, history: PlayHistory) -> tuple[float, float]:
        features = history.features()[None, :]
        return (
            float(self.predictor.expected(features, 7)[0]),
            float(self.predictor.expected(features, 30)[0]),
        )


def forecast_name(forecast: Forecast) -> str:
    """What a report row calls the forecast: "decay", a `ModelForecast`'s name, else the callable's."""
    if forecast is decay_forecast:
        return "decay"
    return str(getattr(forecast, "name", None) or getattr(forecast, "__name__", type(forecast).__name__))


def completion_rate(series: Sequence[DayPlays], duration_s: float) -> float:
    """Watched ms over (plays x the video's duration in ms), clipped to [0, 1]; 0 without plays or duration."""
    plays = sum(day.plays for day in series)
    if plays <= 0 or duration_s <= 0:
        return 0.0
    watched = sum(day.watched_ms for day in series)
    return min(1.0, max(0.0, watched / (plays * duration_s * 1000.0)))


def play_history(series: Sequence[DayPlays], likes: int, duration_s: float) -> PlayHistory:
    """The forecast's input: daily plays (a day of 0 when there is none), likes, completion rate."""
    from reelstack.domain.storage.play_history import PlayHistory

    return PlayHistory(
        tuple(max(0, int(day.plays)) for day in series) or (0,),
        max(0, int(likes)),
        completion_rate(series, duration_s),
    )


def _numbers(numbers: Mapping[str, float]) -> dict[str, float | None]:
    """A decision's numbers for the JSON report (an infinite one, e.g. a break-even never reached, is null)."""
    return {name: float(value) if math.isfinite(value) else None for name, value in numbers.items()}


def _days_between(earlier: datetime | None, now: datetime) -> float:
    if earlier is None:
        return 0.0
    moment = earlier if earlier.tzinfo else earlier.replace(tzinfo=UTC)
    return max(0.0, (now - moment).total_seconds() / 86400)


def stored_objects(video: Video, listed: Sequence[StoredInfo], now: datetime) -> tuple[StoredObject, ...]:
    """S3 objects -> the original and one `StoredObject` per rendition prefix (see the module docstring)."""
    heights = {
        str(r.get("name")): int(r.get("height") or 0)
        for r in (video.playback.renditions if video.playback else ())
    }
    groups: dict[str, list[StoredInfo]] = {}
    result: list[StoredObject] = []
    prefix = f"renditions/{video.video_id}/"
    for item in listed:
        if item.key == video.original_key:
            result.append(
                StoredObject(
                    item.key, ObjectKind.ORIGINAL, item.size, StorageClass(item.storage_class),
                    _days_between(item.last_modified, now),
                )
            )  # fmt: skip
        elif item.key.startswith(prefix) and "/" in item.key[len(prefix) :]:
            name = item.key[len(prefix) :].split("/", 1)[0]
            groups.setdefault(name, []).append(item)
    for name, items in sorted(groups.items()):
        classes = sorted({item.storage_class for item in items}, key=lambda c: StorageClass(c).coldness)
        suffix = next((s for s in EFFICIENT_SUFFIXES if name.endswith(s)), None)
        base = name[: -len(suffix)] if suffix else name
        result.append(
            StoredObject(
                key=f"{prefix}{name}/",
                kind=ObjectKind.EFFICIENT_RENDITION if suffix else ObjectKind.RENDITION,
                size_bytes=sum(item.size for item in items),
                storage_class=StorageClass(classes[0]),  # the warmest: a half-moved group moves again
                class_since_days=min(_days_between(item.last_modified, now) for item in items),
                rendition=base,
                height=heights.get(name, heights.get(base, 0)),
                codec=EFFICIENT_SUFFIXES[suffix] if suffix else Codec.AVC,
                objects=len(items),
            )
        )
    return tuple(result)


def tier_after(objects: Sequence[StoredObject], decisions: VideoDecisions) -> Tier:
    """The video's tier once the decisions are carried out (from its renditions' classes)."""
    targets = {d.key: d.target for d in decisions.storage}
    dropped = {d.key for d in decisions.reclaim if d.action is Action.DROP}
    classes = [
        targets.get(o.key, o.storage_class)
        for o in objects
        if o.kind is not ObjectKind.ORIGINAL and o.key not in dropped
    ]
    if any(not c.instant for c in classes):
        return Tier.COLD
    return Tier.HOT if all(c is StorageClass.STANDARD for c in classes) else Tier.WARM


class TieringService:
    def __init__(
        self,
        storage: Storage,
        videos: Videos,
        plays: PlayStats,
        *,
        likes: LikeCounts | None = None,
        prices: Prices | None = None,
        policy: RoiPolicy | None = None,
        forecast: Forecast = decay_forecast,
        start_reencode: StartReencode | None = None,
        regeneration: RegenerationPolicy | None = None,
        history_days: int = 60,
        forecast_days: int = 365,
        parallelism: int = 16,
        lease_seconds: float = 120.0,  # the page function runs 30 s at most
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.storage = storage
        self.videos = videos
        self.claims = TierClaims(videos, lease_seconds)
        self.plays = plays
        self.likes = likes
        self.prices = prices or Prices()
        self.policy = policy or RoiPolicy()
        self.forecast = forecast
        self.start_reencode = start_reencode
        self.regenerator = Regenerator(storage, self.prices, self.policy, start_reencode, regeneration)
        self.history_days = history_days
        self.forecast_days = max(forecast_days, history_days)
        self.parallelism = parallelism
        self.clock = clock

    def history(self, video: Video, now: datetime) -> PlayHistory:
        """The video's `PlayHistory` since publication (at most `forecast_days`; see the module docstring)."""
        age = _days_between(self._published(video), now)
        days = max(1, min(self.forecast_days, int(age) + 1))
        series = self.plays.series(video.video_id, days)
        likes = self.likes.count(video.video_id) if self.likes is not None else 0
        duration = float(video.playback.duration_s if video.playback else 0.0)
        return play_history(series, likes, duration)

    def facts(self, video: Video, now: datetime, history: PlayHistory | None = None) -> VideoFacts:
        listed = [*self.storage.list_objects(f"renditions/{video.video_id}/")]
        if video.original_key:
            listed += [
                o for o in self.storage.list_objects(video.original_key) if o.key == video.original_key
            ]
        age = _days_between(self._published(video), now)
        history = history or self.history(video, now)
        predicted_7d, predicted_30d = self.forecast(history)
        series = history.daily_plays[-self.history_days :]
        played = [index for index, plays in enumerate(series) if plays > 0]
        return VideoFacts(
            video_id=video.video_id,
            age_days=age,
            duration_s=float(video.playback.duration_s if video.playback else 0.0),
            objects=stored_objects(video, listed, now),
            predicted_plays_7d=predicted_7d,
            predicted_plays_30d=predicted_30d,
            recent_daily_plays=tuple(float(p) for p in series[-30:]),
            last_played_days_ago=float(len(series) - 1 - played[-1]) if played else None,
        )

    @staticmethod
    def _published(video: Video) -> datetime:
        return datetime.fromisoformat((video.published_at or video.created_at).replace("Z", "+00:00"))

    def run(self, video: Video, dry_run: bool = False) -> TieringOutcome:
        outcome = TieringOutcome(video.video_id)
        if video.status != VideoStatus.PUBLISHED:
            outcome.skipped = f"status {video.status.value}"
            return outcome
        current = tier_of(video.storage)
        now = self.clock()
        if current in (Tier.ARCHIVING, Tier.RESTORING):
            outcome.skipped = current.value
            return outcome
        if video.storage is not None and video.storage.reason == OWNER_ARCHIVE:
            outcome.skipped = OWNER_ARCHIVE
            return outcome
        if lease_held(state_of(video.storage), now):
            outcome.skipped = "tier change in progress"
            return outcome
        facts = self.facts(video, now)
        decisions = decide_video(facts, self.prices, self.policy)
        outcome.forecast = forecast_name(self.forecast)
        outcome.predicted_plays = {"7d": facts.predicted_plays_7d, "30d": facts.predicted_plays_30d}
        outcome.decisions = [
            *(
                {"key": d.key, "action": d.action.value, "reason": d.reason, "numbers": _numbers(d.numbers)}
                for d in decisions.reclaim
            ),
            {
                "key": "reencode",
                "action": decisions.reencode.action.value,
                "reason": decisions.reencode.reason,
                "numbers": _numbers(decisions.reencode.numbers),
            },
            *(
                {
                    "key": d.key,
                    "action": d.action.value,
                    "from": d.current.value,
                    "to": d.target.value,
                    "reason": d.reason,
                    "numbers": _numbers(d.numbers),
                }
                for d in decisions.storage
            ),
        ]
        twins_usd = float(decisions.reencode.numbers.get("compute", 0.0))
        if facts.age_days < 1:  # published within the day: its twins enter the re-encode budget
            outcome.uploads_twins_usd = twins_usd
        tier = tier_after(facts.objects, decisions)
        outcome.tier = tier.value
        outcome.reencode = decisions.reencode.action is Action.REENCODE
        existing = {o.key for o in facts.objects}
        drops = [d.key for d in decisions.reclaim if d.action is Action.DROP and d.key in existing]
        if not drops:
            outcome.regeneration = self.regenerator.consider(video, facts, dry_run)
            if outcome.regeneration and outcome.regeneration["action"] != "keep_missing" and outcome.reencode:
                # The ladder first: twins are made of the published rungs, so an HEVC re-encode waits
                # for the regenerated ones (and one workflow at a time rewrites the master).
                outcome.reencode = False
                outcome.regeneration["reencode"] = "postponed until the reclaimed rungs are made again"
        if dry_run:
            return outcome
        moves = [d for d in decisions.storage if d.action is Action.MOVE and d.key in existing]
        if drops or moves or tier is not current:
            state = state_of(video.storage)
            held = self.claims.hold(video.video_id, state, now)
            if held is None:
                outcome.skipped = "tier change in progress"
                return outcome
            done: dict[str, Any] = {}
            run_held(
                self.claims,
                video.video_id,
                held,
                self.clock,
                lambda: done.update(self._carry_out(video, drops, moves)),
            )
            outcome.dropped_objects, outcome.moved_objects = done["dropped"], done["moved"]
            fields = {"playback": done["playback"].to_dict()} if done["playback"] is not None else {}
            reason = held.reason
            if tier is not current:
                reason = "; ".join(sorted({d.reason for d in moves})) or "nightly ROI decision"
            self.claims.move(
                video.video_id,
                held,
                TierEvent.NIGHTLY,
                now,
                hold=False,
                target=tier,
                fields=fields,
                reason=reason[:500],
            )
        if outcome.reencode and self.start_reencode is not None:
            started = self.start_reencode(video.video_id, decisions.reencode.codec)
            outcome.reencode_execution, outcome.reencode_started = started.execution_name, started.started
            if started.started:
                outcome.reencode_compute_usd = twins_usd
        return outcome

    def _carry_out(self, video: Video, drops: Sequence[str], moves: Sequence[Any]) -> dict[str, Any]:
        """Drop (unlisted from the master first), then move; what was done."""
        playback = self._unlist(video, drops) if drops else None
        dropped = sum(self.storage.delete_prefix(key) for key in drops)
        keys = [
            (item.key, d.target.value)
            for d in moves
            for item in self.storage.list_objects(d.key)
            if item.storage_class != d.target.value and (d.key.endswith("/") or item.key == d.key)
        ]
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(keys)))) as pool:
            list(pool.map(lambda pair: self.storage.set_storage_class(*pair), keys))
        return {"playback": playback, "dropped": dropped, "moved": len(keys)}

    def _unlist(self, video: Video, dropped: Sequence[str]) -> Playback | None:
        """Take the reclaimed renditions out of the master playlist before their objects go, so a
        player is never offered a variant that is not there; the playback record without them.
        (Should the deletes then fail, the next night finds the groups unlisted and drops them again.)"""
        if video.playback is None:
            return None
        names = {key.rstrip("/").rsplit("/", 1)[-1] for key in dropped}
        folder = posixpath.dirname(video.playback.master_key)
        uris = {
            posixpath.relpath(str(r["playlist_key"]), folder)
            for r in video.playback.renditions
            if r.get("name") in names and r.get("playlist_key")
        }
        uris |= {f"{name}/{PLAYLIST}" for name in names}
        master = self.storage.read(video.playback.master_key).decode("utf-8")
        trimmed = master_without(master, uris)
        if trimmed != master:
            put_public_playlist(self.storage, video.playback.master_key, trimmed)
        kept = tuple(r for r in video.playback.renditions if r.get("name") not in names)
        # The H.264 rungs go on the record as reclaimed: a regeneration makes them again if plays return
        # (an HEVC twin needs none: the heat decision re-encodes it if the video heats up again).
        reclaimed = {str(r["name"]): r for r in video.playback.reclaimed}
        for r in video.playback.renditions:
            if r.get("name") in names and r.get("codec", "h264") == "h264":
                reclaimed[str(r["name"])] = {
                    "name": r["name"],
                    "width": r.get("width"),
                    "height": r.get("height"),
                }
        return replace(video.playback, renditions=kept, reclaimed=tuple(reclaimed.values()))
