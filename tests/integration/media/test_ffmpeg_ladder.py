"""The ffmpeg ladder on real clips made at test time, checked with ffprobe: sizes, codecs, audio, segment
lengths, aligned keyframes, single-file renditions (two files each, byte ranges that tile the media file
and each start on a keyframe), the master playlist, poster and sprite; failures leave nothing behind;
the Transcode stage uploads everything to the local cloud's media bucket. Needs ffmpeg/ffprobe on PATH;
only the stage's tests start the local cloud.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters.media.probe import probe_file
from reelstack.adapters.media.transcoder import FfmpegTranscoder, TranscodeFailed, TranscodeOutput
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.backends import LambdaBudget
from reelstack.domain.media.hls import ByteRange, parse_media_playlist
from reelstack.domain.media.rendition_spec import RenditionSpec
from reelstack.domain.media.renditions import Plan, Rendition, plan_renditions
from reelstack.errors import DependencyFailed, NotFound
from reelstack.services.media.transcode import TranscodeStage
from tests.support.cloud_stores import media_storage
from tests.support.media_corpus import X264, ffmpeg, pattern, tone

pytestmark = pytest.mark.integration

SECONDS = 5  # three 2 s segments: two whole, one short (every case makes three segments)
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
}


@dataclass(frozen=True)
class Case:
    source: Path
    spec: RenditionSpec


@dataclass(frozen=True)
class Made:
    plan: Plan
    output: TranscodeOutput
    out_dir: Path


def ffprobe(path: Path | str, *args: str) -> dict[str, Any]:
    command = ["ffprobe", "-v", "error", *args, "-of", "json", str(path)]
    return dict(json.loads(subprocess.run(command, check=True, capture_output=True, timeout=60).stdout))


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    d = tmp_path_factory.mktemp("ladder-sources")
    landscape = d / "landscape_1080p30.mp4"
    ffmpeg(*pattern("1920x1080", "30", SECONDS), *tone(SECONDS), *X264, "-c:a", "aac", "-shortest", landscape)
    # A phone's portrait: 1280x720 coded, turned a quarter clockwise by its display matrix; no audio.
    coded = d / "coded_1280x720.mp4"
    ffmpeg(*pattern("1280x720", "30", SECONDS), *X264, "-an", coded)
    portrait = d / "portrait_rotated_silent.mp4"
    ffmpeg("-i", coded, "-c", "copy", "-metadata:s:v:0", "rotate=270", portrait)
    ntsc = d / "ntsc_59_94.mp4"
    ffmpeg(
        *pattern("640x360", "60000/1001", SECONDS), *tone(SECONDS), *X264, "-c:a", "aac", "-shortest", ntsc
    )
    # 25 fps with 2.5 s segments: 62.5 frames round to a 62-frame GOP, a little shorter than a segment.
    pal = d / "pal_25.mp4"
    ffmpeg(*pattern("480x270", "25", 6), *tone(6), *X264, "-c:a", "aac", "-shortest", pal)
    return {
        "landscape_1080p30_audio": Case(landscape, RenditionSpec()),
        "portrait_rotated_silent": Case(portrait, RenditionSpec()),
        "ntsc_59_94_audio": Case(ntsc, RenditionSpec(ladder=(360, 240))),  # small, yet two renditions
        "pal_25_short_gop": Case(pal, RenditionSpec(ladder=(270, 144), segment_seconds=2.5)),
    }


def plan_for(source: Path, spec: RenditionSpec, video_id: str = "vid1") -> Plan:
    return plan_renditions(video_id, probe_file(str(source)), spec, LambdaBudget())


@pytest.fixture(scope="module")
def made(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Made]:
    """Every case transcoded once by the default transcoder (veryfast)."""
    results = {}
    for name, case in cases.items():
        plan = plan_for(case.source, case.spec)
        out_dir = tmp_path_factory.mktemp(f"out-{name}")
        results[name] = Made(plan, FfmpegTranscoder().run(plan, str(case.source), str(out_dir)), out_dir)
    return results


CASES = ["landscape_1080p30_audio", "portrait_rotated_silent", "ntsc_59_94_audio", "pal_25_short_gop"]


def streams(playlist: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    found = ffprobe(playlist, "-show_streams")["streams"]
    video = [s for s in found if s["codec_type"] == "video"]
    audio = [s for s in found if s["codec_type"] == "audio"]
    assert len(video) == 1 and len(audio) <= 1
    return video[0], (audio[0] if audio else None)


def gop_seconds(rendition: Rendition) -> float:
    return float(rendition.keyframe_interval_frames / Fraction(rendition.frame_rate_fraction))


@pytest.mark.parametrize("case", CASES)
def test_each_rendition_is_h264_high_at_exactly_its_planned_size(made: dict[str, Made], case: str) -> None:
    # GIVEN a clip transcoded by the ladder
    result = made[case]
    for rendition in result.plan.renditions:
        # WHEN its media playlist is opened by ffprobe
        video, audio = streams(result.out_dir / rendition.playlist)
        # THEN the video is H.264 High at the planned size, upright, with square pixels
        assert (video["codec_name"], video["profile"]) == ("h264", "High")
        assert (video["width"], video["height"]) == (rendition.width, rendition.height)
        assert video.get("sample_aspect_ratio", "1:1") == "1:1"
        assert not any("rotation" in side for side in video.get("side_data_list", []))
        assert Fraction(video["r_frame_rate"]) == Fraction(rendition.frame_rate_fraction)
        # AND AAC stereo 48 kHz is there exactly when the plan has audio
        if result.plan.audio is None:
            assert audio is None
        else:
            assert audio is not None
            assert (audio["codec_name"], audio["channels"], int(audio["sample_rate"])) == ("aac", 2, 48000)


def test_the_portrait_clip_comes_out_portrait(made: dict[str, Made]) -> None:
    # GIVEN 1280x720 coded with a quarter-turn display matrix
    plan = made["portrait_rotated_silent"].plan
    # THEN every rendition is taller than wide (720x1280 first)
    assert (plan.renditions[0].width, plan.renditions[0].height) == (720, 1280)
    assert all(r.height > r.width for r in plan.renditions)


@pytest.mark.parametrize("case", CASES)
def test_every_segment_lasts_one_gop_except_the_last(made: dict[str, Made], case: str) -> None:
    result = made[case]
    lists = []
    for rendition in result.plan.renditions:
        # WHEN a rendition's playlist is read
        playlist = parse_media_playlist((result.out_dir / rendition.playlist).read_text())
        durations = [segment.duration_s for segment in playlist.segments]
        frame = 1 / rendition.frame_rate
        # THEN every segment but the last is one GOP, i.e. the segment length to within a frame
        assert len(durations) == 3, durations
        for duration in durations[:-1]:
            assert duration == pytest.approx(gop_seconds(rendition), abs=0.0005)
            assert abs(duration - result.plan.segment_seconds) <= frame
        # AND the last is no longer; together they last as long as the source
        assert 0 < durations[-1] <= gop_seconds(rendition) + 0.0005
        assert playlist.duration_s == pytest.approx(result.plan.source.duration_s, abs=2 * frame)
        assert playlist.ended and playlist.playlist_type == "VOD" and playlist.version == 7
        lists.append(durations)
    # AND every rendition is cut at the same times
    assert all(durations == lists[0] for durations in lists)


def keyframe_times(playlist: Path) -> list[float]:
    packets = ffprobe(playlist, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags")["packets"]
    return [float(p["pts_time"]) for p in packets if "K" in p["flags"]]


@pytest.mark.parametrize("case", CASES)
def test_keyframes_are_at_the_same_times_in_every_rendition(made: dict[str, Made], case: str) -> None:
    result = made[case]
    top = result.plan.renditions[0]
    playlist = parse_media_playlist((result.out_dir / top.playlist).read_text())
    # WHEN each rendition's key frames are listed by ffprobe
    times = [keyframe_times(result.out_dir / r.playlist) for r in result.plan.renditions]
    # THEN they are the same in every rendition
    assert all(t == pytest.approx(times[0], abs=0.0005) for t in times)
    # AND there is exactly one per segment, where each segment starts (no scene-cut key frames)
    starts = [sum(s.duration_s for s in playlist.segments[:i]) for i in range(len(playlist.segments))]
    assert [t - times[0][0] for t in times[0]] == pytest.approx(starts, abs=0.0005)


@pytest.mark.parametrize("case", CASES)
def test_each_rendition_is_one_media_file_and_its_playlist(made: dict[str, Made], case: str) -> None:
    result = made[case]
    for rendition in result.plan.renditions:
        # WHEN a rendition's folder and playlist are read
        folder = result.out_dir / rendition.name
        playlist = parse_media_playlist((result.out_dir / rendition.playlist).read_text())
        # THEN it is two files: the playlist and media-<16 hex>.mp4 (named after the first 16 hex digits
        # of its SHA-256), which every segment and the init point into
        (media,) = playlist.resources
        assert sorted(p.name for p in folder.iterdir()) == [media, "playlist.m3u8"]
        assert media == content_name(folder / media) and len(playlist.segments) == 3
        # AND the init section starts the file and the segments follow it back to back to its end
        assert playlist.init_range is not None and playlist.init_range.offset == 0
        ranges = [playlist.init_range, *(s.byte_range for s in playlist.segments if s.byte_range)]
        assert len(ranges) == 1 + len(playlist.segments)
        assert all(a.end == b.offset for a, b in pairwise(ranges))
        assert ranges[-1].end == (folder / media).stat().st_size


def content_name(path: Path) -> str:
    """media-<first 16 hex digits of the file's SHA-256>.mp4"""
    return f"media-{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.mp4"


