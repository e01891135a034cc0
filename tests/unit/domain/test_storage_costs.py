"""The cost model at its boundaries: minimum sizes and durations, archive overhead, retrieval, compute.

Expected values are worked out by hand from the default prices (GB = 2**30 bytes, KB = 1024 bytes,
a month = 30 days).
"""

from __future__ import annotations

import pytest

from reelstack.domain.media.backends import Backend
from reelstack.domain.storage.pricing import Prices, RetrievalTier, StorageClass
from reelstack.domain.storage.storage_costs import (
    Codec,
    billable_gb_month,
    early_deletion_fee,
    egress_cost,
    gpu_encode_cost,
    lambda_encode_cost,
    mediaconvert_cost,
    retrieval_cost,
    storage_cost,
    transcode_cost,
    transition_cost,
)

GB = 2**30
KB = 1024
P = Prices()


def test_a_127_kb_object_in_standard_ia_is_billed_as_128_kb_and_a_129_kb_one_as_129() -> None:
    # GIVEN objects just under and over the 128 KB minimum billable size
    # THEN the smaller is billed as 128 KB, the larger as itself
    assert billable_gb_month(127 * KB, StorageClass.STANDARD_IA, P) == pytest.approx(128 * KB / GB * 0.0125)
    assert billable_gb_month(129 * KB, StorageClass.STANDARD_IA, P) == pytest.approx(129 * KB / GB * 0.0125)
    # AND Glacier IR has the same minimum, Standard has none
    assert billable_gb_month(1 * KB, StorageClass.GLACIER_IR, P) == pytest.approx(128 * KB / GB * 0.004)
    assert billable_gb_month(127 * KB, StorageClass.STANDARD, P) == pytest.approx(127 * KB / GB * 0.023)


def test_the_minimum_size_counts_per_s3_object_of_a_segmented_rendition() -> None:
    # GIVEN a 1 MB HLS rendition in 10 objects of ~100 KB each
    # THEN IA bills 10 x 128 KB, not 1 MB
    assert billable_gb_month(1000 * KB, StorageClass.STANDARD_IA, P, objects=10) == pytest.approx(
        1280 * KB / GB * 0.0125
    )


def test_glacier_flexible_and_deep_archive_add_40_kb_per_object_32_at_the_archive_rate_8_at_standard() -> (
    None
):
    # GIVEN a 1 MiB object
    size = 1024 * KB
    # THEN Flexible bills 1056 KB at $0.0036 and 8 KB at $0.023
    assert billable_gb_month(size, StorageClass.GLACIER, P) == pytest.approx(
        1056 * KB / GB * 0.0036 + 8 * KB / GB * 0.023
    )
    # AND Deep Archive the same at $0.00099
    assert billable_gb_month(size, StorageClass.DEEP_ARCHIVE, P) == pytest.approx(
        1056 * KB / GB * 0.00099 + 8 * KB / GB * 0.023
    )
    # AND for 1,000 tiny 1 KB objects the overhead is most of the bill: 33 KB archive + 8 KB Standard each
    assert billable_gb_month(1000 * KB, StorageClass.DEEP_ARCHIVE, P, objects=1000) == pytest.approx(
        1000 * (33 * KB / GB * 0.00099 + 8 * KB / GB * 0.023)
    )


def test_keeping_an_object_bills_at_least_the_class_minimum_duration() -> None:
    # GIVEN 1 GB kept 10 days
    # THEN Standard bills 10 days, IA 30, Deep Archive 180
    assert storage_cost(GB, StorageClass.STANDARD, 10, P) == pytest.approx(0.023 * 10 / 30)
    assert storage_cost(GB, StorageClass.STANDARD_IA, 10, P) == pytest.approx(0.0125)
    deep_month = 0.00099 * (GB + 32 * KB) / GB + 0.023 * 8 * KB / GB
    assert storage_cost(GB, StorageClass.DEEP_ARCHIVE, 10, P) == pytest.approx(deep_month * 6)
    # AND beyond the minimum it is pro rata
    assert storage_cost(GB, StorageClass.STANDARD_IA, 45, P) == pytest.approx(0.0125 * 1.5)


def test_leaving_standard_ia_on_day_29_pays_one_day_and_on_day_30_nothing() -> None:
    # GIVEN 1 GB in IA for 29 days, then for 30 days
    # THEN deleting early is billed the remaining day; on day 30 nothing
    assert early_deletion_fee(GB, StorageClass.STANDARD_IA, 29, P) == pytest.approx(0.0125 / 30)
    assert early_deletion_fee(GB, StorageClass.STANDARD_IA, 30, P) == 0
    # AND a lifecycle transition to Glacier IR on day 29 adds that fee to the request price
    move = transition_cost(GB, StorageClass.STANDARD_IA, 29, StorageClass.GLACIER_IR, P)
    assert (move.requests, move.early_deletion, move.retrieval) == pytest.approx(
        (0.02 / 1000, 0.0125 / 30, 0.0)
    )
    assert transition_cost(
        GB, StorageClass.STANDARD_IA, 30, StorageClass.GLACIER_IR, P
    ).total == pytest.approx(0.00002)


