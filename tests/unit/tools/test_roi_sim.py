"""The ROI simulator: it runs, its accounting adds up, its vectorised decisions are the domain's; the extra
baselines (rules+HEVC, the heat rule), the sweep's aggregation and the price sensitivity's choice of prices."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from reelstack.domain.storage.pricing import Prices, StorageClass
from reelstack.domain.storage.roi import RoiPolicy, RuleBasedTiers, rule_based_class, top_decile_threshold
from reelstack_tools.roi_catalog import CatalogParams, generate_catalog

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import roi_oracle
import roi_prices
import roi_sim
import roi_sim_rules as rules
import roi_sweep

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


# --- the extra baselines, the sweep's aggregation, the price sensitivity ------------------------


def test_the_heat_rule_reencodes_a_video_once_it_passes_n_plays_in_a_day() -> None:
    """GIVEN plays today and whether each video has twins WHEN the heat rule runs with N = 50
    THEN only videos at or above 50 plays without twins are re-encoded."""
    plays = np.asarray([0, 49, 50, 51, 5000])
    has_twin = np.asarray([False, False, False, True, False])

    got = rules.heat_reencode(plays, has_twin, 50)

    assert got.tolist() == [False, False, True, False, True]


@pytest.fixture(scope="module")
def baselines() -> roi_sim.Simulation:
    catalog = generate_catalog(CatalogParams(videos=1500, days=60, seed=12))
    sim = roi_sim.Simulation(catalog, PRICES, POLICY, train_until=200, heat_plays=(1, 10**9), baselines=True)
    sim.run(None, first_counted=0)
    return sim


def test_rules_plus_hevc_serves_as_all_hevc_and_tiers_as_the_rules(baselines: roi_sim.Simulation) -> None:
    """GIVEN the replay with the extra baselines THEN rules+HEVC serves the same egress and pays the same
    compute as all-HEVC, and its at-rest H.264 and originals cost what the rule-based tiers' do."""
    led = {name: state.ledger for name, state in baselines.states.items()}
    plus = led[roi_sim.RULES_HEVC]
    assert plus.egress == pytest.approx(led["all-HEVC"].egress)
    assert plus.compute == pytest.approx(led["all-HEVC"].compute)
    for kind in ("originals", "H.264"):
        assert plus.at_rest_kinds[kind] == pytest.approx(led["rule-based"].at_rest_kinds[kind])
    assert 0 < plus.at_rest_kinds["efficient"] < led["all-HEVC"].at_rest_kinds["efficient"]


def test_the_heat_rule_spans_never_to_almost_always(baselines: roi_sim.Simulation) -> None:
    """GIVEN N = 10**9 (never reached) and N = 1 (any play) THEN the first is the rule-based baseline to the
    cent; the second re-encodes every played video once, serving more plays from HEVC than ROI."""
    led = {name: state.ledger for name, state in baselines.states.items()}
    never, always = led[f"{roi_sim.HEAT} {10**9}"], led[f"{roi_sim.HEAT} 1"]
    assert never.total == pytest.approx(led["rule-based"].total)
    assert never.reencodes == 0
    played = int((baselines.catalog.daily_plays.sum(axis=1) > 0).sum())
    assert always.reencodes == played
    assert always.efficient_plays > led["ROI"].efficient_plays
    assert always.compute > led["rule-based"].compute


def test_the_class_mix_is_a_share_of_bytes_at_rest(simulation: roi_sim.Simulation) -> None:
    """GIVEN the replay THEN each policy's class mix sums to 1; all-Standard's is all Standard."""
    for state in simulation.states.values():
        assert state.ledger.class_mix.sum() == pytest.approx(1.0)
    assert simulation.states["all-Standard"].ledger.class_mix[rules.STANDARD] == pytest.approx(1.0)


def test_the_worst_case_is_the_max_of_upper_bounded_ratios_and_the_min_of_the_bandwidth_share() -> None:
    """GIVEN three catalogs' ratios WHEN aggregated THEN each target's worst value, by its direction."""
    rows = [
        {"total": 0.80, "storage": 0.40, "compute": 0.66, "bandwidth": 0.95},
        {"total": 0.85, "storage": 0.48, "compute": 0.69, "bandwidth": 0.91},
        {"total": 0.78, "storage": 0.45, "compute": 0.71, "bandwidth": 0.93},
    ]
    assert roi_sweep.worst_case(rows) == {"total": 0.85, "storage": 0.48, "compute": 0.71, "bandwidth": 0.91}
    with pytest.raises(ValueError):
        roi_sweep.worst_case([])


def test_the_sweep_is_five_seeds_of_three_tails_and_best_heat_is_the_lowest_mean_total() -> None:
    """GIVEN the sweep's catalogs THEN 5 seeds x (default, steeper, flatter), none a tuning seed; GIVEN
    ledgers for two heat thresholds WHEN choosing N THEN the one with the lower total over all-Standard."""
    params = roi_sweep.sweep_params()
    assert len(params) == 15 and {shape for shape, _ in params} == {"default", "steeper", "flatter"}
    assert not {p.seed for _, p in params} & set(roi_sweep.TUNING_SEEDS)
    steep = {p.pareto_alpha for shape, p in params if shape == "steeper"}
    flat = {p.pareto_alpha for shape, p in params if shape == "flatter"}
    assert max(steep) < CatalogParams().pareto_alpha < min(flat)

    def ledgers(heat_10: float, heat_50: float) -> dict[str, roi_sim.Ledger]:
        return {
            "all-Standard": roi_sim.Ledger(egress=100.0),
            f"{roi_sim.HEAT} 10": roi_sim.Ledger(egress=heat_10),
            f"{roi_sim.HEAT} 50": roi_sim.Ledger(egress=heat_50),
        }

    rows = [
        roi_sweep.Row("default", 1, {}, ledgers(90, 95), 0.0),
        roi_sweep.Row("flatter", 2, {}, ledgers(200, 180), 0.0),  # scaled: 0.9 + 2.0 vs 0.95 + 1.8
    ]
    assert roi_sweep.best_heat(rows, (10, 50)) == 50