def media_file(out_dir: Path, rendition: Rendition) -> Path:
    """The one file a rendition's playlist reads."""
    (uri,) = parse_media_playlist((out_dir / rendition.playlist).read_text()).resources
    return out_dir / rendition.name / uri


def read_range(path: Path, byte_range: ByteRange) -> bytes:
    with path.open("rb") as file:
        file.seek(byte_range.offset)
        return file.read(byte_range.length)


@pytest.mark.parametrize("case", CASES)
def test_each_byte_range_is_one_gop_that_starts_on_a_keyframe(
    made: dict[str, Made], case: str, tmp_path: Path
) -> None:
    result = made[case]
    for rendition in result.plan.renditions:
        media = media_file(result.out_dir, rendition)
        playlist = parse_media_playlist((result.out_dir / rendition.playlist).read_text())
        assert playlist.init_range is not None
        init = read_range(media, playlist.init_range)
        start = 0.0
        for index, segment in enumerate(playlist.segments):
            # WHEN one segment's bytes (after the init section) are probed on their own, as a player
            # that fetched just that range would decode them
            assert segment.byte_range is not None
            alone = tmp_path / f"{rendition.name}-{index}.mp4"
            alone.write_bytes(init + read_range(media, segment.byte_range))
            packets = ffprobe(alone, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags")[
                "packets"
            ]
            # THEN it starts on its only keyframe and lasts its playlist duration (one GOP)
            assert [i for i, p in enumerate(packets) if "K" in p["flags"]] == [0], (rendition.name, index)
            frames = len(packets) / rendition.frame_rate
            assert frames == pytest.approx(segment.duration_s, abs=0.0005)
            if index < len(playlist.segments) - 1:
                assert len(packets) == rendition.keyframe_interval_frames
            first = float(packets[0]["pts_time"])
            assert first - float(ffprobe_first_pts(media)) == pytest.approx(start, abs=0.0005)
            start += segment.duration_s


