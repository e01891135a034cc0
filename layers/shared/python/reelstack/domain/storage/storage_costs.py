"""The cost model: dollars (float) for keeping, moving, reading and serving bytes, and for encoding.

Pure functions over `Prices`. An object may be several S3 objects (an HLS rendition is a playlist
and its segments): `objects` spreads `size_bytes` evenly over them, so per-object minimums
(128 KB billable in IA / Glacier IR, 40 KB archive overhead, per-request fees) count per S3 object.

Minimum storage durations: an object deleted or transitioned out of a class before its minimum is
billed for the remaining days (`early_deletion_fee`); `storage_cost` bills at least the minimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import GB, KB, Prices, RetrievalTier, StorageClass


class Codec(StrEnum):
    AVC = "h264"
    HEVC = "hevc"
    AV1 = "av1"


class MediaConvertTier(StrEnum):
    BASIC = "basic"  # AVC only
    PROFESSIONAL = "professional"


def billable_gb_month(
    size_bytes: float, storage_class: StorageClass, prices: Prices, objects: int = 1
) -> float:
    """Dollars per month for `size_bytes` held in `storage_class` as `objects` S3 objects."""
    _check_size(size_bytes, objects)
    rate = prices.storage_gb_month(storage_class)
    per_object = size_bytes / objects
    if storage_class in (StorageClass.STANDARD_IA, StorageClass.GLACIER_IR):
        per_object = max(per_object, prices.infrequent_min_billable_kb * KB)
        return objects * per_object / GB * rate
    if storage_class in (StorageClass.GLACIER, StorageClass.DEEP_ARCHIVE):
        archive = (per_object + prices.archive_overhead_archive_kb * KB) / GB * rate
        standard = prices.archive_overhead_standard_kb * KB / GB * prices.s3_standard_gb_month
        return objects * (archive + standard)
    return size_bytes / GB * rate


def storage_cost(
    size_bytes: float, storage_class: StorageClass, days: float, prices: Prices, objects: int = 1
) -> float:
    """Keeping the bytes `days` days in the class, billed for at least the class's minimum duration."""
    billed_days = max(days, prices.min_days(storage_class))
    return billable_gb_month(size_bytes, storage_class, prices, objects) * billed_days / prices.days_per_month


def early_deletion_fee(
    size_bytes: float, storage_class: StorageClass, days_in_class: float, prices: Prices, objects: int = 1
) -> float:
    """What deleting or transitioning out after `days_in_class` days adds: the rest of the minimum."""
    remaining = max(0.0, prices.min_days(storage_class) - days_in_class)
    return billable_gb_month(size_bytes, storage_class, prices, objects) * remaining / prices.days_per_month


def retrieval_cost(
    size_bytes: float,
    storage_class: StorageClass,
    prices: Prices,
    *,
    requests: float = 1,
    tier: RetrievalTier = RetrievalTier.STANDARD,
    restored_days: float = 0.0,
) -> float:
    """Reading `size_bytes` out of a class with `requests` requests.

    Instant classes: GETs plus the per-GB retrieval fee (none for Standard). Archive classes: the
    restore at `tier` (per GB and per 1,000 restore requests) plus the temporary copy kept
    `restored_days` days at the Standard rate.
    """
    gb = size_bytes / GB
    if storage_class.instant:
        per_gb = {
            StorageClass.STANDARD_IA: prices.standard_ia_retrieval_gb,
            StorageClass.GLACIER_IR: prices.glacier_ir_retrieval_gb,
        }.get(storage_class, 0.0)
        return gb * per_gb + requests / 1000 * prices.get_per_1000(storage_class)
    per_gb, per_1000 = _restore_prices(storage_class, tier, prices)
    temporary = gb * prices.s3_standard_gb_month * restored_days / prices.days_per_month
    return gb * per_gb + requests / 1000 * per_1000 + temporary


@dataclass(frozen=True)
class TransitionCost:
    requests: float  # lifecycle transition or PUT/COPY fees
    early_deletion: float  # the rest of the old class's minimum
    retrieval: float  # reading the source out of a cold class (copies only)

    @property
    def total(self) -> float:
        return self.requests + self.early_deletion + self.retrieval


def transition_cost(
    size_bytes: float,
    source: StorageClass,
    days_in_source: float,
    target: StorageClass,
    prices: Prices,
    *,
    objects: int = 1,
    restore_tier: RetrievalTier = RetrievalTier.BULK,
) -> TransitionCost:
    """Moving bytes from `source` to `target`.

    Colder moves are lifecycle transitions (priced per request into the target; no retrieval).
    Warmer moves are copies: the target's PUT/COPY price plus reading the source (retrieval fee,
    or a restore for the archive classes). Both end the source early if under its minimum.
    """
    if source == target:
        return TransitionCost(0.0, 0.0, 0.0)
    early = early_deletion_fee(size_bytes, source, days_in_source, prices, objects)
    if target.coldness > source.coldness:
        return TransitionCost(objects / 1000 * prices.transition_per_1000(target), early, 0.0)
    requests = objects / 1000 * prices.put_per_1000(target)
    retrieval = retrieval_cost(size_bytes, source, prices, requests=objects, tier=restore_tier)
    return TransitionCost(requests, early, retrieval)


def egress_cost(bytes_served: float, prices: Prices) -> float:
    """Serving bytes to viewers (CloudFront first tier by default)."""
    return bytes_served / GB * prices.egress_gb


