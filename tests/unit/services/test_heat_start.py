"""The heat execution's name: one per video, codec and night, always a valid Step Functions name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from reelstack.services.media.heat_start import MAX_EXECUTION_NAME, heat_execution_name

NIGHT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
VALID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def test_the_name_is_video_codec_and_night() -> None:
    # GIVEN a video id WHEN named for its HEVC re-encode tonight THEN video, codec and UTC date
    assert heat_execution_name("0123abcd", "hevc", NIGHT) == "0123abcd-hevc-20261122"


def test_the_same_night_names_the_same_execution_and_the_next_night_another() -> None:
    # GIVEN a retry later the same night and a run the night after WHEN named THEN same, then different
    later = NIGHT.replace(hour=23, minute=59)
    assert heat_execution_name("v", "hevc", later) == heat_execution_name("v", "hevc", NIGHT)
    assert heat_execution_name("v", "hevc", NIGHT.replace(day=23)) != heat_execution_name("v", "hevc", NIGHT)


def test_a_long_or_odd_id_still_gives_a_valid_name() -> None:
    # GIVEN an id too long and with characters Step Functions refuses WHEN named
    name = heat_execution_name("a.b/c:" + "x" * 100, "hevc", NIGHT)
    # THEN it is valid, at most 80 characters, and still ends with codec and night
    assert VALID.match(name) and len(name) == MAX_EXECUTION_NAME
    assert name.startswith("a-b-c-x") and name.endswith("-hevc-20261122")