def ffprobe_first_pts(media: Path) -> str:
    packets = ffprobe(
        media, "-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "packet=pts_time"
    )
    return str(packets["packets"][0]["pts_time"])


def test_a_media_file_shorter_than_its_byte_ranges_is_not_reported_as_made(
    made: dict[str, Made], tmp_path: Path
) -> None:
    # GIVEN a real ladder output whose top rendition's media file lost its last bytes
    result = made["ntsc_59_94_audio"]
    out_dir = tmp_path / "out"
    shutil.copytree(result.out_dir, out_dir)
    rendition = result.plan.renditions[0]
    media = media_file(out_dir, rendition)
    media.write_bytes(media.read_bytes()[:-100])
    # WHEN the transcoder collects it THEN it fails, naming the range past the end of the file
    with pytest.raises(TranscodeFailed) as caught:
        FfmpegTranscoder()._collect(result.plan, str(out_dir), 1.0)
    assert f"past the end of {media.name}" in caught.value.message


def master_variants(text: str) -> list[tuple[dict[str, str], str]]:
    lines = text.splitlines()
    return [
        (dict(re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1])), lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]


@pytest.mark.parametrize("case", CASES)
def test_the_master_playlist_describes_what_was_made(made: dict[str, Made], case: str) -> None:
    result = made[case]
    master = result.out_dir / result.plan.master_playlist
    found = master_variants(master.read_text())
    # THEN it lists every rendition, highest first, with its real resolution and codecs
    assert [uri for _, uri in found] == [r.playlist for r in result.plan.renditions]
    for (attrs, uri), rendition in zip(found, result.plan.renditions, strict=True):
        video, audio = streams(result.out_dir / uri)
        assert attrs["RESOLUTION"] == f"{video['width']}x{video['height']}"
        codecs = attrs["CODECS"].strip('"').split(",")
        avc = re.fullmatch(r"avc1\.([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})", codecs[0])
        assert avc is not None  # the RFC 6381 tag matches the stream: High = 100, level x 10
        assert (int(avc.group(1), 16), int(avc.group(3), 16)) == (100, int(video["level"]))
        assert codecs[1:] == ([] if audio is None else ["mp4a.40.2"])
        assert int(attrs["BANDWIDTH"]) >= int(attrs["AVERAGE-BANDWIDTH"]) > 0
        assert float(attrs["FRAME-RATE"]) == pytest.approx(rendition.frame_rate, abs=0.001)
    # AND ffprobe opens the master and finds one program per rendition
    programs = ffprobe(master, "-show_programs")["programs"]
    sizes = sorted(
        (s["width"], s["height"]) for p in programs for s in p["streams"] if s["codec_type"] == "video"
    )
    assert sizes == sorted((r.width, r.height) for r in result.plan.renditions)


