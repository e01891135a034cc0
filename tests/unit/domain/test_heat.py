"""High-heat re-encodes, pure: which renditions get HEVC twins, the twins' ffmpeg argv (same GOPs and
HLS muxing as the H.264 ladder), their CODECS and level, and the master playlist merge."""

from __future__ import annotations

from fractions import Fraction

import pytest

from reelstack.domain.media import heat
from reelstack.domain.media.ffmpeg_ladder import hls_output, ladder_command
from reelstack.domain.media.hls import MeasuredBandwidth, master_playlist
from reelstack.domain.media.renditions import Plan
from reelstack.errors import InvalidRequest
from tests.support.plans import ladder_plan

OUT = "/scratch/out"
SOURCE = "/scratch/original"


def plan(**source: object) -> Plan:
    return ladder_plan(**source)


def _after(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == option]


def test_every_published_h264_rung_is_chosen_by_default_and_min_height_narrows() -> None:
    # GIVEN a 1080p ladder, all published
    ladder = plan()
    names = [r.name for r in ladder.renditions]
    # WHEN renditions are selected THEN all by default, those >= min_height when asked, or the named ones
    assert [r.name for r in heat.select_renditions(ladder, names)] == ["1080p", "720p", "480p"]
    assert [r.name for r in heat.select_renditions(ladder, names, min_height=720)] == ["1080p", "720p"]
    assert [r.name for r in heat.select_renditions(ladder, names, ["720p"])] == ["720p"]


def test_unpublished_unknown_or_no_rendition_is_refused_with_a_code() -> None:
    # GIVEN a ladder of which only 480p is published
    ladder = plan()
    # WHEN a missing rendition is named, or nothing qualifies THEN the codes say which
    with pytest.raises(InvalidRequest) as unknown:
        heat.select_renditions(ladder, ["480p"], ["1080p"])
    with pytest.raises(InvalidRequest) as nothing:
        heat.select_renditions(ladder, ["480p"], min_height=720)
    assert (unknown.value.code, nothing.value.code) == ("unknown_rendition", "nothing_to_reencode")


def test_a_twin_keeps_size_rate_and_gop_with_sixty_percent_of_the_bits() -> None:
    # GIVEN the 720p H.264 rendition WHEN its twin is planned
    ladder = plan()
    h264 = ladder.renditions[1]
    twin = heat.hevc_twin(h264, ladder.audio)
    # THEN same picture and timing, HEVC Main, 60 % of target, peak and buffer
    assert (twin.name, twin.codec, twin.profile) == ("720p-hevc", "hevc", "main")
    assert (twin.width, twin.height, twin.frame_rate_fraction) == (
        h264.width,
        h264.height,
        h264.frame_rate_fraction,
    )
    assert twin.keyframe_interval_frames == h264.keyframe_interval_frames
    assert twin.video_bitrate_kbps == round(h264.video_bitrate_kbps * 0.6)
    assert twin.max_bitrate_kbps == round(h264.max_bitrate_kbps * 0.6)
    assert twin.playlist == "720p-hevc/playlist.m3u8"
    assert twin.codecs == "hvc1.1.6.L93.90,mp4a.40.2"
    assert twin.bandwidth == (twin.max_bitrate_kbps + 128) * 1000


@pytest.mark.parametrize(
    ("width", "height", "fps", "kbps", "level"),
    [
        (854, 480, 30, 840, "3.0"),  # 409,920 luma samples <= 552,960
        (1280, 720, 30, 1700, "3.1"),  # 921,600 <= 983,040
        (1280, 720, 60, 2500, "4.0"),  # 55.3 M samples/s > 3.1's 33.2 M
        (1920, 1080, 30, 3000, "4.0"),
        (1920, 1080, 60, 4500, "4.1"),  # 124 M samples/s > 4.0's 66.8 M
        (1920, 1080, 30, 15000, "4.1"),  # bitrate beyond 4.0's 12 Mbps (Main tier)
        (3840, 2160, 30, 12000, "5.0"),
        (3840, 2160, 60, 18000, "5.1"),
    ],
)
def test_the_level_is_the_lowest_whose_limits_hold(
    width: int, height: int, fps: int, kbps: int, level: str
) -> None:
    # GIVEN a picture, rate and bitrate WHEN the HEVC level is chosen THEN it is the lowest that fits
    chosen = heat.hevc_level(width, height, Fraction(fps), kbps, kbps)
    assert chosen.name == level
    assert heat.hevc_codec_tag(chosen) == f"hvc1.1.6.L{chosen.idc}.90"


