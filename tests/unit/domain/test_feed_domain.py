"""The feed's pure rules: candidates merged once with the best reason, exclusions, the fallback order,
author diversity and tag spread, the page limit, the cursor, and the degradation switches' hysteresis."""

from __future__ import annotations

import random

import pytest

from reelstack.domain.distribution.degradation import Hysteresis, SwitchState, step
from reelstack.domain.distribution.feed import (
    Candidate,
    Exclusions,
    FeedCursor,
    fallback_score,
    merge,
    parse_feed_limit,
    rerank,
    scaled,
)
from reelstack.errors import InvalidRequest


def cand(
    video: str, author: str = "a", source: str = "hot", tags: tuple[str, ...] = (), prior: float = 0.0
) -> Candidate:
    return Candidate(video, author, source, f"why {video}", tags, prior)


def test_a_video_offered_twice_appears_once_with_the_better_reason_and_prior() -> None:
    # GIVEN the same video from the hot list and as a neighbour of a like
    hot = [cand("v1", source="hot", prior=0.9), cand("v2")]
    neighbours = [cand("v1", source="neighbour", prior=0.2)]
    # WHEN merged THEN it is there once, with the neighbour's reason and the hot list's prior
    merged = merge([hot, neighbours], Exclusions("viewer"))
    assert [c.video_id for c in merged] == ["v1", "v2"]
    assert merged[0].source == "neighbour" and merged[0].prior == 0.9


def test_own_seen_not_interested_and_muted_authors_never_get_in() -> None:
    offered = [cand("own", author="me"), cand("seen"), cand("nope"), cand("muted", author="bob"), cand("ok")]
    exclusions = Exclusions("me", frozenset({"seen"}), frozenset({"nope"}), frozenset({"bob"}))
    assert [c.video_id for c in merge([offered], exclusions)] == ["ok"]


def test_no_author_has_more_than_two_in_any_ten_and_tags_spread() -> None:
    # GIVEN 200 candidates of 8 authors in random order, most of them one author's
    rng = random.Random(5)
    authors = ["big"] * 60 + [f"a{i}" for i in range(7) for _ in range(20)]
    ranked = [
        cand(f"v{i}", author, tags=(f"t{i % 5}",))
        for i, author in enumerate(rng.sample(authors, len(authors)))
    ]
    # WHEN a page of 50 is re-ranked
    page = rerank(ranked, 50)
    # THEN it is full and every 10 consecutive items hold at most 2 of one author
    assert len(page) == 50 and len({c.video_id for c in page}) == 50
    for start in range(len(page) - 9):
        window = [c.author_id for c in page[start : start + 10]]
        assert max(window.count(a) for a in set(window)) <= 2
    # AND no two neighbours share their first tag while another could go there
    assert all(page[i].tags[0] != page[i + 1].tags[0] for i in range(len(page) - 1))


def test_a_catalog_of_one_author_gives_a_short_page_not_a_broken_rule() -> None:
    page = rerank([cand(f"v{i}", "solo") for i in range(10)], 10)
    assert [c.video_id for c in page] == ["v0", "v1"]
    # AND items already on the page count: after two of solo's, none of solo's more
    assert rerank([cand("v9", "solo")], 5, start=[cand("x", "solo"), cand("y", "solo")]) == []


def test_the_fallback_order_weighs_prior_interest_freshness_and_muted_tags() -> None:
    now = 1_000_000.0
    interests = scaled([("cats", 4.0), ("cars", 1.0), ("bad", -2.0)])
    assert interests == {"cats": 1.0, "cars": 0.25}
    cats = Candidate("c", "a", "interest", "r", ("cats",), 0.1, now - 3600)
    cars = Candidate("d", "a", "interest", "r", ("cars",), 0.1, now - 3600)
    old = Candidate("e", "a", "interest", "r", ("cats",), 0.1, now - 30 * 86400)
    muted = Candidate("f", "a", "interest", "r", ("cats", "gore"), 0.1, now - 3600)
    scores = {
        c.video_id: fallback_score(c, interests, frozenset({"gore"}), now) for c in (cats, cars, old, muted)
    }
    assert scores["c"] > scores["d"] and scores["c"] > scores["e"] and scores["c"] > scores["f"]