@pytest.mark.parametrize("case", CASES)
def test_poster_and_sprite_are_jpegs_of_their_planned_sizes(made: dict[str, Made], case: str) -> None:
    result = made[case]
    poster, sprite = result.plan.poster, result.plan.sprite
    assert poster is not None and sprite is not None
    (image,) = ffprobe(result.out_dir / poster.key, "-show_streams")["streams"]
    assert (image["codec_name"], image["width"], image["height"]) == ("mjpeg", poster.width, poster.height)
    (sheet,) = ffprobe(result.out_dir / sprite.key, "-show_streams")["streams"]
    expected = (sprite.columns * sprite.thumb_width, sprite.rows * sprite.thumb_height)
    assert (sheet["codec_name"], sheet["width"], sheet["height"]) == ("mjpeg", *expected)
    index = (result.out_dir / sprite.index_key).read_text()
    assert index.startswith("WEBVTT") and index.count(" --> ") == sprite.count == 3


@pytest.mark.parametrize("case", CASES)
def test_the_output_lists_every_file_made_and_measures_each_rendition(
    made: dict[str, Made], case: str
) -> None:
    result = made[case]
    output = result.output
    # THEN the listed files are exactly the files on disk, each with its content type, the master last
    on_disk = sorted(str(p.relative_to(result.out_dir)) for p in result.out_dir.rglob("*") if p.is_file())
    assert sorted(f.key for f in output.files) == on_disk
    assert output.files[-1].key == result.plan.master_playlist
    for file in output.files:
        assert Path(file.path) == result.out_dir / file.key
        assert file.content_type == CONTENT_TYPES[os.path.splitext(file.key)[1]]
    assert (output.poster_key, output.sprite_key, output.sprite_index_key) == (
        "poster.jpg",
        "sprite.jpg",
        "sprite.vtt",
    )
    # AND each rendition is reported as made, its bitrate near the plan's target (video + audio)
    for made_rendition, rendition in zip(output.renditions, result.plan.renditions, strict=True):
        assert (made_rendition.name, made_rendition.width, made_rendition.height) == (
            rendition.name,
            rendition.width,
            rendition.height,
        )
        assert (made_rendition.codec, made_rendition.codecs) == ("h264", rendition.codecs)
        assert made_rendition.playlist == rendition.playlist
        assert 0.5 < made_rendition.bitrate / rendition.average_bandwidth < 1.5
        assert made_rendition.peak_bitrate >= made_rendition.bitrate * 0.9
        # AND the bitrate counts the segments' byte ranges: the media file without its init section
        playlist = parse_media_playlist((result.out_dir / rendition.playlist).read_text())
        ranged = sum(s.byte_range.length for s in playlist.segments if s.byte_range is not None)
        assert made_rendition.bitrate == round(ranged * 8 / playlist.duration_s)
        media_bytes = media_file(result.out_dir, rendition).stat().st_size
        assert playlist.init_range is not None and ranged == media_bytes - playlist.init_range.length
    assert output.encode_seconds > 0
    assert output.duration_s == pytest.approx(result.plan.source.duration_s, abs=0.05)


