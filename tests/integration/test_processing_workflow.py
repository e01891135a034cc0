"""The ingest workflow end to end on the local cloud: the bad-media corpus ends in the right state with
the right code; good videos are published as playable HLS, announced on EventBridge, listed for their author.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.media_corpus import build_corpus
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

REFUSED_BY_PROBE = {
    "text_renamed": "not_media",
    "three_seconds_cut_60": "truncated_media",
    "audio_only": "no_video_stream",
    "single_frame": "too_short",
    "dci_4k": "resolution_too_large",
}
PUBLISHED_LADDERS = {
    # case: [(width, height) per rendition, highest first]
    "portrait_rotated": [(720, 1280), (480, 854)],
    "vfr_59_94": [(320, 240)],
    "no_audio": [(320, 240)],
    "uhd_4k": [(1920, 1080), (1280, 720), (854, 480)],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("workflow-corpus"))


@pytest.fixture(scope="module")
def published_events(local_cloud: Any) -> Any:
    """An SQS queue subscribed to VideoPublished on the default bus (as the feed work will be)."""
    sqs, events = local_cloud.client("sqs"), local_cloud.client("events")
    queue_url = sqs.create_queue(QueueName="test-video-published")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="test-video-published",
        EventPattern=json.dumps({"source": ["reelstack.videos"], "detail-type": ["VideoPublished"]}),
    )
    events.put_targets(Rule="test-video-published", Targets=[{"Id": "queue", "Arn": queue_arn}])

    def received() -> list[dict[str, Any]]:
        """The events delivered since the last call (each message deleted once read, so none comes back)."""
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    return received


@pytest.fixture(scope="module")
def outcomes(alice: Api, corpus: dict[str, Path], published_events: Any) -> dict[str, dict[str, Any]]:
    """Every corpus case uploaded at once (once VideoPublished is subscribed to), then each final record."""
    ids = {
        case: upload_bytes(alice, corpus[case].read_bytes(), title=case)
        for case in [*REFUSED_BY_PROBE, *PUBLISHED_LADDERS]
    }
    return {case: wait_for_status(alice, video_id, timeout=240) for case, video_id in ids.items()}


def test_an_empty_file_is_refused_when_the_upload_is_opened(alice: Api) -> None:
    # GIVEN a zero-byte file WHEN its upload is declared THEN 400 with a code, nothing is created
    reply = alice.call("POST", "/uploads", {"filename": "zero.mp4", "size": 0, "content_type": "video/mp4"})
    assert reply.status == 400 and reply.body["code"]


@pytest.mark.parametrize(("case", "code"), sorted(REFUSED_BY_PROBE.items()))
def test_bad_media_fails_at_probe_with_its_code(
    outcomes: dict[str, dict[str, Any]], case: str, code: str
) -> None:
    # GIVEN a file of the bad-media corpus uploaded and completed
    video = outcomes[case]
    # THEN the workflow ends it FAILED at Probe with the code naming what is wrong, and says so on the timeline
    assert video["status"] == "FAILED", video
    assert (video["failure"]["stage"], video["failure"]["code"]) == ("Probe", code)
    assert video["failure"]["message"]
    assert [(run["stage"], run["outcome"]) for run in video["timeline"]] == [
        ("Admit", "succeeded"),
        ("Probe", "failed"),
    ]
    assert video["timeline"][-1]["code"] == code
    assert "playback_url" not in video


@pytest.mark.parametrize("case", sorted(PUBLISHED_LADDERS))
def test_good_media_is_published_as_playable_hls(
    outcomes: dict[str, dict[str, Any]], corpus: dict[str, Path], case: str
) -> None:
    # GIVEN an acceptable video of the corpus (portrait, 59.94 fps variable, no audio, 4K)
    video = outcomes[case]
    # THEN it is PUBLISHED with the planned ladder (never upscaled, portrait aware) and a playback URL
    assert video["status"] == "PUBLISHED", video
    assert [(r["width"], r["height"]) for r in video["renditions"]] == PUBLISHED_LADDERS[case]
    assert all(r["codec"] == "h264" and r["bitrate"] > 0 for r in video["renditions"])
    assert [run["stage"] for run in video["timeline"]][:5] == [
        "Admit",
        "Probe",
        "Plan",
        "Transcode",
        "Moderate",
    ]
    assert video["moderation"]["decision"] == "approve"
    # AND ffprobe plays the master playlist from the playback URL: every rendition, audio iff the source has it
    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height,avg_frame_rate",
             "-of", "json", video["playback_url"]],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
    )  # fmt: skip
    sizes = sorted({(s["width"], s["height"]) for s in probed["streams"] if s["codec_type"] == "video"})
    assert sizes == sorted(PUBLISHED_LADDERS[case])
    has_audio = any(s["codec_type"] == "audio" for s in probed["streams"])
    assert has_audio == _has_audio(corpus[case])
    assert all(("mp4a" in r["codecs"]) == has_audio for r in video["renditions"])


def _has_audio(path: Path) -> bool:
    streams = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.split()  # fmt: skip
    return "audio" in streams


def test_59_94_fps_keeps_its_rate(outcomes: dict[str, dict[str, Any]]) -> None:
    # GIVEN the 59.94 fps variable-frame-rate clip WHEN published THEN its rendition runs at 59.94 fps
    playlist = outcomes["vfr_59_94"]["playback_url"].rsplit("/", 1)[0] + "/240p/playlist.m3u8"
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=r_frame_rate", "-of", "json", playlist],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    numerator, denominator = (int(x) for x in json.loads(probed)["streams"][0]["r_frame_rate"].split("/"))
    assert numerator / denominator == pytest.approx(59.94, abs=0.01)


def test_publishing_announces_video_published_once(
    outcomes: dict[str, dict[str, Any]], published_events: Any, cloud_sfn: Any
) -> None:
    # GIVEN the corpus videos, every ingest execution ended (no Publish left to run or retry)
    published = {
        case: video["video_id"] for case, video in outcomes.items() if video["status"] == "PUBLISHED"
    }
    assert published
    for video in outcomes.values():
        ended = wait_for(
            lambda arn=video["execution_arn"]: (
                cloud_sfn.describe_execution(executionArn=arn)["status"] != "RUNNING"
            ),
            timeout=120,
        )
        assert ended, f"{video['video_id']}'s execution is still running"
    # WHEN the VideoPublished subscription is read until every published video was seen and then until
    # the queue is empty
    announced: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)  # video id -> event id -> event

    def read() -> int:
        events = published_events()
        for event in events:
            announced[event["detail"]["video_id"]][event["id"]] = event
        return len(events)

    def all_seen() -> bool:
        read()
        return set(published.values()) <= set(announced)

    assert wait_for(all_seen, timeout=120), sorted(set(published.values()) - set(announced))
    while read():  # until a long-polled read finds nothing more
        pass
    # THEN each published video was announced exactly once, with its playback URL and owner
    for case, video_id in published.items():
        assert len(announced[video_id]) == 1, (case, list(announced[video_id].values()))
        (event,) = announced[video_id].values()
        assert event["detail"]["playback_url"] == outcomes[case]["playback_url"]
        assert event["detail"]["owner"] == outcomes[case]["owner"]
    # AND nothing unpublished was announced
    failed = {video["video_id"] for video in outcomes.values() if video["status"] == "FAILED"}
    assert not failed & set(announced)


def test_the_author_lists_their_videos_newest_first(
    alice: Api, bob: Api, outcomes: dict[str, dict[str, Any]]
) -> None:
    # GIVEN alice's corpus videos WHEN she lists author=me two at a time
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = alice.call("GET", "/videos?author=me&limit=2" + (f"&cursor={cursor}" if cursor else "")).body
        listed += page["items"]
        cursor = page["cursor"]
        if not cursor:
            break
    # THEN every one of hers is there, newest first, with its status; bob sees none of them in his list
    ids = [video["video_id"] for video in listed]
    assert {video["video_id"] for video in outcomes.values()} <= set(ids)
    assert [video["created_at"] for video in listed] == sorted(
        (v["created_at"] for v in listed), reverse=True
    )
    bobs = bob.call("GET", "/videos?author=me").body["items"]
    assert not {video["video_id"] for video in bobs} & set(ids)
    assert alice.call("GET", "/videos?author=bob").status == 400
    assert alice.call("GET", "/videos?author=me&cursor=not-a-cursor").body["code"] == "invalid_cursor"
