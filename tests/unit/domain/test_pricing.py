"""Prices: the documented us-east-1 defaults, and overrides from settings with validation."""

from __future__ import annotations

import math

import pytest

from reelstack.domain.storage.pricing import Prices, StorageClass, parse_prices


def test_the_defaults_carry_the_published_minimums_and_storage_prices() -> None:
    # GIVEN the defaults
    prices = Prices()
    # THEN minimum durations follow the S3 user guide (Glacier IR is 90 days, not 30)
    assert [prices.min_days(c) for c in StorageClass] == [0, 30, 90, 90, 180]
    # AND storage per GB-month follows the S3 pricing page, warmest first
    assert [prices.storage_gb_month(c) for c in StorageClass] == [0.023, 0.0125, 0.004, 0.0036, 0.00099]
    # AND the per-object minimums: 128 KB billable in IA/GIR, 32 + 8 KB archive overhead
    assert (prices.infrequent_min_billable_kb, prices.archive_overhead_archive_kb) == (128, 32)
    assert prices.archive_overhead_standard_kb == 8


def test_only_the_archive_classes_need_a_restore_before_reading() -> None:
    assert [c.value for c in StorageClass if not c.instant] == ["GLACIER", "DEEP_ARCHIVE"]


def test_settings_override_any_price_by_its_name() -> None:
    # GIVEN a flat mapping as settings would hold it (strings or numbers)
    prices = Prices.from_mapping(
        {"s3_standard_gb_month": "0.021", "egress_gb": 0.09, "glacier_ir_min_days": 30}
    )
    # THEN those prices change and the others keep their defaults
    assert prices.s3_standard_gb_month == 0.021
    assert prices.egress_gb == 0.09
    assert prices.min_days(StorageClass.GLACIER_IR) == 30
    assert prices.s3_standard_ia_gb_month == 0.0125


def test_a_settings_string_is_parsed_into_overrides() -> None:
    prices = parse_prices("s3_standard_gb_month=0.021; egress_gb = 0.09, gpu_hour=0.6")
    assert (prices.s3_standard_gb_month, prices.egress_gb, prices.gpu_hour) == (0.021, 0.09, 0.6)
    assert parse_prices("") == Prices()


@pytest.mark.parametrize(
    "overrides",
    [
        {"s3_standard_gb_monthh": 0.02},  # unknown key: a typo must not pass silently
        {"egress_gb": -0.01},
        {"egress_gb": "cheap"},
        {"egress_gb": math.nan},
        {"egress_gb": math.inf},
        {"egress_gb": True},
        {"egress_gb": None},
        {"days_per_month": 0},
    ],
)
def test_bad_overrides_are_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Prices.from_mapping(overrides)


@pytest.mark.parametrize("text", ["egress_gb", "egress_gb=0.1;egress_gb=0.2", "nope=1", "egress_gb=-1"])
def test_a_malformed_settings_string_fails_loudly(text: str) -> None:
    with pytest.raises(ValueError):
        parse_prices(text)


def test_building_prices_directly_is_validated_too() -> None:
    with pytest.raises(ValueError):
        Prices(s3_standard_gb_month=-0.023)