def test_two_encodes_are_named_after_their_own_bytes(small_plan: tuple[Plan, Path], tmp_path: Path) -> None:
    # GIVEN one source encoded twice with the same settings, and once with another preset
    plan, clip = small_plan
    runs = {
        "first": FfmpegTranscoder(),
        "second": FfmpegTranscoder(),
        "ultrafast": FfmpegTranscoder(preset="ultrafast"),
    }
    media: dict[str, Path] = {}
    for label, transcoder in runs.items():
        out_dir = tmp_path / label
        out_dir.mkdir()
        # WHEN each is transcoded
        transcoder.run(plan, str(clip), str(out_dir))
        media[label] = media_file(out_dir, plan.renditions[0])
    # THEN every media file is named after the SHA-256 of its own bytes
    for path in media.values():
        assert path.name == content_name(path)
    # AND two encodes share a name exactly when their bytes are the same
    same_bytes = media["first"].read_bytes() == media["second"].read_bytes()
    assert (media["first"].name == media["second"].name) is same_bytes
    # AND an encode whose bytes differ (another preset) gets another name, so a CDN that cached the
    # first file as immutable can never serve it against the other encode's byte ranges
    assert media["ultrafast"].read_bytes() != media["first"].read_bytes()
    assert media["ultrafast"].name != media["first"].name


# --- failures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """A 320x240 clip (one rendition) and its plan; faststart, so a copy with its data zeroed still probes."""
    d = tmp_path_factory.mktemp("small")
    clip = d / "small.mp4"
    ffmpeg(*pattern(seconds=3), *tone(3), *X264, "-c:a", "aac", "-shortest", "-movflags", "+faststart", clip)
    return plan_for(clip, RenditionSpec()), clip


def leftovers(out_dir: Path) -> list[str]:
    return sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*"))


def test_a_source_ffmpeg_cannot_read_fails_with_ffmpeg_s_reason(
    small_plan: tuple[Plan, Path], tmp_path: Path
) -> None:
    # GIVEN a text file where the original should be
    plan, _ = small_plan
    source = tmp_path / "original"
    source.write_text("not a video\n" * 50)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # WHEN it is transcoded
    with pytest.raises(TranscodeFailed) as caught:
        FfmpegTranscoder().run(plan, str(source), str(out_dir))
    # THEN transcode_failed, with ffmpeg's reason and without the temporary path; nothing is left behind
    assert caught.value.code == "transcode_failed"
    assert "Invalid data" in caught.value.message and str(tmp_path) not in caught.value.message
    assert leftovers(out_dir) == []


