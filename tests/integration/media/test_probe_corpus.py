"""The probe against a bad-media corpus made by ffmpeg at test time: each file ends accepted, or refused
with the right code. Needs ffmpeg/ffprobe on PATH, no cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack.adapters.media.probe import probe_file, scan_boxes
from reelstack.domain.media.media import MediaInfo, ProbePolicy, UnplayableMedia
from tests.support.media_corpus import TRUNCATED_AT, build_corpus

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("bad-media"))


def refusal(path: Path, policy: ProbePolicy | None = None) -> str:
    with pytest.raises(UnplayableMedia) as caught:
        probe_file(str(path), policy or ProbePolicy())
    return caught.value.code


REFUSED = {
    "zero_bytes": "empty_file",
    "text_renamed": "not_media",
    "audio_only": "no_video_stream",
    "single_frame": "too_short",
    "dci_4k": "resolution_too_large",
    **{f"{name}_cut_{int(f * 100)}": "truncated_media" for f in TRUNCATED_AT for name in ("three_seconds", "faststart", "matroska")},
    "faststart_cut_at_packet_end": "truncated_media",
}  # fmt: skip


@pytest.mark.parametrize(("case", "code"), sorted(REFUSED.items()))
def test_bad_media_is_refused_with_its_code(corpus: dict[str, Path], case: str, code: str) -> None:
    # GIVEN a file of the bad-media corpus
    # WHEN it is probed under the default policy
    # THEN it is refused with the code that names what is wrong with it
    assert refusal(corpus[case]) == code


def test_longer_than_the_limit_is_refused(corpus: dict[str, Path]) -> None:
    # GIVEN a 3 s clip and a policy allowing at most 2 s
    # WHEN probed
    # THEN too long
    assert refusal(corpus["three_seconds"], ProbePolicy(max_duration_s=2)) == "too_long"


def accepted(path: Path) -> MediaInfo:
    return probe_file(str(path), ProbePolicy())


def test_a_complete_clip_is_accepted_whatever_its_layout(corpus: dict[str, Path]) -> None:
    # GIVEN the same 3 s clip with its index at the end, first, and in Matroska
    # WHEN probed
    # THEN each is accepted with its facts
    for name in ("three_seconds", "faststart", "matroska"):
        info = accepted(corpus[name])
        assert (info.width, info.height, info.rotation, info.display_aspect) == (320, 240, 0, "4:3")
        assert (info.video_codec, info.audio_codec, info.has_audio) == ("h264", "aac", True)
        assert info.duration_s == pytest.approx(3.0, abs=0.05)
        assert (info.frame_rate, info.variable_frame_rate) == (30.0, False)
        assert info.size_bytes == corpus[name].stat().st_size and (info.bitrate or 0) > 0


def test_portrait_with_rotation_metadata_is_accepted_turned(corpus: dict[str, Path]) -> None:
    # GIVEN 1280x720 coded with a display matrix turning it a quarter clockwise
    info = accepted(corpus["portrait_rotated"])
    # THEN it is recorded as a 720x1280 portrait video
    assert (info.width, info.height, info.rotation) == (1280, 720, 90)
    assert (info.display_width, info.display_height, info.display_aspect) == (720, 1280, "9:16")


def test_59_94_fps_with_dropped_frames_is_accepted_as_variable(corpus: dict[str, Path]) -> None:
    # GIVEN 59.94 fps timestamps with 40 of 180 frames dropped irregularly
    info = accepted(corpus["vfr_59_94"])
    # THEN accepted, its average rate recorded and flagged variable
    assert info.variable_frame_rate
    assert info.frame_rate == pytest.approx(140 / 3.003, abs=0.05)


def test_4k_uhd_is_accepted(corpus: dict[str, Path]) -> None:
    info = accepted(corpus["uhd_4k"])
    assert (info.width, info.height, info.display_aspect) == (3840, 2160, "16:9")


def test_a_clip_without_audio_is_accepted(corpus: dict[str, Path]) -> None:
    info = accepted(corpus["no_audio"])
    assert (info.has_audio, info.audio_codec, info.container) == (False, None, "mov,mp4,m4a,3gp,3g2,mj2")


def test_the_box_walk_tells_a_cut_mp4_from_a_text_file(corpus: dict[str, Path]) -> None:
    # GIVEN ffprobe says "moov atom not found" for both a cut MP4 (index at the end) and a text file
    # WHEN their top-level boxes are walked
    # THEN the MP4 is ISO base media missing its index, the text file is not ISO base media at all
    cut_mp4, text = scan_boxes(str(corpus["three_seconds_cut_60"])), scan_boxes(str(corpus["text_renamed"]))
    assert (cut_mp4.isobmff, cut_mp4.truncated, cut_mp4.has_moov) == (True, True, False)
    assert not text.isobmff
    whole = scan_boxes(str(corpus["faststart"]))
    assert (whole.isobmff, whole.truncated, whole.has_moov) == (True, False, True)


def test_refusals_carry_a_readable_message(corpus: dict[str, Path]) -> None:
    # GIVEN refusals whose message comes from ffprobe's or ffmpeg's log
    for case in ("text_renamed", "matroska_cut_60"):
        # WHEN refused
        with pytest.raises(UnplayableMedia) as caught:
            probe_file(str(corpus[case]))
        # THEN the message says why, without the temporary path or ffmpeg's log context addresses
        message = caught.value.message
        assert message and "@ 0x" not in message and str(corpus[case]) not in message