def test_the_limit_is_capped_by_the_load_level_and_a_bad_one_is_refused() -> None:
    assert parse_feed_limit(None, 50) == 50
    assert parse_feed_limit("30", 20) == 20  # overloaded: 20 at most
    for bad in ("0", "51", "x", "-1"):
        with pytest.raises(InvalidRequest):
            parse_feed_limit(bad, 50)


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    cursor = FeedCursor("abc123", 3)
    assert FeedCursor.decode(cursor.encode()) == cursor
    for bad in (
        "",
        "!!!",
        "eyJzIjoiYSJ9",
        FeedCursor("a b", 1).encode(),
        FeedCursor("a", 0).encode(),
        "x" * 500,
    ):
        with pytest.raises(InvalidRequest):
            FeedCursor.decode(bad)


def test_a_switch_turns_on_at_once_and_off_only_after_a_clear_hold() -> None:
    rule = Hysteresis(enter=5.0, leave=2.0, hold_s=10.0)
    # GIVEN a lag of 6 s WHEN measured THEN the switch turns on at once
    moved = step(SwitchState(), 6.0, 100.0, rule)
    assert moved.changed and moved.state.on
    # AND a lag hovering between leave and enter keeps it on
    hovering = step(moved.state, 3.0, 200.0, rule).state
    assert hovering.on
    # AND it turns off only at a clear measurement 10 s after the last unclear one
    assert not step(hovering, 1.0, 205.0, rule).changed
    relapsed = step(hovering, 4.0, 206.0, rule).state  # a relapse restarts the hold
    assert relapsed.on and not step(relapsed, 1.0, 215.0, rule).changed
    off = step(relapsed, 1.0, 216.0, rule)
    assert off.changed and not off.state.on
    # AND a process that measured nothing for minutes turns off at its first clear measurement
    idle = step(SwitchState(True, 0.0, 0.0), 0.0, 600.0, rule)
    assert idle.changed and not idle.state.on
    # AND a failed probe counts as bad
    assert step(SwitchState(), None, 400.0, rule).state.on


def test_a_down_ranker_is_tried_once_per_probe_interval() -> None:
    from reelstack.services.distribution.feed_health import FeedHealth

    now = [0.0]
    health = FeedHealth(
        search_gap=lambda: 0.0, realtime_lag=lambda: 0.0, load=lambda: 0.0, clock=lambda: now[0]
    )
    # GIVEN a healthy ranker THEN every page tries it
    assert health.try_ranker() and health.try_ranker()
    # WHEN it fails THEN the next pages skip it until a probe interval passed, then one tries again
    health.report("ranker_down", True)
    assert not health.try_ranker()
    now[0] = 2.5
    assert health.try_ranker() and not health.try_ranker()


def test_the_exposure_slice_only_picks_fresh_videos_the_viewer_may_see() -> None:
    from typing import Any

    from reelstack.services.distribution.feed import FeedService, FeedTuning, _Facts
    from reelstack.services.distribution.feed_health import FeedHealth

    now = 1_000_000.0
    nothing: Any = None
    health = FeedHealth(search_gap=lambda: 0.0, realtime_lag=lambda: 0.0, load=lambda: 0.0)
    service = FeedService(
        search=nothing, short_term=nothing, long_term=nothing, store=nothing, urls=nothing, health=health,
        tuning=FeedTuning(exposure_share=1.0), rng=random.Random(1), clock=lambda: now,
    )  # fmt: skip

    def fact(video: str, author: str, age_s: float) -> _Facts:
        return _Facts(video, video, author, ("t",), None, None, 10.0, 0, now - age_s)

    # GIVEN facts of the viewer's own video, a seen one, a not-interested one, an old one and a fresh one
    facts = {
        f.video_id: f
        for f in (fact("own", "me", 60), fact("seen", "a", 60), fact("nope", "b", 60), fact("old", "c", 9e6),
                  fact("fresh", "d", 60), fact("on-page", "e", 60))
    }  # fmt: skip
    exclusions = Exclusions("me", frozenset({"seen"}), frozenset({"nope"}))
    # WHEN every slot goes to the exposure slice THEN only the fresh admissible video is ever picked
    page = service._exposure([cand("on-page", "e"), cand("x", "f")], facts, exclusions)
    assert [c.video_id for c in page if c.source == "exposure"] == ["fresh"]
