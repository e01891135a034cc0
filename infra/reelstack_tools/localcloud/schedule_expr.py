"""EventBridge schedule expressions: `rate(...)`, `cron(...)` and (Scheduler) `at(...)`.

`cron(minutes hours day-of-month month day-of-week year)` as EventBridge reads it: one of
day-of-month / day-of-week must be `?`; day-of-week runs 1-7 from SUN; `*`, lists, ranges, steps and
month/day names are supported; `L`, `W` and `#` are not (a clear error says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class ScheduleError(ValueError):
    """The expression is not a valid (or not a locally supported) schedule expression."""


_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: index + 1
    for index, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {name: index + 1 for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (  # name, low, high, names
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, after: datetime, start: datetime | None = None) -> datetime:
        """The first tick `start + k * rate` strictly after `after` (k >= 1); start defaults to `after`."""
        start = after if start is None else start
        elapsed = max((after - start).total_seconds(), 0)
        ticks = int(elapsed // self.seconds) + 1
        return start + timedelta(seconds=ticks * self.seconds)


@dataclass(frozen=True)
class At:
    when: datetime

    def next_after(self, after: datetime, start: datetime | None = None) -> datetime | None:
        return self.when if self.when > after else None


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: `?`
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None: `?`
    years: frozenset[int] | None  # None: every year
    timezone: str = "UTC"

    def next_after(self, after: datetime, start: datetime | None = None) -> datetime | None:
        """The first firing time strictly after `after` (an aware datetime), or None if there is none."""
        zone = ZoneInfo(self.timezone)
        moment = after.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
        while moment.year <= 2199:
            if self.years is not None and moment.year not in self.years:
                moment = datetime(moment.year + 1, 1, 1)
            elif moment.month not in self.months:
                moment = _first_of_next_month(moment)
            elif not self._day_matches(moment):
                moment = datetime(moment.year, moment.month, moment.day) + timedelta(days=1)
            elif moment.hour not in self.hours:
                moment = moment.replace(minute=0) + timedelta(hours=1)
            elif moment.minute not in self.minutes:
                moment += timedelta(minutes=1)
            else:
                return moment.replace(tzinfo=zone).astimezone(UTC)
        return None

    def _day_matches(self, moment: datetime) -> bool:
        if self.days_of_month is not None:
            return moment.day in self.days_of_month
        assert self.days_of_week is not None
        return (moment.weekday() + 1) % 7 + 1 in self.days_of_week


Schedule = Rate | Cron | At


def parse(expression: str, timezone: str = "UTC") -> Schedule:
    text = expression.strip()
    if text.startswith("rate("):
        return _parse_rate(text)
    if text.startswith("cron(") and text.endswith(")"):
        return _parse_cron(text[5:-1], timezone)
    if text.startswith("at(") and text.endswith(")"):
        try:
            local = datetime.strptime(text[3:-1].strip(), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise ScheduleError(f"at() needs yyyy-mm-ddThh:mm:ss: {expression!r}") from None
        return At(local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC))
    raise ScheduleError(f"not a schedule expression (rate(...), cron(...) or at(...)): {expression!r}")


def _parse_rate(text: str) -> Rate:
    match = _RATE.match(text)
    if not match:
        raise ScheduleError(f"rate expressions look like rate(5 minutes): {text!r}")
    value, unit = int(match.group(1)), match.group(2)
    singular = unit.rstrip("s")
    if singular not in _UNITS or value <= 0:
        raise ScheduleError(f"rate needs a positive value and minute(s), hour(s) or day(s): {text!r}")
    if (value == 1) != (unit == singular):
        raise ScheduleError(f"use the singular unit for 1 and the plural otherwise: {text!r}")
    return Rate(value * _UNITS[singular])


def _parse_cron(body: str, timezone: str) -> Cron:
    parts = body.split()
    if len(parts) != 6:
        raise ScheduleError(
            f"cron needs 6 fields (minutes hours day-of-month month day-of-week year): {body!r}"
        )
    values: list[frozenset[int] | None] = []
    for text, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        values.append(_parse_field(text, name, low, high, names))
    minutes, hours, days_of_month, months, days_of_week, years = values
    if (days_of_month is None) == (days_of_week is None):
        raise ScheduleError(f"exactly one of day-of-month and day-of-week must be '?': {body!r}")
    assert minutes is not None and hours is not None and months is not None
    if parts[5] == "*":
        years = None
    return Cron(minutes, hours, days_of_month, months, days_of_week, years, timezone)


def _parse_field(text: str, name: str, low: int, high: int, names: dict[str, int]) -> frozenset[int] | None:
    if text == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise ScheduleError(f"'?' is only allowed in day-of-month and day-of-week, not {name}")
        return None
    if any(mark in text.upper() for mark in ("L", "W", "#")) and not _is_name_list(text, names):
        raise ScheduleError(f"{name}: L, W and # are not supported by the local scheduler: {text!r}")
    result: set[int] = set()
    for item in text.split(","):
        spec, _, step_text = item.partition("/")
        step = _number(step_text, name, 1, high) if step_text else 1
        if spec == "*":
            first, last = low, high
        elif "-" in spec:
            first_text, last_text = spec.split("-", 1)
            first, last = (
                _value(first_text, name, low, high, names),
                _value(last_text, name, low, high, names),
            )
            if first > last:
                raise ScheduleError(f"{name}: wrap-around ranges are not supported: {item!r}")
        else:
            first = _value(spec, name, low, high, names)
            last = high if step_text else first
        result.update(range(first, last + 1, step))
    return frozenset(result)


def _is_name_list(text: str, names: dict[str, int]) -> bool:
    words = re.findall(r"[A-Za-z]+", text)
    return bool(words) and all(word.upper() in names for word in words)


def _value(text: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    return _number(text, name, low, high)


def _number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit():
        raise ScheduleError(f"{name}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ScheduleError(f"{name}: {value} is outside {low}-{high}")
    return value


def _first_of_next_month(moment: datetime) -> datetime:
    return (
        datetime(moment.year + 1, 1, 1) if moment.month == 12 else datetime(moment.year, moment.month + 1, 1)
    )