def test_a_long_thin_picture_needs_the_level_whose_side_bound_holds() -> None:
    # GIVEN 4096x128 (few samples, but wider than level 3's sqrt(8 x 552,960) = 2,103)
    # WHEN the level is chosen THEN it is 4 (side bound 4,222), not 2
    assert heat.hevc_level(4096, 128, Fraction(30), 500, 500).name == "4.0"


def test_the_hevc_command_is_one_decode_with_the_ladders_gops_and_muxing() -> None:
    # GIVEN the twins of a 1080p ladder
    ladder = plan()
    twins = heat.heat_plan(ladder, ladder.renditions)
    # WHEN the command is built
    argv = heat.hevc_command(twins, SOURCE, OUT)
    # THEN one input, one split into three scaled chains at the ladder's rate
    assert _after(argv, "-i") == [SOURCE]
    (graph,) = _after(argv, "-filter_complex")
    assert graph.startswith(
        "[0:v:0]fps=30/1,split=3[r0][r1][r2];[r0]scale=1920:1080,setsar=1,format=yuv420p[v0]"
    )
    # AND each output is libx265 tagged hvc1, closed GOPs of the ladder's length forced as IDR, no scene cuts
    assert _after(argv, "-c:v") == ["libx265"] * 3 and _after(argv, "-tag:v") == ["hvc1"] * 3
    assert _after(argv, "-g") == ["60"] * 3 and _after(argv, "-forced-idr") == ["1"] * 3
    assert all(
        "scenecut=0" in p and "open-gop=0" in p and "keyint=60" in p for p in _after(argv, "-x265-params")
    )
    assert [p.split("level-idc=")[1].split(":")[0] for p in _after(argv, "-x265-params")] == [
        "4.0",
        "3.1",
        "3.0",
    ]
    assert _after(argv, "-b:v") == [f"{r.video_bitrate_kbps}k" for r in twins.renditions]
    # AND the HLS muxing is the H.264 ladder's (same -hls_time: segments cover the same times)
    for twin in twins.renditions:
        muxing = hls_output(twin, OUT)
        assert " ".join(muxing) in " ".join(argv)
    assert _after(argv, "-hls_time") == _after(ladder_command(ladder, SOURCE, OUT), "-hls_time")
    # AND the audio is the plan's AAC
    assert _after(argv, "-c:a") == ["aac"] * 3


def test_the_hevc_command_refuses_a_plan_that_is_not_hevc() -> None:
    # GIVEN the H.264 plan itself WHEN given to the HEVC command THEN invalid_plan
    with pytest.raises(InvalidRequest) as refused:
        heat.hevc_command(plan(), SOURCE, OUT)
    assert refused.value.code == "invalid_plan"


def test_only_hevc_is_offered() -> None:
    assert heat.check_codec("hevc") == "hevc"
    with pytest.raises(InvalidRequest) as refused:
        heat.check_codec("av1")
    assert refused.value.code == "unsupported_codec"


def _twin_variants(ladder: Plan) -> list[heat.Variant]:
    twins = heat.heat_plan(ladder, ladder.renditions[:2])
    measured = [MeasuredBandwidth(peak=9_000_000, average=2_000_000), None]
    return [heat.variant_of(t, m) for t, m in zip(twins.renditions, measured, strict=True)]