def test_a_source_that_decodes_to_nothing_says_so(small_plan: tuple[Plan, Path], tmp_path: Path) -> None:
    # GIVEN a clip whose index is intact but whose media data is all zeros
    plan, clip = small_plan
    data = bytearray(clip.read_bytes())
    start = data.index(b"mdat") + 4
    data[start:] = bytes(len(data) - start)
    source = tmp_path / "zeroed.mp4"
    source.write_bytes(bytes(data))
    # WHEN it is transcoded
    with pytest.raises(TranscodeFailed) as caught:
        FfmpegTranscoder().run(plan, str(source), str(tmp_path))
    # THEN the error says no frames came out, and no output is left
    assert caught.value.code == "transcode_failed"
    assert "decoded to no video frames" in caught.value.message
    assert leftovers(tmp_path) == ["zeroed.mp4"]


def test_a_run_past_its_time_limit_is_stopped_and_cleaned(
    small_plan: tuple[Plan, Path], tmp_path: Path
) -> None:
    plan, clip = small_plan
    with pytest.raises(TranscodeFailed) as caught:
        FfmpegTranscoder(timeout_s=0.05).run(plan, str(clip), str(tmp_path))
    assert caught.value.code == "transcode_timeout"
    assert leftovers(tmp_path) == []


def test_a_missing_ffmpeg_is_a_dependency_failure(small_plan: tuple[Plan, Path], tmp_path: Path) -> None:
    plan, clip = small_plan
    with pytest.raises(DependencyFailed) as caught:
        FfmpegTranscoder(ffmpeg=str(tmp_path / "no-ffmpeg")).run(plan, str(clip), str(tmp_path))
    assert caught.value.code == "transcoder_unavailable"
    assert leftovers(tmp_path) == []


# --- the Transcode stage: original in the local cloud's media bucket -> outputs there ---------------


@pytest.fixture
def storage(local_cloud: Any) -> MediaStorage:
    """The media bucket of the local cloud (template.yaml's MediaBucket)."""
    return media_storage(local_cloud)


@pytest.fixture
def video_plan(small_plan: tuple[Plan, Path]) -> tuple[str, Plan, Path]:
    """The small clip's plan for a video id of its own (the media bucket is shared by the session)."""
    _, clip = small_plan
    video_id = f"ladder-{uuid.uuid4().hex[:12]}"
    return video_id, plan_for(clip, RenditionSpec(), video_id), clip


def stored(storage: MediaStorage, prefix: str) -> dict[str, dict[str, Any]]:
    return {
        o.key: storage.s3.head_object(Bucket=storage.bucket, Key=o.key) for o in storage.list_objects(prefix)
    }