def lambda_encode_cost(
    media_minutes: float,
    speed_factor: float,
    prices: Prices,
    *,
    memory_mb: int = 10240,
    ephemeral_mb: int = 10240,
    invocations: int = 1,
) -> float:
    """ffmpeg on Lambda: wall seconds = media seconds / speed_factor (x realtime), billed in GB-seconds.

    /tmp above the free 512 MB is billed per GB-second too.
    """
    if speed_factor <= 0:
        raise ValueError("speed_factor must be positive (media seconds encoded per wall second)")
    wall_s = media_minutes * 60 / speed_factor
    compute = memory_mb / 1024 * wall_s * prices.lambda_gb_second
    ephemeral = max(0, ephemeral_mb - 512) / 1024 * wall_s * prices.lambda_ephemeral_gb_second
    return compute + ephemeral + invocations * prices.lambda_per_million_requests / 1e6


def resolution_band(height: int) -> str:
    """MediaConvert's bands by output height: SD below 720, HD up to 1080, UHD above."""
    if height < 720:
        return "sd"
    return "hd" if height <= 1080 else "uhd"


def mediaconvert_cost(
    duration_s: float,
    height: int,
    codec: Codec,
    prices: Prices,
    tier: MediaConvertTier = MediaConvertTier.BASIC,
) -> float:
    """One MediaConvert output: per output minute, billed per second with a 10-second minimum.

    HEVC and AV1 are Professional-tier only, so they are priced there whatever `tier` says.
    """
    band = resolution_band(height)
    if codec is not Codec.AVC:
        tier, family = MediaConvertTier.PROFESSIONAL, "hevc"
    else:
        family = "avc"
    prefix = "basic" if tier is MediaConvertTier.BASIC else "pro"
    per_minute = float(getattr(prices, f"mediaconvert_{prefix}_{family}_{band}_min"))
    return max(duration_s, prices.mediaconvert_min_billed_s) / 60 * per_minute


def gpu_encode_cost(media_minutes: float, speed_factor: float, prices: Prices) -> float:
    """Share of a GPU instance's hour: media minutes / speed_factor (x realtime), no idle time."""
    if speed_factor <= 0:
        raise ValueError("speed_factor must be positive (media seconds encoded per wall second)")
    return media_minutes / speed_factor / 60 * prices.gpu_hour


@dataclass(frozen=True)
class EncodeSpeeds:
    """Encode speed, x realtime, of one 1080p30 output; other heights scale by pixels (height**2).

    Estimates, not measurements (calibrate from the transcode benchmark): a 10,240 MB arm64 Lambda
    (6 vCPUs) runs libx264 veryfast ~2x realtime, libx265 fast ~0.4x, SVT-AV1 preset 8 ~0.5x; a T4's
    NVENC runs H.264 or HEVC ~10x and cannot encode AV1.
    """

    lambda_x: tuple[tuple[Codec, float], ...] = ((Codec.AVC, 2.0), (Codec.HEVC, 0.4), (Codec.AV1, 0.5))
    gpu_x: tuple[tuple[Codec, float], ...] = ((Codec.AVC, 10.0), (Codec.HEVC, 10.0))
    lambda_memory_mb: int = 10240

    def speed(self, backend: Backend, codec: Codec, height: int) -> float:
        table = dict(self.lambda_x if backend is Backend.LAMBDA else self.gpu_x)
        if codec not in table:
            raise ValueError(f"the {backend} backend cannot encode {codec}")
        if height <= 0:
            raise ValueError(f"an output height must be positive, not {height}")
        return table[codec] * (1080 / height) ** 2


def transcode_cost(
    backend: Backend,
    duration_s: float,
    heights: Sequence[int],
    codec: Codec,
    prices: Prices,
    speeds: EncodeSpeeds | None = None,
) -> float:
    """Encoding one output per height in `codec` on `backend` (one invocation / job per video)."""
    speeds = speeds or EncodeSpeeds()
    if backend is Backend.MEDIACONVERT:
        return sum(mediaconvert_cost(duration_s, height, codec, prices) for height in heights)
    minutes = duration_s / 60
    if backend is Backend.GPU:
        return sum(gpu_encode_cost(minutes, speeds.speed(backend, codec, h), prices) for h in heights)
    # one Lambda encodes every output in turn: wall time adds up
    wall_minutes = sum(minutes / speeds.speed(backend, codec, h) for h in heights)
    return lambda_encode_cost(wall_minutes, 1.0, prices, memory_mb=speeds.lambda_memory_mb)


def _restore_prices(storage_class: StorageClass, tier: RetrievalTier, prices: Prices) -> tuple[float, float]:
    if storage_class is StorageClass.GLACIER:
        return {
            RetrievalTier.EXPEDITED: (
                prices.glacier_flexible_expedited_gb,
                prices.glacier_flexible_expedited_per_1000,
            ),
            RetrievalTier.STANDARD: (
                prices.glacier_flexible_standard_gb,
                prices.glacier_flexible_standard_per_1000,
            ),
            RetrievalTier.BULK: (prices.glacier_flexible_bulk_gb, prices.glacier_flexible_bulk_per_1000),
        }[tier]
    if tier is RetrievalTier.EXPEDITED:
        raise ValueError("Deep Archive has no expedited retrieval")
    if tier is RetrievalTier.STANDARD:
        return prices.deep_archive_standard_gb, prices.deep_archive_standard_per_1000
    return prices.deep_archive_bulk_gb, prices.deep_archive_bulk_per_1000


def _check_size(size_bytes: float, objects: int) -> None:
    if size_bytes < 0 or objects < 1:
        raise ValueError(f"need size_bytes >= 0 and objects >= 1, not {size_bytes}, {objects}")