def test_the_merged_master_keeps_the_h264_variants_and_appends_the_twins() -> None:
    # GIVEN the ingest's master playlist and two twins (one measured above its planned peak)
    ladder = plan()
    existing = master_playlist(ladder)
    variants = _twin_variants(ladder)
    # WHEN merged
    merged = heat.merge_master(existing, variants)
    # THEN the existing text is kept, first, and each twin has its full EXT-X-STREAM-INF
    assert merged.startswith(existing)
    added = merged[len(existing) :].splitlines()
    assert added[1::2] == ["1080p-hevc/playlist.m3u8", "720p-hevc/playlist.m3u8"]
    assert added[0] == (
        "#EXT-X-STREAM-INF:BANDWIDTH=9000000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1920x1080,"
        'CODECS="hvc1.1.6.L120.90,mp4a.40.2",FRAME-RATE=30.000'
    )
    twin720 = heat.hevc_twin(ladder.renditions[1], ladder.audio)
    assert f"BANDWIDTH={twin720.bandwidth},AVERAGE-BANDWIDTH={twin720.average_bandwidth}," in added[2]


def test_merging_twice_lists_each_twin_once() -> None:
    # GIVEN a master already merged WHEN the same (re-measured) twins are merged again
    ladder = plan()
    existing = master_playlist(ladder)
    once = heat.merge_master(existing, _twin_variants(ladder))
    remeasured = [
        heat.Variant(**{**v.to_dict(), "bandwidth": v.bandwidth + 1}) for v in _twin_variants(ladder)
    ]
    twice = heat.merge_master(once, remeasured)
    # THEN each twin appears once, with the newer numbers, and the H.264 part is unchanged
    assert twice.count("1080p-hevc/playlist.m3u8") == 1 and twice.count("720p-hevc/playlist.m3u8") == 1
    assert twice.startswith(existing) and "BANDWIDTH=9000001," in twice
    assert heat.merge_master(twice, remeasured) == twice


def test_reclaimed_variants_leave_the_master_and_the_rest_stays_as_it_was() -> None:
    # GIVEN a master with the H.264 ladder and two twins
    ladder = plan()
    merged = heat.merge_master(master_playlist(ladder), _twin_variants(ladder))
    # WHEN the 1080p rendition and the 1080p twin are reclaimed
    left = heat.master_without(merged, {"1080p/playlist.m3u8", "1080p-hevc/playlist.m3u8"})
    # THEN neither is listed (nor their EXT-X-STREAM-INF), every other variant is, unchanged
    assert "1080p" not in left and "RESOLUTION=1920x1080" not in left
    kept = [line for line in merged.splitlines() if "1080" not in line]
    assert [line for line in left.splitlines() if not line.startswith("#EXT-X-STREAM-INF")] == [
        line for line in kept if not line.startswith("#EXT-X-STREAM-INF")
    ]
    assert left.count("#EXT-X-STREAM-INF") == merged.count("#EXT-X-STREAM-INF") - 2
    # AND removing nothing changes nothing
    assert heat.master_without(merged, set()) == merged


def test_a_text_that_is_not_a_playlist_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        heat.merge_master("<html>", [])
    assert refused.value.code == "invalid_playlist"


def test_variants_travel_as_json_and_malformed_ones_are_refused() -> None:
    # GIVEN a variant WHEN it round-trips through the workflow document THEN it is equal; broken input is refused
    (variant, _) = _twin_variants(plan())
    assert heat.Variant.from_dict(variant.to_dict()) == variant
    with pytest.raises(InvalidRequest):
        heat.Variant.from_dict({"uri": "x"})


def test_the_playback_record_gains_the_twins_once() -> None:
    # GIVEN the published renditions and the twins' entries
    (variant, _) = _twin_variants(plan())
    entry = heat.twin_playback_entry(variant, "1080p-hevc", "renditions/vid1/", 2_000_000)
    existing = [{"name": "1080p", "codec": "h264"}, {"name": "1080p-hevc", "codec": "hevc", "bitrate": 1}]
    # WHEN merged THEN the H.264 entries stay, the twin is replaced by its new entry
    merged = heat.merge_renditions(existing, [entry])
    assert [r["name"] for r in merged] == ["1080p", "1080p-hevc"]
    assert merged[1] == entry and entry["playlist_key"] == "renditions/vid1/1080p-hevc/playlist.m3u8"
    assert (entry["codec"], entry["codecs"]) == ("hevc", "hvc1.1.6.L120.90,mp4a.40.2")