def test_deep_archive_bills_the_rest_of_its_180_days_when_left_early() -> None:
    deep_month = 0.00099 * (GB + 32 * KB) / GB + 0.023 * 8 * KB / GB
    # GIVEN 1 GB in Deep Archive for 100, 179 and 180 days
    assert early_deletion_fee(GB, StorageClass.DEEP_ARCHIVE, 100, P) == pytest.approx(deep_month * 80 / 30)
    assert early_deletion_fee(GB, StorageClass.DEEP_ARCHIVE, 179, P) == pytest.approx(deep_month / 30)
    assert early_deletion_fee(GB, StorageClass.DEEP_ARCHIVE, 180, P) == 0


def test_copying_back_to_standard_reads_the_cold_source() -> None:
    # GIVEN 1 GB in Glacier IR for 100 days (minimum served) copied to Standard
    move = transition_cost(GB, StorageClass.GLACIER_IR, 100, StorageClass.STANDARD, P)
    # THEN a Standard PUT, the $0.03/GB retrieval and one GET ($0.01 per 1,000)
    assert move.requests == pytest.approx(0.005 / 1000)
    assert move.retrieval == pytest.approx(0.03 + 0.01 / 1000)
    assert move.early_deletion == 0
    # AND out of Deep Archive it is a bulk restore ($0.0025/GB + $0.025 per 1,000)
    move = transition_cost(GB, StorageClass.DEEP_ARCHIVE, 200, StorageClass.STANDARD, P)
    assert move.retrieval == pytest.approx(0.0025 + 0.025 / 1000)


def test_retrieval_prices_per_class_and_tier() -> None:
    # GIVEN 10 GB read with one request
    assert retrieval_cost(10 * GB, StorageClass.STANDARD, P) == pytest.approx(0.0004 / 1000)
    assert retrieval_cost(10 * GB, StorageClass.STANDARD_IA, P) == pytest.approx(0.1 + 0.001 / 1000)
    assert retrieval_cost(10 * GB, StorageClass.GLACIER_IR, P) == pytest.approx(0.3 + 0.01 / 1000)
    # AND archive restores by tier; bulk from Flexible is free
    assert retrieval_cost(10 * GB, StorageClass.GLACIER, P, tier=RetrievalTier.BULK) == 0
    assert retrieval_cost(10 * GB, StorageClass.GLACIER, P, tier=RetrievalTier.EXPEDITED) == pytest.approx(
        0.3 + 10.0 / 1000
    )
    assert retrieval_cost(
        10 * GB, StorageClass.DEEP_ARCHIVE, P, tier=RetrievalTier.STANDARD
    ) == pytest.approx(0.2 + 0.10 / 1000)
    # AND the restored copy kept 3 days is billed at the Standard rate
    assert retrieval_cost(
        10 * GB, StorageClass.GLACIER, P, tier=RetrievalTier.BULK, restored_days=3
    ) == pytest.approx(10 * 0.023 * 3 / 30)
    with pytest.raises(ValueError):
        retrieval_cost(GB, StorageClass.DEEP_ARCHIVE, P, tier=RetrievalTier.EXPEDITED)


def test_egress_is_priced_per_gb_served() -> None:
    assert egress_cost(10 * GB, P) == pytest.approx(0.85)


def test_an_ffmpeg_lambda_bills_gb_seconds_of_the_wall_time() -> None:
    # GIVEN one media minute at 2x realtime on a 10,240 MB Lambda with 10,240 MB of /tmp
    cost = lambda_encode_cost(1, 2.0, P)
    # THEN 30 s x 10 GB x $0.0000133334 + 30 s x 9.5 GB of extra /tmp x $0.0000000309 + one request
    assert cost == pytest.approx(30 * 10 * 0.0000133334 + 30 * 9.5 * 0.0000000309 + 0.2 / 1e6)
    with pytest.raises(ValueError):
        lambda_encode_cost(1, 0, P)


def test_mediaconvert_prices_by_band_and_codec_with_a_ten_second_minimum() -> None:
    assert mediaconvert_cost(30, 720, Codec.AVC, P) == pytest.approx(0.5 * 0.015)
    assert mediaconvert_cost(30, 480, Codec.AVC, P) == pytest.approx(0.5 * 0.0075)
    assert mediaconvert_cost(30, 2160, Codec.AVC, P) == pytest.approx(0.5 * 0.030)
    # HEVC is Professional tier only
    assert mediaconvert_cost(30, 1080, Codec.HEVC, P) == pytest.approx(0.5 * 0.048)
    # a 5 s output is billed as 10 s
    assert mediaconvert_cost(5, 1080, Codec.AVC, P) == pytest.approx(10 / 60 * 0.015)


def test_gpu_time_is_a_share_of_the_instance_hour() -> None:
    # GIVEN 10 media minutes at 10x realtime: one minute of a g4dn.xlarge
    assert gpu_encode_cost(10, 10.0, P) == pytest.approx(0.526 / 60)
    # AND transcode_cost scales speed by pixels: 540p HEVC runs 4 x 10x on the GPU
    assert transcode_cost(Backend.GPU, 600, [540], Codec.HEVC, P) == pytest.approx(0.526 / 60 / 4)


def test_a_t4_gpu_cannot_encode_av1() -> None:
    with pytest.raises(ValueError, match="av1"):
        transcode_cost(Backend.GPU, 60, [1080], Codec.AV1, P)
