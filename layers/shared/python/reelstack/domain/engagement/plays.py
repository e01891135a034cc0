"""Plays: when a viewing counts, the queued form of a counted play, interest decay, daily aggregation.

The counting rule (issue 4, "at least 3 s or half the video"): a play counts once the viewer has
watched `threshold_ms = min(min_watched_ms, ceil(duration_ms * min_fraction))`, whichever comes
first -- 3 s for any video of 6 s or more, half of a shorter one (a 4 s clip counts at 2 s). A video
of unknown duration uses `min_watched_ms` alone. A viewer counts at most once per video per
`dedup_window_s` (sliding: the window opens at the viewer's last *counted* play); the window itself
is kept in Redis (`adapters.engagement.play_stats`), this module only decides the threshold.

Interest tags decay exponentially with a half-life: a score `s` written at `t0` is worth
`s * 0.5 ** ((t - t0) / half_life_s)` at `t`. Stores keep `(score, t0)` and apply `bump` on write.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from reelstack.errors import InvalidRequest

MAX_WATCHED_MS = 24 * 3600 * 1000  # a beacon claiming more than a day of watching is malformed
_SESSION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MESSAGE_KIND = "play"


@dataclass(frozen=True)
class PlayPolicy:
    min_watched_ms: int = 3000
    min_fraction: float = 0.5
    dedup_window_s: int = 3600

    def __post_init__(self) -> None:
        if self.min_watched_ms < 0 or not 0.0 <= self.min_fraction <= 1.0 or self.dedup_window_s <= 0:
            raise ValueError(f"invalid play policy {self}")


@dataclass(frozen=True)
class PlayEvent:
    """One play beacon, as the API accepted it: who watched which video for how long, and when."""

    video_id: str
    viewer: str
    session_id: str
    watched_ms: int
    at: datetime
    region: str | None = None  # ISO 3166 alpha-2 of the viewer, when the edge said

    @property
    def day(self) -> str:
        return day_of(self.at)


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_play")


def parse_play(video_id: str, viewer: str, body: Any, at: datetime) -> PlayEvent:
    """The request body `{session_id, watched_ms}` -> PlayEvent; anything else -> `invalid_play`."""
    if not isinstance(body, Mapping):
        raise _invalid("the body must be a JSON object {session_id, watched_ms}")
    session_id = body.get("session_id")
    if not isinstance(session_id, str) or not _SESSION_ID.match(session_id):
        raise _invalid("session_id must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    watched = body.get("watched_ms")
    if isinstance(watched, bool) or not isinstance(watched, int | float) or not math.isfinite(watched):
        raise _invalid("watched_ms must be a number of milliseconds")
    if not 0 <= watched <= MAX_WATCHED_MS:
        raise _invalid(f"watched_ms must be between 0 and {MAX_WATCHED_MS}")
    if not video_id or not viewer:
        raise _invalid("a play needs a video and a viewer")
    return PlayEvent(video_id, viewer, session_id, int(watched), at.astimezone(UTC))


def threshold_ms(duration_ms: int | None, policy: PlayPolicy) -> int:
    """How long a viewer must watch for the play to count (see the module docstring)."""
    if duration_ms is None or duration_ms <= 0:
        return policy.min_watched_ms
    return min(policy.min_watched_ms, math.ceil(duration_ms * policy.min_fraction))


def counts(event: PlayEvent, duration_ms: int | None, policy: PlayPolicy) -> bool:
    """Whether the viewing is long enough to count (the once-per-window rule is the store's)."""
    return event.watched_ms >= threshold_ms(duration_ms, policy)


def day_of(moment: datetime) -> str:
    """The UTC day "YYYY-MM-DD" a play is counted on."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


# -- the queued form of a counted play ---------------------------------------------------------------


def play_message(event: PlayEvent) -> dict[str, Any]:
    return {
        "kind": MESSAGE_KIND,
        "video_id": event.video_id,
        "viewer": event.viewer,
        "session_id": event.session_id,
        "watched_ms": event.watched_ms,
        "at": event.at.isoformat(timespec="milliseconds"),
        **({"region": event.region} if event.region else {}),
    }


def play_from_message(message: Any) -> PlayEvent:
    """The inverse of `play_message`; a malformed message raises `invalid_play` (a poison message)."""
    if not isinstance(message, Mapping) or message.get("kind") != MESSAGE_KIND:
        raise _invalid("not a play message")
    try:
        at = datetime.fromisoformat(str(message["at"]))
    except (KeyError, ValueError) as exc:
        raise _invalid("a play message needs an ISO 'at'") from exc
    if at.tzinfo is None:
        raise _invalid("a play message's 'at' needs a time zone")
    body = {"session_id": message.get("session_id"), "watched_ms": message.get("watched_ms")}
    play = parse_play(str(message.get("video_id") or ""), str(message.get("viewer") or ""), body, at)
    return replace(play, region=region_of(message.get("region")))


def region_of(value: Any) -> str | None:
    """An ISO 3166 alpha-2 region ("DE"), or None for anything else (a missing or odd header)."""
    text = str(value or "").strip().upper()
    return text if len(text) == 2 and text.isascii() and text.isalpha() else None


# -- interest decay ------------------------------------------------------------------------------------


def decay_factor(age_s: float, half_life_s: float) -> float:
    """What one unit of interest is worth `age_s` seconds later (1.0 for a non-positive age)."""
    if half_life_s <= 0:
        raise ValueError("half_life_s must be positive")
    return 1.0 if age_s <= 0 else 0.5 ** (age_s / half_life_s)


def decayed(score: float, written_at_s: float, now_s: float, half_life_s: float) -> float:
    """A score written at `written_at_s`, as it stands at `now_s`."""
    return score * decay_factor(now_s - written_at_s, half_life_s)


def bump(score: float, written_at_s: float, now_s: float, weight: float, half_life_s: float) -> float:
    """The new score after adding `weight` at `now_s` to a score written at `written_at_s`."""
    return decayed(score, written_at_s, now_s, half_life_s) + weight


def top_interests(
    stored: Mapping[str, tuple[float, float]], now_s: float, half_life_s: float, n: int
) -> list[tuple[str, float]]:
    """`{tag: (score, written_at_s)}` -> the n strongest tags now, strongest first (ties by name)."""
    scored = [(tag, decayed(score, at, now_s, half_life_s)) for tag, (score, at) in stored.items()]
    return sorted(scored, key=lambda item: (-item[1], item[0]))[: max(n, 0)]


# -- daily aggregation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyDelta:
    """What one batch adds to one video's stats of one day, and the messages it came from.

    `sources` are the ids of the messages folded in (sorted) and `watched` what each of them watched
    (same order), so a delta can be cut into parts (`split`) or lose messages applied before (`without`).
    A delta without `watched` (a seed written whole) is one indivisible unit.
    """

    video_id: str
    day: str
    plays: int
    watched_ms: int
    sources: tuple[str, ...]
    watched: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.watched and len(self.watched) != len(self.sources):
            raise ValueError("a delta needs one watched_ms per source message")

    def _of(self, keep: list[int]) -> DailyDelta:
        watched = tuple(self.watched[i] for i in keep)
        return replace(
            self, plays=len(keep), watched_ms=sum(watched),
            sources=tuple(self.sources[i] for i in keep), watched=watched,
        )  # fmt: skip

    def without(self, applied: Iterable[str]) -> DailyDelta | None:
        """The delta less the messages in `applied` (None when nothing is left)."""
        gone = set(applied)
        if not self.watched:
            return None if gone & set(self.sources) else self
        keep = [i for i, source in enumerate(self.sources) if source not in gone]
        return self._of(keep) if keep else None

    def split(self, most: int) -> list[DailyDelta]:
        """The delta in parts of at most `most` messages each (itself when it is small enough)."""
        if most <= 0:
            raise ValueError("a part holds at least one message")
        if len(self.sources) <= most or not self.watched:
            return [self]
        return [
            self._of(list(range(at, min(at + most, len(self.sources)))))
            for at in range(0, len(self.sources), most)
        ]


def aggregate(plays: Iterable[tuple[str, PlayEvent]]) -> list[DailyDelta]:
    """`(message id, counted play)` pairs -> one delta per (video, day), in (video, day) order.

    A message id seen twice in the batch (SQS may hand the same message over twice) counts once."""
    groups: dict[tuple[str, str], dict[str, PlayEvent]] = {}
    seen: set[str] = set()
    for source, play in plays:
        if source in seen:
            continue
        seen.add(source)
        groups.setdefault((play.video_id, play.day), {})[source] = play
    deltas = []
    for (video_id, day), members in sorted(groups.items()):
        sources = tuple(sorted(members))
        watched = tuple(members[source].watched_ms for source in sources)
        deltas.append(DailyDelta(video_id, day, len(sources), sum(watched), sources, watched))
    return deltas
