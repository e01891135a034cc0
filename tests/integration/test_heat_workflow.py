"""The high-heat workflow on the local cloud: a published video gains playable HEVC twins of its H.264
renditions (single-file, byte-range HLS like the ladder's), listed in its master playlist with their
CODECS; the H.264 variants stay as they were."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
import urllib.request
from datetime import timedelta
from typing import Any

import pytest

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.clock import utc_now
from reelstack.domain.media.hls import ByteRange, parse_media_playlist
from reelstack.services.media.media_reclaim import MARKERS, RECLAIM_AFTER_S, MediaReclaimer
from reelstack_tools.demo_media import three_scene_clip
from tests.support.http import Api
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

MEDIA_NAME = re.compile(r"media-[0-9a-f]{16}\.mp4")
HEVC_CODECS = re.compile(r'CODECS="(hvc1\.1\.6\.L(\d+)\.90),mp4a\.40\.2"')


def _get(url: str, byte_range: ByteRange | None = None) -> bytes:
    headers = {} if byte_range is None else {"Range": byte_range.http_range}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        assert response.status == (200 if byte_range is None else 206)
        return bytes(response.read())


def _run_heat(
    sfn: Any, arn: str, name: str, document: dict[str, Any], timeout: float = 300
) -> dict[str, Any]:
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document))
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(described)
        time.sleep(0.5)


def _variants(master: str) -> dict[str, str]:
    """URI -> its EXT-X-STREAM-INF line."""
    lines = master.splitlines()
    return {lines[i + 1]: line for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF")}


def _segment_durations(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line.startswith("#EXTINF")]


@pytest.fixture(scope="module")
def published(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 6 s 720p clip with audio, published (ladder 720p + 480p), and its master playlist as published."""
    clip = three_scene_clip(tmp_path_factory.mktemp("heat") / "clip.mp4", size="1280x720")
    video_id = upload_bytes(alice, clip.read_bytes(), title="rising")
    video = wait_for_status(alice, video_id, timeout=240)
    assert video["status"] == "PUBLISHED", video
    return {"video": video, "master": _get(video["playback_url"]).decode()}


@pytest.fixture(scope="module")
def heated(published: dict[str, Any], cloud_sfn: Any, local_cloud: Any, alice: Api) -> dict[str, Any]:
    video = published["video"]
    arn = str(local_cloud.arn("HeatStateMachine"))
    started = time.monotonic()
    execution = _run_heat(
        cloud_sfn, arn, f"{video['video_id']}-hevc", {"video_id": video["video_id"], "codec": "hevc"}
    )
    seconds = time.monotonic() - started
    base = video["playback_url"].rsplit("/", 1)[0]
    return {
        "execution": execution,
        "seconds": seconds,
        "arn": arn,
        "master": _get(video["playback_url"]).decode(),
        "video": alice.call("GET", f"/videos/{video['video_id']}").body,
        "twin_media": {  # each twin's media file as the first run named it
            name: parse_media_playlist(_get(f"{base}/{name}/playlist.m3u8").decode()).resources[0]
            for name in ("720p-hevc", "480p-hevc")
        }
        if execution["status"] == "SUCCEEDED"
        else {},
    }


def test_the_heat_workflow_adds_hevc_variants_with_their_codecs(
    published: dict[str, Any], heated: dict[str, Any]
) -> None:
    # GIVEN a published video WHEN the heat workflow runs with codec hevc THEN it succeeds
    assert heated["execution"]["status"] == "SUCCEEDED", heated["execution"]
    before, after = _variants(published["master"]), _variants(heated["master"])
    # AND the master keeps every H.264 variant exactly, first, and adds one HEVC twin per rendition
    assert heated["master"].startswith(published["master"])
    assert sorted(set(after) - set(before)) == ["480p-hevc/playlist.m3u8", "720p-hevc/playlist.m3u8"]
    for uri in ("720p-hevc/playlist.m3u8", "480p-hevc/playlist.m3u8"):
        line = after[uri]
        assert HEVC_CODECS.search(line), line
        assert "AVERAGE-BANDWIDTH=" in line and "FRAME-RATE=" in line
    assert "RESOLUTION=1280x720" in after["720p-hevc/playlist.m3u8"]
    assert "RESOLUTION=854x480" in after["480p-hevc/playlist.m3u8"]


