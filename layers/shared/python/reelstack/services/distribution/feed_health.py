"""The feed's degradation switches, fed by measured signals (`domain.distribution.degradation`).

Each API process keeps its own switches and measures their signals at most every `probe_s`:
- `search_unhealthy`: 100 - OpenSearch's active shards percent (on at 10: below 90 %), or the
  health call failing; a failed feed search also turns it on at once (`report`);
- `realtime_stale`: the real-time path's lag in seconds (on at 5), measured in Redis by the workers;
- `overload`: feed requests per second across the fleet (a Redis counter per second), on at the
  settings' limit;
- `ranker_down`: reported by the feed (the endpoint failed or overran its budget).
A switch comes back off only when its signal has stayed clear for its hold (hysteresis). Every
change is logged and counted as the metric `FeedDegradation` with the dimension `level`, and
`FeedDegradationActive` (1 on / 0 off) is emitted with it; the template alarms on them.
`snapshot()` is the operator page's view: every switch, its last signal and its thresholds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from reelstack.domain.distribution.degradation import (
    LEVELS,
    HealthSnapshot,
    Hysteresis,
    SwitchReport,
    SwitchState,
    feed_mode,
    step,
)
from reelstack.errors import ReelstackError
from reelstack.observability import logger

NAMESPACE = "reelstack"  # = observability.metrics' namespace

Signal = Callable[[], float | None]  # a measurement; None: the probe failed (counts as bad)


@dataclass(frozen=True)
class HealthRules:
    search: Hysteresis = field(default_factory=lambda: Hysteresis(enter=10.0, leave=0.0, hold_s=10.0))
    realtime: Hysteresis = field(default_factory=lambda: Hysteresis(enter=5.0, leave=2.0, hold_s=10.0))
    overload: Hysteresis = field(default_factory=lambda: Hysteresis(enter=200.0, leave=150.0, hold_s=10.0))
    ranker: Hysteresis = field(default_factory=lambda: Hysteresis(enter=1.0, leave=0.0, hold_s=10.0))
    probe_s: float = 2.0


class FeedHealth:
    def __init__(
        self,
        *,
        search_gap: Signal,
        realtime_lag: Signal,
        load: Signal,
        rules: HealthRules | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = rules or HealthRules()
        self.clock = clock
        self._signals: dict[str, Signal] = {
            "search_unhealthy": search_gap,
            "realtime_stale": realtime_lag,
            "overload": load,
        }
        self._rule = {
            "search_unhealthy": self.rules.search,
            "realtime_stale": self.rules.realtime,
            "overload": self.rules.overload,
            "ranker_down": self.rules.ranker,
        }
        self._state = {level: SwitchState() for level in LEVELS}
        self._probed: dict[str, float] = {}
        self._last: dict[str, tuple[float | None, float]] = {}  # level -> (signal, when)
        self._changed: dict[str, float] = {}
        self._lock = threading.Lock()

    def _measure(self, level: str) -> bool:
        now = self.clock()
        with self._lock:
            due = now - self._probed.get(level, -1e18) >= self.rules.probe_s
            if due:
                self._probed[level] = now
        if due:
            try:
                value = self._signals[level]()
            except ReelstackError as error:
                logger.warning("feed: a health probe failed", extra={"level": level, "error": str(error)})
                value = None
            self._apply(level, value, now)
        return self._state[level].on

    def _apply(self, level: str, value: float | None, now: float) -> None:
        with self._lock:
            moved = step(self._state[level], value, now, self._rule[level])
            self._state[level] = moved.state
            self._last[level] = (value, now)
            if moved.changed:
                self._changed[level] = now
        if moved.changed:
            on = moved.state.on
            logger.warning(
                "feed degradation " + ("on" if on else "off"), extra={"level": level, "signal": value}
            )
            for name, count in (("FeedDegradation", 1), ("FeedDegradationActive", 1 if on else 0)):
                with single_metric(
                    name=name, unit=MetricUnit.Count, value=count, namespace=NAMESPACE
                ) as metric:
                    metric.add_dimension(name="level", value=level)

    def search_unhealthy(self) -> bool:
        return self._measure("search_unhealthy")

    def realtime_stale(self) -> bool:
        return self._measure("realtime_stale")

    def overloaded(self) -> bool:
        return self._measure("overload")

    def try_ranker(self) -> bool:
        """A circuit breaker: while `ranker_down` is on, one request per probe interval tries the ranker
        (its success starts the hold that switches it off); the others go straight to the fallback."""
        if not self._state["ranker_down"].on:
            return True
        now = self.clock()
        with self._lock:
            if now - self._probed.get("ranker_down", -1e18) < self.rules.probe_s:
                return False
            self._probed["ranker_down"] = now
        return True

    def report(self, level: str, failed: bool) -> None:
        """A failure seen while serving (a search that failed, the ranker down or late) counts at once, as
        a measurement: the next probe of that signal waits its interval."""
        now = self.clock()
        with self._lock:
            self._probed[level] = now
        self._apply(level, None if failed else 0.0, now)

    def snapshot(self) -> HealthSnapshot:
        """Measure the signals that are due (as a feed request would), then report every switch."""
        for level in self._signals:
            self._measure(level)
        now = self.clock()
        with self._lock:
            reports = []
            for level in LEVELS:
                signal, measured = self._last.get(level, (None, None))
                changed = self._changed.get(level)
                reports.append(
                    SwitchReport(
                        level=level,
                        on=self._state[level].on,
                        signal=signal,
                        measured_age_s=None if measured is None else max(0.0, now - measured),
                        changed_age_s=None if changed is None else max(0.0, now - changed),
                        rule=self._rule[level],
                    )
                )
        on = {report.level: report.on for report in reports}
        return HealthSnapshot(feed_mode(on), tuple(reports))
