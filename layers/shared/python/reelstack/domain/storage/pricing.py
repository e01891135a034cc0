"""Prices the ROI engine weighs: storage classes, requests, retrieval, egress and transcode compute.

Every default is an AWS us-east-1 (N. Virginia) on-demand list price, first volume tier, as published
on aws.amazon.com/s3/pricing, /cloudfront/pricing, /lambda/pricing, /mediaconvert/pricing and
/ec2/pricing/on-demand, and the S3 user guide's storage-class comparison (minimum durations and
sizes). These were written down from the published pages as they stood for the AWS price list
effective 2024-12-01 (the MediaConvert SKUs carry that date) and checked against 2025-01; they were
*not* re-fetched when this module was written (no internet here). Prices change: settings override
any of them with `Prices.from_mapping({"s3_standard_gb_month": 0.023, ...})` or `parse_prices(text)`.

Units: dollars; "GB" is what AWS bills as a GB, 2**30 bytes; "KB" is 1024 bytes; a month is
`days_per_month` days (AWS prorates GB-months by the hours of the calendar month; 30 keeps a
30-day minimum equal to one month).

Choices worth knowing:
- Egress: players fetch through CloudFront (template: PlaybackDistribution), so `egress_gb` is
  CloudFront's first 10 TB/month to the internet, US/Europe ($0.085). S3 to CloudFront is free;
  S3 straight to the internet would be $0.09.
- Storage class minimums (S3 user guide): Standard-IA 30 days, Glacier Instant Retrieval **90** days
  (not 30), Glacier Flexible Retrieval 90, Deep Archive 180. IA and Glacier IR bill at least 128 KB
  per object. Flexible and Deep Archive add 40 KB per object: 32 KB at the archive rate (index) and
  8 KB at the Standard rate (name and metadata).
- Class transitions are priced per 1,000 lifecycle transition requests *into* the target class; a
  CopyObject costs the target class's PUT/COPY price (plus retrieval of the source if it is cold).
- Glacier Flexible Bulk retrievals are free (since 2021-11); Deep Archive has no Expedited tier.
- MediaConvert (on-demand, per output minute, <=30 fps, single pass): Basic tier is AVC only;
  HEVC and AV1 need the Professional tier. AV1 is priced here as HEVC (assumption: the published
  AV1 rows were not at hand). MediaConvert bills 1-second increments with a 10-second minimum per
  output; 2025's "normalized minutes" volume tiers start from the same first-tier rates.
- Lambda arm64 ($0.0000133334 per GB-second, first 6 billion GB-s/month), $0.20 per million
  requests, ephemeral storage above 512 MB at $0.0000000309 per GB-second.
- GPU: g4dn.xlarge (1 x NVIDIA T4, 4 vCPU) on-demand Linux, $0.526 per hour. The T4's NVENC encodes
  H.264 and HEVC, not AV1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

GB = 1024**3
KB = 1024


class StorageClass(StrEnum):
    """S3 storage classes by their API names, warmest first."""

    STANDARD = "STANDARD"
    STANDARD_IA = "STANDARD_IA"
    GLACIER_IR = "GLACIER_IR"
    GLACIER = "GLACIER"  # Glacier Flexible Retrieval
    DEEP_ARCHIVE = "DEEP_ARCHIVE"

    @property
    def instant(self) -> bool:
        """Readable at once (the archive classes need a restore first)."""
        return self not in (StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE)

    @property
    def coldness(self) -> int:
        return list(StorageClass).index(self)


class RetrievalTier(StrEnum):
    """Restore speed for the archive classes."""

    EXPEDITED = "expedited"  # 1-5 minutes; Flexible only
    STANDARD = "standard"  # 3-5 hours (Flexible), within 12 hours (Deep Archive)
    BULK = "bulk"  # 5-12 hours (Flexible), within 48 hours (Deep Archive)


@dataclass(frozen=True)
class Prices:
    """us-east-1 list prices (see the module docstring for sources and date); every field overridable."""

    # storage, $ per GB-month (first 50 TB)
    s3_standard_gb_month: float = 0.023
    s3_standard_ia_gb_month: float = 0.0125
    s3_glacier_ir_gb_month: float = 0.004
    s3_glacier_flexible_gb_month: float = 0.0036
    s3_deep_archive_gb_month: float = 0.00099
    days_per_month: float = 30.0

    # minimum storage durations, days (charged pro rata when deleted or transitioned earlier)
    standard_ia_min_days: float = 30.0
    glacier_ir_min_days: float = 90.0
    glacier_flexible_min_days: float = 90.0
    deep_archive_min_days: float = 180.0

    # minimum billable sizes and archive overheads, KB per object
    infrequent_min_billable_kb: float = 128.0  # Standard-IA and Glacier IR
    archive_overhead_archive_kb: float = 32.0  # Flexible / Deep Archive, billed at the archive rate
    archive_overhead_standard_kb: float = 8.0  # Flexible / Deep Archive, billed at the Standard rate

    # retrieval, $ per GB read (IA, Glacier IR) or restored (archive tiers), and $ per 1,000 restores
    standard_ia_retrieval_gb: float = 0.01
    glacier_ir_retrieval_gb: float = 0.03
    glacier_flexible_expedited_gb: float = 0.03
    glacier_flexible_expedited_per_1000: float = 10.0
    glacier_flexible_standard_gb: float = 0.01
    glacier_flexible_standard_per_1000: float = 0.05
    glacier_flexible_bulk_gb: float = 0.0
    glacier_flexible_bulk_per_1000: float = 0.0
    deep_archive_standard_gb: float = 0.02
    deep_archive_standard_per_1000: float = 0.10
    deep_archive_bulk_gb: float = 0.0025
    deep_archive_bulk_per_1000: float = 0.025

    # PUT/COPY/POST/LIST, $ per 1,000 requests, by destination class
    standard_put_per_1000: float = 0.005
    standard_ia_put_per_1000: float = 0.01
    glacier_ir_put_per_1000: float = 0.02
    glacier_flexible_put_per_1000: float = 0.03
    deep_archive_put_per_1000: float = 0.05
    # GET/SELECT, $ per 1,000 requests
    standard_get_per_1000: float = 0.0004
    standard_ia_get_per_1000: float = 0.001
    glacier_ir_get_per_1000: float = 0.01
    # lifecycle transition requests into a class, $ per 1,000
    standard_ia_transition_per_1000: float = 0.01
    glacier_ir_transition_per_1000: float = 0.02
    glacier_flexible_transition_per_1000: float = 0.03
    deep_archive_transition_per_1000: float = 0.05

    # egress to viewers, $ per GB: CloudFront, US/Europe, first 10 TB/month
    egress_gb: float = 0.085

    # Lambda, arm64
    lambda_gb_second: float = 0.0000133334
    lambda_per_million_requests: float = 0.20
    lambda_ephemeral_gb_second: float = 0.0000000309  # /tmp above the free 512 MB

    # MediaConvert on-demand, $ per output minute, <=30 fps, single pass
    mediaconvert_basic_avc_sd_min: float = 0.0075
    mediaconvert_basic_avc_hd_min: float = 0.015
    mediaconvert_basic_avc_uhd_min: float = 0.030
    mediaconvert_pro_avc_sd_min: float = 0.012
    mediaconvert_pro_avc_hd_min: float = 0.024
    mediaconvert_pro_avc_uhd_min: float = 0.048
    mediaconvert_pro_hevc_sd_min: float = 0.024
    mediaconvert_pro_hevc_hd_min: float = 0.048
    mediaconvert_pro_hevc_uhd_min: float = 0.096
    mediaconvert_min_billed_s: float = 10.0

    # GPU instance, on-demand Linux
    gpu_hour: float = 0.526  # g4dn.xlarge

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"price {field.name} must be a finite number, not {value!r}")
            if value < 0:
                raise ValueError(f"price {field.name} must not be negative, not {value!r}")
        if self.days_per_month <= 0:
            raise ValueError("days_per_month must be positive")

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any]) -> Prices:
        """Defaults with `overrides` applied; unknown keys, non-numbers and negatives are rejected."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown price(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        values: dict[str, float] = {}
        for key, raw in overrides.items():
            values[key] = _number(key, raw)
        return replace(cls(), **values)

    def storage_gb_month(self, storage_class: StorageClass) -> float:
        return {
            StorageClass.STANDARD: self.s3_standard_gb_month,
            StorageClass.STANDARD_IA: self.s3_standard_ia_gb_month,
            StorageClass.GLACIER_IR: self.s3_glacier_ir_gb_month,
            StorageClass.GLACIER: self.s3_glacier_flexible_gb_month,
            StorageClass.DEEP_ARCHIVE: self.s3_deep_archive_gb_month,
        }[storage_class]

    def min_days(self, storage_class: StorageClass) -> float:
        return {
            StorageClass.STANDARD: 0.0,
            StorageClass.STANDARD_IA: self.standard_ia_min_days,
            StorageClass.GLACIER_IR: self.glacier_ir_min_days,
            StorageClass.GLACIER: self.glacier_flexible_min_days,
            StorageClass.DEEP_ARCHIVE: self.deep_archive_min_days,
        }[storage_class]

    def put_per_1000(self, storage_class: StorageClass) -> float:
        return {
            StorageClass.STANDARD: self.standard_put_per_1000,
            StorageClass.STANDARD_IA: self.standard_ia_put_per_1000,
            StorageClass.GLACIER_IR: self.glacier_ir_put_per_1000,
            StorageClass.GLACIER: self.glacier_flexible_put_per_1000,
            StorageClass.DEEP_ARCHIVE: self.deep_archive_put_per_1000,
        }[storage_class]

    def transition_per_1000(self, storage_class: StorageClass) -> float:
        """Lifecycle transition into `storage_class` (nothing transitions into Standard)."""
        return {
            StorageClass.STANDARD: self.standard_put_per_1000,  # only a copy goes back to Standard
            StorageClass.STANDARD_IA: self.standard_ia_transition_per_1000,
            StorageClass.GLACIER_IR: self.glacier_ir_transition_per_1000,
            StorageClass.GLACIER: self.glacier_flexible_transition_per_1000,
            StorageClass.DEEP_ARCHIVE: self.deep_archive_transition_per_1000,
        }[storage_class]

    def get_per_1000(self, storage_class: StorageClass) -> float:
        """GET of an instantly readable class (archive classes are read through a restore)."""
        return {
            StorageClass.STANDARD_IA: self.standard_ia_get_per_1000,
            StorageClass.GLACIER_IR: self.glacier_ir_get_per_1000,
        }.get(storage_class, self.standard_get_per_1000)


def parse_prices(text: str) -> Prices:
    """`s3_standard_gb_month=0.023;egress_gb=0.09` (`;` or `,` between pairs) -> Prices; "" -> defaults."""
    overrides: dict[str, str] = {}
    for raw in text.replace(",", ";").split(";"):
        pair = raw.strip()
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"price override {pair!r} is not 'name=value'")
        key = key.strip()
        if key in overrides:
            raise ValueError(f"price {key!r} is given twice")
        overrides[key] = value.strip()
    return Prices.from_mapping(overrides)


def _number(key: str, raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"price {key} must be a number, not {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"price {key} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"price {key} must be a finite, non-negative number, not {raw!r}")
    return value