def test_the_hevc_variant_plays_through_the_cdn_and_matches_its_codecs(
    published: dict[str, Any], heated: dict[str, Any]
) -> None:
    # GIVEN the heated video's 720p HEVC variant, fetched through the CDN (public objects only)
    base = published["video"]["playback_url"].rsplit("/", 1)[0]
    variant_url = f"{base}/720p-hevc/playlist.m3u8"
    # WHEN ffprobe reads it THEN it is HEVC 1280x720 tagged hvc1, with audio, and decodes
    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,codec_tag_string,width,height",
             "-of", "json", variant_url],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
    )  # fmt: skip
    video = next(s for s in probed["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["height"]) == ("hevc", 1280, 720)
    assert any(s["codec_type"] == "audio" for s in probed["streams"])
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", variant_url, "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr
    # AND the CODECS level is the level the bitstream declares (hvcC in the init section, fetched
    # through the CDN with the Range the playlist's EXT-X-MAP names, as a player fetches it)
    twin = parse_media_playlist(_get(variant_url).decode())
    assert twin.init_uri is not None and MEDIA_NAME.fullmatch(twin.init_uri) and twin.init_range is not None
    assert twin.resources == (twin.init_uri,)
    init = _get(f"{base}/720p-hevc/{twin.init_uri}", twin.init_range)
    assert len(init) == twin.init_range.length and init[4:8] == b"ftyp"
    hvcc = init[init.index(b"hvcC") + 4 :]
    codecs = HEVC_CODECS.search(_variants(heated["master"])["720p-hevc/playlist.m3u8"])
    assert codecs is not None
    assert (hvcc[1], hvcc[6], hvcc[12]) == (0x01, 0x90, int(codecs.group(2)))
    # AND its segments cover the same times as the H.264 720p segments (aligned GOPs)
    h264 = _get(f"{base}/720p/playlist.m3u8").decode()
    hevc = _get(variant_url).decode()
    assert _segment_durations(hevc) == _segment_durations(h264)


def test_each_twin_is_two_objects_like_its_h264_rendition(
    published: dict[str, Any], heated: dict[str, Any], cloud_s3: Any, media_bucket: str
) -> None:
    # GIVEN the heated video WHEN its renditions' objects are listed
    prefix = f"renditions/{published['video']['video_id']}/"
    listed = cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=prefix)["Contents"]
    keys = sorted(o["Key"][len(prefix) :] for o in listed)
    # THEN every rendition, H.264 or HEVC, is its playlist and one media file, media-<16 hex>.mp4
    # named after the first 16 hex digits of its bytes' SHA-256, which the playlist reads
    for name in ("720p", "480p", "720p-hevc", "480p-hevc"):
        folder = [k for k in keys if k.startswith(f"{name}/")]
        assert len(folder) == 2 and folder[1] == f"{name}/playlist.m3u8", folder
        media = folder[0][len(name) + 1 :]
        assert MEDIA_NAME.fullmatch(media), media
        body = cloud_s3.get_object(Bucket=media_bucket, Key=f"{prefix}{name}/{media}")["Body"].read()
        assert media == f"media-{hashlib.sha256(body).hexdigest()[:16]}.mp4"
        playlist = cloud_s3.get_object(Bucket=media_bucket, Key=f"{prefix}{name}/playlist.m3u8")[
            "Body"
        ].read()
        assert parse_media_playlist(playlist.decode()).resources == (media,)


def test_the_video_lists_its_hevc_renditions(heated: dict[str, Any]) -> None:
    # GIVEN the heated video WHEN its owner reads it THEN the renditions include the HEVC twins
    renditions = {r["name"]: r for r in heated["video"]["renditions"]}
    assert renditions["720p"]["codec"] == "h264"
    assert renditions["720p-hevc"]["codec"] == "hevc"
    assert renditions["720p-hevc"]["codecs"].startswith("hvc1.1.6.L")
    assert 0 < renditions["720p-hevc"]["bitrate"] < renditions["720p"]["bitrate"]
    assert [run["stage"] for run in heated["video"]["timeline"]][-2:] == ["HeatEncode", "HeatUpdateMaster"]


def test_running_again_leaves_one_variant_per_twin(
    published: dict[str, Any], heated: dict[str, Any], cloud_sfn: Any, alice: Api
) -> None:
    # GIVEN a video already heated WHEN the workflow runs again
    video = published["video"]
    again = _run_heat(
        cloud_sfn,
        heated["arn"],
        f"{video['video_id']}-hevc-again",
        {"video_id": video["video_id"], "codec": "hevc"},
    )
    # THEN it succeeds and the master lists each twin once, the H.264 variants unchanged
    assert again["status"] == "SUCCEEDED", again
    master = _get(video["playback_url"]).decode()
    assert master.count("720p-hevc/playlist.m3u8") == 1 and master.count("480p-hevc/playlist.m3u8") == 1
    assert master.startswith(published["master"])
    names = [r["name"] for r in alice.call("GET", f"/videos/{video['video_id']}").body["renditions"]]
    assert sorted(names) == ["480p", "480p-hevc", "720p", "720p-hevc"]
    base = video["playback_url"].rsplit("/", 1)[0]
    for name in ("720p-hevc", "480p-hevc"):
        # AND each new twin playlist reads a media file named after its own bytes (a new key when the
        # re-encode's bytes differ), and the first run's media file still serves its old bytes
        new = parse_media_playlist(_get(f"{base}/{name}/playlist.m3u8").decode())
        (media,) = new.resources
        assert media == f"media-{hashlib.sha256(_get(f'{base}/{name}/{media}')).hexdigest()[:16]}.mp4"
        old = heated["twin_media"][name]
        assert old == media or hashlib.sha256(_get(f"{base}/{name}/{old}")).hexdigest()[:16] == old[6:22]


def test_a_rerun_schedules_the_reclaim_of_superseded_twin_files(
    published: dict[str, Any], heated: dict[str, Any], cloud_s3: Any, media_bucket: str, cloud_sfn: Any
) -> None:
    # GIVEN a heated video whose 720p twin folder also holds an earlier run's media file (x265 mostly
    # re-encodes this clip byte for byte, so an earlier run's different bytes are planted under their name)
    video_id = published["video"]["video_id"]
    prefix = f"renditions/{video_id}/"
    storage = MediaStorage(media_bucket, s3=cloud_s3)
    earlier = f"{prefix}720p-hevc/media-{'0' * 16}.mp4"
    storage.put_bytes(earlier, b"an earlier run's bytes", "video/mp4")
    base = published["video"]["playback_url"].rsplit("/", 1)[0]
    twins = ("720p-hevc", "480p-hevc")

    def twin_media() -> dict[str, str]:
        return {
            name: parse_media_playlist(_get(f"{base}/{name}/playlist.m3u8").decode()).resources[0]
            for name in twins
        }

    def twin_files() -> set[str]:
        return {
            info.key
            for name in twins
            for info in storage.list_objects(f"{prefix}{name}/")
            if info.key.rsplit("/", 1)[-1].startswith("media-")
        }

    present = twin_files()  # earlier runs' files included: a rerun by an earlier test may have left one
    time.sleep(1.1)  # S3 times are whole seconds: the rerun's playlists are strictly newer
    # WHEN the heat workflow runs again, rewriting the twins' playlists
    again = _run_heat(
        cloud_sfn, heated["arn"], f"{video_id}-hevc-reclaim", {"video_id": video_id, "codec": "hevc"}
    )
    assert again["status"] == "SUCCEEDED", again
    # THEN UpdateMaster scheduled the video's reclaim
    markers = [info.key for info in storage.list_objects(MARKERS) if info.key.endswith(prefix.rstrip("/"))]
    assert markers, "no reclaim was scheduled for the rewritten twins"
    # AND within the playlists' cache window the reclaim deletes nothing
    now = utc_now()
    assert MediaReclaimer(storage, clock=lambda: now).reclaim(prefix) == []
    # AND once the window has passed it deletes exactly the superseded files: every media file there
    # before the rerun (the planted one included) that no rewritten playlist names
    after = twin_media()
    superseded = sorted(present - {f"{prefix}{n}/{after[n]}" for n in twins})
    assert earlier in superseded
    later = now + timedelta(seconds=RECLAIM_AFTER_S + 60)
    assert MediaReclaimer(storage, clock=lambda: later).reclaim(prefix) == superseded
    # AND every rendition still plays through the CDN: each playlist's media file is there, whole
    for name in ("720p", "480p", *twins):
        playlist = parse_media_playlist(_get(f"{base}/{name}/playlist.m3u8").decode())
        (media,) = playlist.resources
        assert media == f"media-{hashlib.sha256(_get(f'{base}/{name}/{media}')).hexdigest()[:16]}.mp4"


def test_a_video_that_does_not_exist_fails_and_says_where(heated: dict[str, Any], cloud_sfn: Any) -> None:
    # GIVEN no such video WHEN the workflow runs THEN it fails through RecordFailure (HeatFailed)
    failed = _run_heat(
        cloud_sfn, heated["arn"], "no-such-video-hevc", {"video_id": "no-such-video", "codec": "hevc"}
    )
    assert failed["status"] == "FAILED", failed
    assert failed.get("error") == "HeatFailed"


def test_an_unsupported_codec_is_refused(
    published: dict[str, Any], heated: dict[str, Any], cloud_sfn: Any
) -> None:
    # GIVEN a published video WHEN asked for a codec the workflow does not make THEN it fails, the master unchanged
    video = published["video"]
    before = _get(video["playback_url"]).decode()
    failed = _run_heat(
        cloud_sfn, heated["arn"], f"{video['video_id']}-vp9", {"video_id": video["video_id"], "codec": "vp9"}
    )
    assert failed["status"] == "FAILED", failed
    assert _get(video["playback_url"]).decode() == before


def test_heat_finishes_and_reports_its_time(
    heated: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the run above THEN it ended (SUCCEEDED) within the generous deadline _run_heat waits, rather
    # than a fixed number of seconds a loaded machine may miss; how long it took is printed
    assert heated["execution"]["status"] == "SUCCEEDED", heated["execution"]
    assert heated["seconds"] > 0
    with capsys.disabled():
        print(f"\nheat workflow (720p + 480p HEVC twins of a 6 s clip): {heated['seconds']:.1f} s")


def test_an_archived_original_is_replaced_by_the_top_h264_rendition(
    published: dict[str, Any], heated: dict[str, Any], cloud_sfn: Any, cloud_s3: Any, media_bucket: str
) -> None:
    # GIVEN a heated video whose original has gone to Glacier Flexible Retrieval
    video = published["video"]
    key = f"originals/{video['video_id']}"
    cloud_s3.copy_object(
        Bucket=media_bucket, Key=key, CopySource={"Bucket": media_bucket, "Key": key}, StorageClass="GLACIER"
    )
    # WHEN the 480p twin is made again
    document = {"video_id": video["video_id"], "codec": "hevc", "renditions": ["480p"]}
    again = _run_heat(cloud_sfn, heated["arn"], f"{video['video_id']}-hevc-archived", document)
    # THEN it was made from the 720p H.264 rendition, and still plays
    assert again["status"] == "SUCCEEDED", again
    assert json.loads(again["output"])["source_key"].endswith("/720p/playlist.m3u8")
    base = video["playback_url"].rsplit("/", 1)[0]
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", f"{base}/480p-hevc/playlist.m3u8", "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert decoded.returncode == 0 and not decoded.stderr.strip(), decoded.stderr
