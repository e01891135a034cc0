"""The feed's degradation switches: each one turned on by a measured signal and off again when it
clears, with hysteresis so it does not flap (pure; the signals are measured by adapters).

A switch turns ON when its signal is at or above `enter` (or the signal is unknown: a probe that
failed counts as bad), and OFF only when the signal has stayed at or below `leave` for `hold_s`
seconds. `leave < enter`, so a signal hovering at the threshold keeps the switch where it is.

The levels (settings give the numbers):
- `realtime_stale`: the real-time path's lag in seconds (enter 5) -> offline interests, `mode: offline`;
- `search_unhealthy`: 100 - OpenSearch's active shards percent (enter 10, i.e. below 90 %), or
  unreachable / timing out -> the cached hot list, `mode: popular`;
- `overload`: feed requests in flight in this process, or per second across the fleet
  (enter at the limit) -> 20 items instead of 50, non-core routes 503 with Retry-After;
- `ranker_down`: the ranker failed or overran its budget -> candidates in fallback order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reelstack.domain.distribution.feed import FeedMode

LEVELS = ("realtime_stale", "search_unhealthy", "overload", "ranker_down")


@dataclass(frozen=True)
class Hysteresis:
    enter: float
    leave: float
    hold_s: float = 10.0

    def __post_init__(self) -> None:
        if self.leave > self.enter or self.hold_s < 0:
            raise ValueError("a switch needs leave <= enter and a hold of 0 s or more")


@dataclass(frozen=True)
class SwitchState:
    """A switch's position, since when, and when its signal was last seen not clear (above `leave`)."""

    on: bool = False
    since_s: float = 0.0
    unclear_s: float = 0.0


@dataclass(frozen=True)
class Step:
    state: SwitchState
    changed: bool


def step(state: SwitchState, signal: float | None, now_s: float, rule: Hysteresis) -> Step:
    """The switch after one measurement (`signal` None: the probe failed, which counts as bad). It turns
    off at a clear measurement once no measurement was unclear for `hold_s` (a process that measured
    nothing meanwhile, e.g. an idle one, counts the quiet time as clear)."""
    bad = signal is None or signal >= rule.enter
    clear = signal is not None and signal <= rule.leave
    if not state.on:
        return Step(SwitchState(True, now_s, now_s), True) if bad else Step(state, False)
    if not clear:
        return Step(SwitchState(True, state.since_s, now_s), False)
    if now_s - state.unclear_s >= rule.hold_s:
        return Step(SwitchState(False, now_s, state.unclear_s), True)
    return Step(state, False)


@dataclass(frozen=True)
class SwitchReport:
    """One switch as this process sees it; ages in seconds before the snapshot."""

    level: str
    on: bool
    signal: float | None  # the last measurement; None: never measured, or its probe failed
    measured_age_s: float | None  # None: not measured by this process yet
    changed_age_s: float | None  # when it last moved; None: not since this process started
    rule: Hysteresis

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "on": self.on,
            "signal": self.signal,
            "measured_age_s": _rounded(self.measured_age_s),
            "changed_age_s": _rounded(self.changed_age_s),
            "enter": self.rule.enter,
            "leave": self.rule.leave,
            "hold_s": self.rule.hold_s,
        }


@dataclass(frozen=True)
class HealthSnapshot:
    """Every switch and the mode a feed page would be served in now (`degradation.feed_mode`)."""

    mode: str
    switches: tuple[SwitchReport, ...]

    def to_dict(self) -> dict[str, object]:
        active = [switch.level for switch in self.switches if switch.on]
        return {"mode": self.mode, "active": active, "switches": [s.to_dict() for s in self.switches]}


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def feed_mode(on: Mapping[str, bool]) -> str:
    """The mode a feed page is served in with these switches on (as `FeedService.page` chooses it):
    search unhealthy wins (the hot list needs no search), then stale real-time interests."""
    if on.get("search_unhealthy"):
        return FeedMode.POPULAR.value
    if on.get("realtime_stale"):
        return FeedMode.OFFLINE.value
    return FeedMode.PERSONALIZED.value