def test_the_stage_uploads_every_output_under_the_plan_s_prefix(
    storage: MediaStorage, video_plan: tuple[str, Plan, Path], tmp_path: Path
) -> None:
    # GIVEN an original in the bucket and its plan
    video_id, plan, clip = video_plan
    original = f"originals/{video_id}"
    storage.s3.upload_file(str(clip), storage.bucket, original)
    stage = TranscodeStage(storage, FfmpegTranscoder(), scratch_root=str(tmp_path))
    # WHEN the stage runs
    result = stage.transcode(video_id, original, plan)
    # THEN every output is in the bucket under renditions/{video_id}/, with its content type and caching
    objects = stored(storage, plan.output_prefix)
    playlist = parse_media_playlist(
        storage.read(f"{plan.output_prefix}{plan.renditions[0].playlist}").decode()
    )
    expected = {"master.m3u8", "poster.jpg", "sprite.jpg", "sprite.vtt"} | {
        f"{plan.renditions[0].name}/{name}" for name in ("playlist.m3u8", *playlist.resources)
    }
    assert set(objects) == {f"{plan.output_prefix}{key}" for key in expected}
    # AND the rendition is two objects, its media file served as MP4
    (media,) = playlist.resources
    media_key = f"{plan.output_prefix}{plan.renditions[0].name}/{media}"
    media_bytes = storage.read(media_key)
    assert media == f"media-{hashlib.sha256(media_bytes).hexdigest()[:16]}.mp4"
    assert len([key for key in objects if f"/{plan.renditions[0].name}/" in key]) == 2
    for key, head in objects.items():
        assert head["ContentType"] == CONTENT_TYPES[os.path.splitext(key)[1]]
        rewritable = key.endswith((".m3u8", ".vtt"))
        assert ("immutable" in head["CacheControl"]) is not rewritable
    # AND the answer names the keys and the rendition as measured, as JSON
    assert json.loads(json.dumps(result)) == result
    assert result["master_key"] == f"{plan.output_prefix}master.m3u8"
    for key in ("master_key", "poster_key", "sprite_key", "sprite_index_key"):
        assert result[key] in objects
    (rendition,) = result["renditions"]
    assert rendition["playlist_key"] in objects
    assert (rendition["name"], rendition["width"], rendition["height"], rendition["codec"]) == (
        "240p",
        320,
        240,
        "h264",
    )
    assert rendition["bitrate"] > 0 and result["encode_seconds"] > 0
    # AND the scratch folder is gone
    assert list(tmp_path.iterdir()) == []
    # AND running again overwrites the playlists and images under the same keys, while the media file
    # goes under the name of its new content (the same name only if the bytes are the same)
    again = stage.transcode(video_id, original, plan)
    assert again["master_key"] == result["master_key"] and list(tmp_path.iterdir()) == []
    (new_media,) = parse_media_playlist(
        storage.read(f"{plan.output_prefix}{plan.renditions[0].playlist}").decode()
    ).resources
    new_key = f"{plan.output_prefix}{plan.renditions[0].name}/{new_media}"
    assert new_media == f"media-{hashlib.sha256(storage.read(new_key)).hexdigest()[:16]}.mp4"
    assert set(stored(storage, plan.output_prefix)) == set(objects) | {new_key}
    # AND the first run's media file still holds the first run's bytes (a cached playlist still plays)
    assert storage.read(media_key) == media_bytes


def test_a_failed_stage_uploads_nothing_and_cleans_its_scratch(
    storage: MediaStorage, video_plan: tuple[str, Plan, Path], tmp_path: Path
) -> None:
    video_id, plan, _ = video_plan
    original = f"originals/{video_id}"
    stage = TranscodeStage(storage, FfmpegTranscoder(), scratch_root=str(tmp_path))
    # GIVEN no original at all
    with pytest.raises(NotFound):
        stage.transcode(video_id, original, plan)
    assert list(tmp_path.iterdir()) == []
    # GIVEN an original that is not a video
    storage.s3.put_object(Bucket=storage.bucket, Key=original, Body=b"not a video\n" * 100)
    with pytest.raises(TranscodeFailed):
        stage.transcode(video_id, original, plan)
    # THEN nothing was uploaded and the scratch folder is gone
    assert storage.list_objects(plan.output_prefix) == []
    assert list(tmp_path.iterdir()) == []


def test_the_same_decode_leaves_candidate_stills_at_each_scene(tmp_path: Path) -> None:
    # GIVEN three 2 s scenes (test pattern, red, bars) and a transcoder that keeps stills for moderation
    from reelstack.domain.media.moderation import DEFAULT_POLICY
    from reelstack_tools.demo_media import three_scene_clip

    source = three_scene_clip(tmp_path / "scenes.mp4")
    plan = plan_for(source, RenditionSpec(ladder=(240,)))
    out = tmp_path / "out"
    out.mkdir()
    # WHEN the ladder runs
    made = FfmpegTranscoder(moderation=DEFAULT_POLICY).run(plan, str(source), str(out))
    # THEN there are JPEG stills, timed, including one within 0.25 s after each scene starts
    times = [time_s for time_s, _ in made.stills]
    assert times == sorted(times) and len(times) <= 5 * DEFAULT_POLICY.max_frames
    for scene_start in (0.0, 2.0, 4.0):
        assert any(0 <= t - scene_start <= 0.25 for t in times), (scene_start, times)
    assert all(Path(path).read_bytes()[:3] == b"\xff\xd8\xff" for _, path in made.stills)
    # AND stills are not among the files published under renditions/
    assert not any(file.key.startswith("stills/") for file in made.files)