def test_the_price_sensitivity_moves_only_prices_the_replay_reads() -> None:
    """GIVEN the price table WHEN listing what to move THEN dollar prices only (no durations or sizes), and
    the MediaConvert, GPU and non-Bulk restore prices are not read (the Lambda backend, Bulk restores)."""
    names = roi_prices.dollar_prices(PRICES)
    assert "egress_gb" in names and "glacier_ir_min_days" not in names and "days_per_month" not in names
    assert "infrequent_min_billable_kb" not in names
    read = {n for n in names if roi_prices.reads_price(n, PRICES, POLICY)}
    assert {"egress_gb", "lambda_gb_second", "s3_standard_gb_month", "glacier_ir_retrieval_gb"} <= read
    assert not read & {"gpu_hour", "mediaconvert_pro_hevc_hd_min", "glacier_flexible_expedited_gb"}
    assert "glacier_flexible_bulk_gb" not in read  # $0: 20 % of nothing


def test_a_margin_variant_reencodes_fewer_videos_than_the_engine_without_one() -> None:
    """GIVEN one replay with a second ROI engine whose re-encode margin is 1.0 THEN it re-encodes fewer
    videos and spends less compute, while the reference policies are the same replay's."""
    catalog = generate_catalog(CatalogParams(videos=1500, days=60, seed=13))
    wary = "ROI margin 1"
    sim = roi_sim.Simulation(
        catalog, PRICES, RoiPolicy(reencode_margin=0.0), 200, variants={wary: RoiPolicy(reencode_margin=1.0)}
    )
    sim.run(None, first_counted=0)
    led = {name: state.ledger for name, state in sim.states.items()}
    assert 0 < led[wary].reencodes < led["ROI"].reencodes
    assert led[wary].compute < led["ROI"].compute
    assert roi_sim.ratios(led, wary)["compute"] < roi_sim.ratios(led)["compute"]


def test_pacing_holds_the_reencode_spend_to_its_budget_where_the_break_even_spends_more() -> None:
    """GIVEN a steep tail, where most videos pass the break-even, replayed with the product's pacing
    and, in the same replay, the same engine at the fixed break-even
    THEN over the second half the paced engine's re-encode compute is its budget's share of the twins
    of that half's uploads (within 0.1), the break-even's is higher, and the bar rose above 1."""
    catalog = generate_catalog(CatalogParams(videos=3000, days=120, seed=17, pareto_alpha=0.95))
    pacing = roi_sim.PACING
    sim = roi_sim.Simulation(
        catalog, PRICES, POLICY, 200, variants={roi_sim.BREAK_EVEN: RoiPolicy()}, pacing=pacing
    )
    sim.run(None, first_counted=0)
    half = slice(catalog.days // 2, catalog.days)
    twins = sim.twins_uploaded[half].sum()
    paced = sim.spent["ROI"][half].sum() / twins
    fixed = sim.spent[roi_sim.BREAK_EVEN][half].sum() / twins
    assert abs(paced - pacing.budget_share) < 0.1, paced
    assert fixed > paced
    assert np.median(sim.margin_trace["ROI"][catalog.days // 2 :]) > 0


def test_foresight_answers_the_actual_plays_of_the_next_days_scaled_past_the_trace() -> None:
    """GIVEN a catalog WHEN foresight is asked on day 10 THEN it answers each video's actual plays of
    days 11-17 and 11-40; on the trace's second-to-last day the one recorded day, times the horizon."""
    catalog = generate_catalog(CatalogParams(videos=300, days=60, seed=19))
    foresight = roi_oracle.Foresight(catalog)
    rows = np.arange(0, 300, 7)
    plays = catalog.daily_plays[rows].astype(np.float64)
    assert np.array_equal(foresight.plays(10, rows, 7), plays[:, 11:18].sum(axis=1))
    assert np.array_equal(foresight.plays(10, rows, 30), plays[:, 11:41].sum(axis=1))
    assert np.array_equal(foresight.plays(58, rows, 30), plays[:, 59] * 30)
    assert not foresight.plays(59, rows, 7).any()


def test_a_replay_asks_foresight_for_the_actual_plays_where_it_would_ask_the_predictor() -> None:
    """GIVEN a replay's simulation WHEN its night predicts with foresight THEN the plays it decides on are
    the actual ones of the next 7 and 30 days, not the decay baseline's."""
    catalog = generate_catalog(CatalogParams(videos=800, days=60, seed=23))
    foresight = roi_oracle.Foresight(catalog)
    sim = roi_sim.Simulation(catalog, PRICES, POLICY, train_until=29)
    rows = np.flatnonzero(catalog.upload_day <= 40)
    sim.predict(40, rows, foresight)
    assert np.array_equal(sim.p7[rows], foresight.plays(40, rows, 7))
    assert np.array_equal(sim.p30[rows], foresight.plays(40, rows, 30))
    sim.predict(40, rows, None)
    assert not np.array_equal(sim.p30[rows], foresight.plays(40, rows, 30))
