"""The ROI simulator: it runs, its accounting adds up, and its vectorised decisions are the domain's."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.roi import RoiPolicy, RuleBasedTiers, rule_based_class, top_decile_threshold
from reelstack_tools.roi_catalog import CatalogParams, generate_catalog

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import roi_sim
import roi_sim_rules as rules

PRICES = Prices()
POLICY = RoiPolicy()


@pytest.fixture(scope="module")
def simulation() -> roi_sim.Simulation:
    catalog = generate_catalog(CatalogParams(videos=2000, days=90, seed=11))
    sim = roi_sim.Simulation(catalog, PRICES, POLICY, train_until=200)  # decay baseline all along
    sim.run(None, first_counted=0)
    return sim


def test_the_accounting_adds_up(simulation: roi_sim.Simulation) -> None:
    """GIVEN a 2,000-video replay WHEN every policy has run THEN totals are their parts, every policy
    served the same plays, H.264-only policies pay the same egress and all-HEVC serves capable_share."""
    led = {name: state.ledger for name, state in simulation.states.items()}
    plays = float(simulation.catalog.daily_plays.sum())
    for ledger in led.values():
        assert ledger.total == pytest.approx(
            ledger.at_rest + ledger.moves + ledger.reads + ledger.egress + ledger.compute
        )
        assert ledger.plays == pytest.approx(plays)
    assert led["rule-based"].egress == pytest.approx(led["all-Standard"].egress)
    assert led["all-Standard"].efficient_plays == 0
    assert led["all-HEVC"].efficient_plays / plays == pytest.approx(POLICY.capable_share)
    assert led["all-HEVC"].egress < led["ROI"].egress < led["all-Standard"].egress


def test_all_standard_keeps_the_most_bytes_at_rest(simulation: roi_sim.Simulation) -> None:
    """GIVEN the replay THEN all-Standard's at-rest storage is the largest of the H.264 and ROI policies."""
    led = {name: state.ledger for name, state in simulation.states.items()}
    assert led["all-Standard"].at_rest > led["rule-based"].at_rest
    assert led["all-Standard"].at_rest > led["ROI"].at_rest
    assert led["all-Standard"].moves < led["rule-based"].moves  # moving nightly is not free


def _random_facts(rng: np.random.Generator, rows: int) -> rules.Facts:
    catalog = generate_catalog(CatalogParams(videos=rows, days=10, seed=3))
    size = np.zeros((rows, rules.SLOTS))
    size[:, rules.ORIGINAL] = catalog.original_bytes
    size[:, rules.AVC] = catalog.rendition_bytes
    size[:, rules.EFFICIENT] = np.round(catalog.rendition_bytes * POLICY.efficient_size_ratio)
    source = size > 0
    present = source & (rng.uniform(size=size.shape) < 0.7)
    present[:, rules.ORIGINAL] = True
    present[:, rules.EFFICIENT] &= present[:, rules.AVC] | (rng.uniform(size=(rows, rules.N_RUNGS)) < 0.2)
    present[rng.uniform(size=rows) < 0.5, rules.EFFICIENT] = False
    objects = np.ones(size.shape)
    objects[:, 1:] = rules.rendition_objects(catalog.duration_s.astype(np.float64))[:, None]
    klass = rng.integers(0, 3, size.shape)
    klass[:, rules.ORIGINAL] = rng.integers(0, 5, rows)
    scale = np.exp(rng.uniform(-4, 9, rows))
    return rules.Facts(
        size=size,
        objects=objects,
        present=present,
        klass=klass,
        days_in=rng.integers(0, 200, size.shape).astype(np.float64),
        duration_s=catalog.duration_s.astype(np.float64),
        age_days=rng.integers(0, 180, rows).astype(np.float64),
        p7=scale * rng.uniform(0, 1, rows),
        p30=scale * rng.uniform(0, 3, rows),
        last_played_ago=np.where(rng.uniform(size=rows) < 0.2, np.nan, rng.integers(0, 120, rows)),
    )


def test_vectorised_decisions_are_decide_video_s() -> None:
    """GIVEN 600 random videos (classes, ages, predictions from ~0 to ~8,000 plays, partial ladders)
    WHEN decided vectorised and by domain.storage.roi.decide_video THEN every drop, re-encode and class agrees,
    and the sample exercises each of them."""
    facts = _random_facts(np.random.default_rng(5), 600)
    units = rules.UnitPrices.build(PRICES, POLICY)
    decisions = rules.decide(facts, units)

    disagree = [r for r in range(600) if not rules.agrees_with_domain(facts, decisions, r, PRICES, POLICY)]

    assert disagree == []
    assert decisions.drop.any() and decisions.reencode.any() and not decisions.reencode.all()
    assert (decisions.after & (decisions.target != facts.klass)).any()


def test_vectorised_costs_are_the_domain_s() -> None:
    """GIVEN objects of every class, tiny and large WHEN priced vectorised THEN the domain's numbers."""
    from reelstack.domain.storage.storage_costs import billable_gb_month, transition_cost

    units = rules.UnitPrices.build(PRICES, POLICY)
    for klass in StorageClass:
        for size, objects in ((50_000.0, 3), (8e6, 14)):
            c = np.asarray([rules.CLASSES.index(klass)])
            got = units.billable(np.asarray([size]), np.asarray([float(objects)]), c)[0]
            assert got == pytest.approx(billable_gb_month(size, klass, PRICES, objects))
            for target in StorageClass:
                t = np.asarray([rules.CLASSES.index(target)])
                moved = units.transition(
                    np.asarray([size]), np.asarray([float(objects)]), c, np.asarray([12.0]), t
                )
                want = transition_cost(
                    size, klass, 12.0, target, PRICES, objects=objects, restore_tier=POLICY.restore_tier
                )
                assert moved[0] == pytest.approx(want.total)


def test_vectorised_rule_based_tiers_are_rule_based_class_s() -> None:
    """GIVEN 500 videos' recent plays WHEN tiered vectorised and by rule_based_class THEN the same class."""
    rng = np.random.default_rng(9)
    recent = rng.poisson(np.exp(rng.uniform(-3, 8, 500))[:, None] * rng.uniform(0, 1, (500, 7)))
    recent[rng.uniform(size=500) < 0.3] = 0
    last_ago = np.where(
        recent.sum(axis=1) > 0,
        rng.integers(0, 7, 500),
        np.where(rng.uniform(size=500) < 0.5, np.nan, rng.integers(7, 150, 500)),
    )
    age = np.maximum(np.nan_to_num(last_ago, nan=0), rng.integers(0, 180, 500)).astype(np.float64)
    last7 = recent.sum(axis=1).astype(np.float64)
    tiers = RuleBasedTiers()
    threshold = top_decile_threshold(list(last7))
    assert rules.top_decile(last7) == threshold
    got = rules.rule_based_classes(recent[:, -1].astype(np.float64), last7, last_ago, age, threshold, tiers)
    for row in range(500):
        facts = rules.domain_facts(
            _random_facts(np.random.default_rng(1), 1), 0, tuple(float(x) for x in recent[row])
        )
        last = None if np.isnan(last_ago[row]) else float(last_ago[row])
        from dataclasses import replace

        facts = replace(facts, age_days=float(age[row]), last_played_days_ago=last)
        assert rules.CLASSES[got[row]] is rule_based_class(facts, threshold, tiers).storage_class
