"""What the ingest workflow cannot finish itself, finished by the ingest sweeper:
- `VideoPublished` whose delivery failed waits in the videos table's outbox and reaches the search
  index later, once (before the outbox, a Publish that could not reach the bus lost it);
- a video whose execution ended without recording its failure (RecordFailure itself failed) is failed
  with a reason (before the sweeper, it stayed PROCESSING for ever)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from reelstack.adapters.events import EventPublisher
from reelstack.adapters.media.outbox_store import OutboxStore
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.domain.videos import VideoStatus
from reelstack.services.media.outbox import OutboxRelay
from reelstack.wiring import processing_stages
from tests.support.cloud_stores import repositories
from tests.support.http import Api
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SWEEP_SCHEDULE = "IngestSweeperFunctionSweep"


@pytest.fixture(scope="module")
def repos(local_cloud: Any, cloud_sdk_environment: Any) -> Repositories:
    return repositories(local_cloud)


def _in_flight_video(repos: Repositories, owner: str, title: str) -> str:
    """A video that reached Publish: PROCESSING, its renditions written."""
    video_id = f"vid-{uuid.uuid4().hex[:12]}"
    now = iso(utc_now())
    repos.tables.videos(
        video_id=video_id, owner=owner, status=VideoStatus.PROCESSING.value, title=title, tags=["outbox"],
        created_at=now, updated_at=now,
    ).save()  # fmt: skip
    return video_id


def test_a_published_video_whose_event_could_not_be_sent_reaches_search_through_the_outbox(
    local_cloud: Any, repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    title = f"outbox {uuid.uuid4().hex[:8]}"
    video_id = _in_flight_video(repos, "outbox-owner", title)
    document = WorkflowDocument(
        video_id=video_id, bucket=local_cloud.name("MediaBucket"), key=f"originals/{video_id}", size=1, etag="e",
        media={"duration_s": 4.0},
        outputs={"master_key": f"renditions/{video_id}/master.m3u8", "renditions": [{"name": "360p"}]},
        moderation={"decision": "approve", "reasons": []},
    )  # fmt: skip
    # GIVEN Publish whose event bus cannot be reached (a bus that does not exist refuses the event)
    monkeypatch.setenv("MEDIA_BUCKET", local_cloud.name("MediaBucket"))
    monkeypatch.setenv("UPLOADS_TABLE", local_cloud.name("UploadsTable"))
    monkeypatch.setenv("VIDEOS_TABLE", local_cloud.name("VideosTable"))
    monkeypatch.setenv("EVENT_BUS_NAME", f"missing-{uuid.uuid4().hex[:6]}")
    processing_stages.cache_clear()
    try:
        stages = processing_stages()
        # WHEN it publishes the video THEN Publish succeeds: the video is PUBLISHED, its event pending
        answer = stages.publish(document)
    finally:
        processing_stages.cache_clear()
    assert answer["status"] == "PUBLISHED"
    store = OutboxStore(repos.tables)
    pending = store.pending(video_id)
    assert pending is not None and pending.detail["title"] == title
    viewer = Api(local_cloud.api_url, local_cloud.token("outbox-viewer"))
    assert not _found(viewer, title)
    # WHEN the sweeper's relay runs with the stack's bus (due now: no grace in the test)
    relay = OutboxRelay(store, EventPublisher("default"))
    assert relay.sweep(iso(utc_now()), 200)["delivered"] >= 1
    # THEN the event went out, once, and the search index has the video
    assert store.pending(video_id) is None
    assert wait_for(lambda: _found(viewer, title), timeout=60, interval=1)
    assert video_id not in store.due(iso(utc_now()), 200)


def _found(api: Api, title: str) -> bool:
    reply = api.call("GET", f"/search?q={title.replace(' ', '+')}")
    return reply.status == 200 and any(item["title"] == title for item in reply.body["items"])


def test_a_video_whose_failure_could_not_be_recorded_is_failed_by_the_sweeper(
    local_cloud: Any, repos: Repositories
) -> None:
    # GIVEN a video in flight whose ingest execution fails, and whose RecordFailure fails too (the
    # document it is handed is not one it can read), so the execution ends FAILED with nothing recorded
    video_id = _in_flight_video(repos, "unrecorded-owner", "failure not recorded")
    sfn = local_cloud.client("stepfunctions")
    started = sfn.start_execution(
        stateMachineArn=local_cloud.arn("IngestStateMachine"),
        name=video_id,
        input=json.dumps({"video_id": video_id}),
    )

    def ended() -> str | None:
        status = str(sfn.describe_execution(executionArn=started["executionArn"])["status"])
        return status if status != "RUNNING" else None

    assert wait_for(ended, timeout=120, interval=1) == "FAILED"
    assert repos.get_video(video_id).status is VideoStatus.PROCESSING  # type: ignore[union-attr]
    # WHEN the ingest sweeper runs
    local_cloud.fire_schedule(SWEEP_SCHEDULE)
    # THEN the video is FAILED and says its processing ended without recording why
    video = repos.get_video(video_id)
    assert video is not None and video.status is VideoStatus.FAILED
    assert video.failure is not None
    assert (video.failure.stage, video.failure.code) == ("workflow", "workflow_failed")
    # AND a second sweep changes nothing
    assert local_cloud.fire_schedule(SWEEP_SCHEDULE)
