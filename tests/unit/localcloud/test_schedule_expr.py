"""EventBridge rate, cron and at expressions, and when they fire next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reelstack_tools.localcloud.schedule_expr import At, Cron, Rate, ScheduleError, parse


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_rates() -> None:
    assert parse("rate(1 minute)") == Rate(60)
    assert parse("rate(10 minutes)") == Rate(600)
    assert parse("rate(2 hours)") == Rate(7200)
    assert parse("rate(1 day)") == Rate(86400)
    # GIVEN a start and a time after two ticks THEN the next tick is the third
    start = at("2024-01-01T00:00:00")
    assert Rate(600).next_after(at("2024-01-01T00:25:00"), start) == at("2024-01-01T00:30:00")


@pytest.mark.parametrize(
    "bad", ["rate(1 minutes)", "rate(5 minute)", "rate(0 hours)", "rate(5 weeks)", "rate(five minutes)"]
)
def test_bad_rates_are_rejected(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse(bad)


def test_daily_cron() -> None:
    # GIVEN every day at 03:00 UTC WHEN asked after 03:00 THEN the next is tomorrow 03:00
    cron = parse("cron(0 3 * * ? *)")
    assert isinstance(cron, Cron)
    assert cron.next_after(at("2024-03-10T03:00:00")) == at("2024-03-11T03:00:00")
    assert cron.next_after(at("2024-03-10T02:59:30")) == at("2024-03-10T03:00:00")


def test_weekday_ranges_names_steps_and_lists() -> None:
    # GIVEN every 15 minutes from 9 to 17 on weekdays (SUN=1 ... SAT=7 in EventBridge)
    cron = parse("cron(0/15 9-17 ? * MON-FRI *)")
    # WHEN asked on a Saturday evening THEN it fires Monday 09:00
    assert cron.next_after(at("2024-03-09T18:00:00")) == at("2024-03-11T09:00:00")
    assert cron.next_after(at("2024-03-11T09:00:00")) == at("2024-03-11T09:15:00")
    # numeric day-of-week 1 is Sunday; months by name; a year list
    assert parse("cron(30 0 ? * 1 *)").next_after(at("2024-03-10T00:30:00")) == at("2024-03-17T00:30:00")
    assert parse("cron(0 0 1 JAN,JUL ? 2025)").next_after(at("2024-03-01T00:00:00")) == at(
        "2025-01-01T00:00:00"
    )
    assert parse("cron(0 0 1 1 ? 2020)").next_after(at("2024-01-01T00:00:00")) is None


def test_timezones() -> None:
    # GIVEN 09:00 in Berlin (UTC+1 in winter) THEN it fires at 08:00 UTC
    cron = parse("cron(0 9 * * ? *)", timezone="Europe/Berlin")
    assert cron.next_after(at("2024-01-15T00:00:00")) == at("2024-01-15T08:00:00")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("cron(0 3 * * * *)", "must be '\\?'"),
        ("cron(0 3 ? * ? *)", "must be '\\?'"),
        ("cron(0 3 L * ? *)", "not supported"),
        ("cron(0 3 ? * 2#1 *)", "not supported"),
        ("cron(0 3 15W * ? *)", "not supported"),
        ("cron(61 3 * * ? *)", "outside"),
        ("cron(0 3 * *)", "6 fields"),
        ("every day", "not a schedule expression"),
    ],
)
def test_bad_crons_are_rejected_clearly(bad: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse(bad)


def test_one_time_schedules() -> None:
    schedule = parse("at(2030-05-01T10:00:00)")
    assert schedule == At(at("2030-05-01T10:00:00"))
    assert schedule.next_after(at("2030-05-01T10:00:00"), at("2030-01-01T00:00:00")) is None
