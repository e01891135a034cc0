"""The scheduler's loop against a stand-in clock and delivery (no sockets)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from reelstack_tools.localcloud.scheduler import ScheduledTarget, Scheduler, ScheduleSpec

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
EVERY_MINUTE = ScheduleSpec(
    "every-minute", "Every", "rate(1 minute)", (ScheduledTarget("arn:aws:lambda:us-east-1:1:function:F"),)
)


def test_ticks_missed_while_the_machine_slept_are_not_fired_in_a_burst() -> None:
    # GIVEN a rate(1 minute) schedule started at T0, and a clock that then jumps 10 minutes (a suspend)
    readings = iter([T0])

    def clock() -> datetime:
        return next(readings, T0 + timedelta(minutes=10))

    delivered: list[dict[str, Any]] = []
    first = threading.Event()

    def deliver(arn: str, body: str, wait: bool) -> dict[str, Any]:
        delivered.append({"arn": arn})
        first.set()
        return {"status": "sent"}

    scheduler = Scheduler([EVERY_MINUTE], deliver, clock)
    # WHEN the scheduler runs
    scheduler.start()
    try:
        assert first.wait(60)  # a thread of this process: prompt, but the CI machine is loaded
        time.sleep(0.3)
    finally:
        scheduler.stop()
    # THEN the overdue tick fires once and the next one waits for its time, as EventBridge does
    assert len(delivered) == 1
