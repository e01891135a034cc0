"""The search indexer on the real OpenSearch node: external versions keep the newest record whatever the
order of the writes, a rejected video leaves the index, a reindex swaps the alias under a running
search, and with the node stopped the indexer's messages wait in the queue until it is back."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from opensearchpy import OpenSearch

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.adapters.distribution.search_writer import write_bulk
from reelstack.adapters.events import EventPublisher
from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage.tier_events import TierAnnouncingRepositories
from reelstack.clock import iso, utc_now
from reelstack.domain.storage.storage_tiers import StorageState, Tier
from reelstack.domain.videos import VideoStatus
from reelstack.search_wiring import build_indexer, build_reindexer
from reelstack_tools import cli
from reelstack_tools.localcloud.search_node import SearchNode
from tests.support.cloud_stores import repositories
from tests.support.http import Api
from tests.support.search_records import (
    document,
    indexer_settings,
    put_published,
    reject,
    set_title,
)
from tests.support.waiting import wait_for
from tests.support.workflow import published_720p_video

pytestmark = pytest.mark.integration

COUNT_REFRESH = "SearchCountsFunctionRefresh"  # the template's one-minute schedule


@pytest.fixture(scope="module")
def repos(local_cloud: Any, cloud_sdk_environment: Any) -> Repositories:
    return repositories(local_cloud)


@pytest.fixture
def own_node(local_cloud: Any, search_node: SearchNode, cloud_sdk_environment: Any) -> Iterator[OpenSearch]:
    """The module's own node (not the cloud's), its indices bootstrapped afresh for each test."""
    client = OpenSearch(hosts=[search_node.url], timeout=30)
    client.indices.delete(index="videos-v*", params={"expand_wildcards": "all"})
    SearchClient(indexer_settings(local_cloud, search_node.url), client=client).ensure_indices()
    yield client
    client.close()


def _event(detail_type: str, video_id: str) -> dict[str, Any]:
    return {
        "Source": "reelstack.videos",
        "DetailType": detail_type,
        "Detail": json.dumps({"video_id": video_id}),
        "EventBusName": "default",
    }


def test_reordered_and_redelivered_writes_leave_the_newest_document(
    local_cloud: Any, search_node: SearchNode, repos: Repositories, own_node: OpenSearch
) -> None:
    """GIVEN a published video whose record changes title after a first writer read it
    WHEN the newer write lands first, then the older one, then the older one again (redelivered)
    THEN the index keeps the newer title, and a sync of the same record changes nothing visible."""
    indexer = build_indexer(indexer_settings(local_cloud, search_node.url), SearchClient(client=own_node))
    video_id = put_published(repos, "first title")
    older = indexer.plan([video_id])
    set_title(repos, video_id, "second title")
    newer = indexer.plan([video_id])

    assert write_bulk(own_node, newer).written == [video_id]
    assert write_bulk(own_node, older).stale == [video_id]  # 409: not a failure
    assert write_bulk(own_node, older).stale == [video_id]
    stored = document(own_node, video_id)
    assert stored is not None and stored["title"] == "second title"
    assert stored["_version"] == newer[0].version

    result = indexer.sync([video_id, video_id])  # an event redelivered within one batch
    assert result.failed == {}
    assert document(own_node, video_id)["title"] == "second title"  # type: ignore[index]


def test_a_rejected_video_leaves_the_index_and_an_older_publish_cannot_bring_it_back(
    local_cloud: Any, search_node: SearchNode, repos: Repositories, own_node: OpenSearch
) -> None:
    """GIVEN an indexed published video
    WHEN its record is rejected and synced, then a VideoPublished planned before the rejection lands
    THEN the document is gone and stays gone."""
    indexer = build_indexer(indexer_settings(local_cloud, search_node.url), SearchClient(client=own_node))
    video_id = put_published(repos, "soon rejected")
    indexer.sync([video_id])
    assert document(own_node, video_id) is not None
    stale_publish = indexer.plan([video_id])
    reject(repos, video_id)

    assert indexer.sync([video_id]).written == [video_id]
    assert document(own_node, video_id) is None
    assert write_bulk(own_node, stale_publish).stale == [video_id]
    assert document(own_node, video_id) is None


def test_reindex_swaps_the_alias_while_searches_go_on(
    local_cloud: Any, search_node: SearchNode, repos: Repositories, own_node: OpenSearch
) -> None:
    """GIVEN published videos in videos-v1 and a thread searching `videos` without pause
    WHEN `reelstack search reindex`'s reindexer runs
    THEN no search fails or comes back empty, the alias points at videos-v2 alone, v1 is deleted and
    every published video is in it (a video rejected before the run is not)."""
    settings = indexer_settings(local_cloud, search_node.url)
    indexer = build_indexer(settings, SearchClient(client=own_node))
    videos = [put_published(repos, f"reindexed {n}") for n in range(5)]
    gone = put_published(repos, "rejected before the reindex")
    indexer.sync([*videos, gone])
    reject(repos, gone)
    own_node.indices.refresh(index="videos")

    errors: list[str] = []
    totals: list[int] = []
    stop = threading.Event()

    def keep_searching() -> None:
        reader = OpenSearch(hosts=[search_node.url], timeout=30)
        query = {"query": {"terms": {"video_id": videos}}, "size": 10}
        while not stop.is_set():
            try:
                totals.append(int(reader.search(index="videos", body=query)["hits"]["total"]["value"]))
            except Exception as error:
                errors.append(repr(error))

    searcher = threading.Thread(target=keep_searching, daemon=True)
    searcher.start()
    try:
        report = build_reindexer(settings).run()
        time.sleep(0.5)
    finally:
        stop.set()
        searcher.join(timeout=30)

    assert errors == []
    assert totals and min(totals) == len(videos)
    assert report.new == "videos-v2" and report.old == ["videos-v1"]
    assert sorted(own_node.indices.get_alias(name="videos")) == ["videos-v2"]
    assert not own_node.indices.exists(index="videos-v1")
    own_node.indices.refresh(index="videos")
    for video_id in videos:
        assert document(own_node, video_id) is not None
    assert document(own_node, gone) is None


def test_with_the_node_stopped_index_messages_stay_queued_and_land_after_a_restart(
    local_cloud: Any, repos: Repositories, alice: Api
) -> None:
    """GIVEN a video indexed and found through the API, then the cloud's search node stopped
    WHEN alice searches (the API answers), and videos are published (VideoPublished on the bus -> the
    search-index rule -> its queue)
    THEN the search answers 503 search_unavailable with Retry-After; the indexer fails the messages
    back to the queue (nothing in SearchIndexDLQ); and once the node is started again (same port and
    data) the search through the API finds the earlier video and every one published meanwhile."""
    events = local_cloud.client("events")
    sqs = local_cloud.client("sqs")
    dlq = local_cloud.queue_url("SearchIndexDLQ")
    client = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    word = f"outage{uuid.uuid4().hex[:8]}"
    before = put_published(repos, f"{word} before the outage")
    assert events.put_events(Entries=[_event("VideoPublished", before)])["FailedEntryCount"] == 0
    wait_for(lambda: _found(alice, word) == {before}, timeout=60)
    videos = [put_published(repos, f"{word} while the node was down {n}") for n in range(3)]
    local_cloud.stop_search()
    try:
        assert not local_cloud.search_running()
        down = alice.call("GET", f"/search?q={word}")
        assert down.status == 503 and down.body["code"] == "search_unavailable", down.body
        assert int(down.headers["Retry-After"]) > 0
        answer = events.put_events(Entries=[_event("VideoPublished", v) for v in videos])
        assert answer["FailedEntryCount"] == 0
        # The indexer ran at least once and failed: its messages are back in (or held by) the queue.
        wait_for(lambda: "search sync failed" in local_cloud.logs("SearchIndexerFunction"), timeout=60)
    finally:
        assert local_cloud.start_search() == local_cloud.search_url
    wait_for(lambda: all(document(client, v) for v in videos), timeout=60)
    wait_for(lambda: _found(alice, word) == {before, *videos}, timeout=30)
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def _found(api: Api, word: str) -> set[str]:
    """The ids the API's search finds for `word` (none while it answers anything but 200)."""
    answer = api.call("GET", f"/search?q={word}")
    return {item["video_id"] for item in answer.body["items"]} if answer.status == 200 else set()


def test_held_and_unfinished_videos_never_appear_even_when_an_event_names_them(
    local_cloud: Any, repos: Repositories, alice: Api
) -> None:
    """GIVEN bob's video held for review, another still processing, and one published, all sharing a word
    WHEN events name each of them (a stray VideoPublished too) and the indexer has run
    THEN alice's search finds only the published one, and so does bob's own search."""
    word = f"held{uuid.uuid4().hex[:8]}"
    held = put_published(repos, f"{word} held", owner="bob", status=VideoStatus.IN_REVIEW)
    processing = put_published(repos, f"{word} processing", owner="bob", status=VideoStatus.PROCESSING)
    published = put_published(repos, f"{word} published", owner="bob")
    entries = [_event("VideoPublished", v) for v in (held, processing)] + [
        _event("VideoPublished", published)
    ]
    assert local_cloud.client("events").put_events(Entries=entries)["FailedEntryCount"] == 0

    wait_for(lambda: _found(alice, word) == {published}, timeout=60)
    time.sleep(1.0)  # the same batch, or a later one, never adds the others
    assert _found(alice, word) == {published}
    assert _found(Api(local_cloud.api_url, local_cloud.token("bob")), word) == {published}


def test_a_rejection_on_the_bus_removes_the_document(local_cloud: Any, repos: Repositories) -> None:
    """GIVEN a published video indexed through the bus
    WHEN its record is rejected and VideoRejected is put on the bus
    THEN its document leaves `videos` within seconds."""
    events = local_cloud.client("events")
    client = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    video_id = put_published(repos, "rejected on the bus")
    events.put_events(Entries=[_event("VideoPublished", video_id)])
    assert wait_for(lambda: document(client, video_id), timeout=30)
    reject(repos, video_id)
    events.put_events(Entries=[_event("VideoRejected", video_id)])
    assert wait_for(lambda: document(client, video_id) is None, timeout=30)


def test_a_video_published_through_the_workflow_is_searchable_within_seconds(
    local_cloud: Any, alice: Api, tmp_path: Path
) -> None:
    """GIVEN a clip uploaded by alice and run through the ingest workflow until PUBLISHED
    WHEN `videos` is read
    THEN its document is there within a few seconds, with her (the video's owner) as author and its
    playback keys."""
    client = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    video_id = published_720p_video(alice, tmp_path, "indexed through the workflow")
    published = time.monotonic()
    stored = wait_for(lambda: document(client, video_id), timeout=30)
    assert stored is not None, "the published video never reached the index"
    assert time.monotonic() - published < 15
    assert stored["author"] == alice.call("GET", f"/videos/{video_id}").body["owner"]
    assert stored["title"] == "indexed through the workflow"
    assert stored["playback_key"].endswith(".m3u8") and stored["storage_tier"] == "hot"


def test_likes_and_plays_reach_the_document_through_the_count_refresh(
    local_cloud: Any, repos: Repositories, bob: Api
) -> None:
    """GIVEN an indexed published video
    WHEN bob likes it and plays it, the workers make both durable, and the count refresh runs
    THEN its document carries like_count 1, play_count 1 and a positive heat."""
    client = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    video_id = put_published(repos, "liked and played")
    local_cloud.client("events").put_events(Entries=[_event("VideoPublished", video_id)])
    assert wait_for(lambda: document(client, video_id), timeout=30)

    assert bob.call("POST", f"/videos/{video_id}/like").status == 200
    played = bob.call("POST", f"/videos/{video_id}/plays", {"session_id": "s1", "watched_ms": 3000})
    assert played.status == 202 and played.body["counted"], played.body
    durable = wait_for(
        lambda: (
            (v := bob.call("GET", f"/videos/{video_id}").body).get("like_count") == 1
            and v.get("play_count") == 1
        ),
        timeout=60,
    )
    assert durable

    def refreshed() -> bool:
        local_cloud.fire_schedule(COUNT_REFRESH)
        stored = document(client, video_id) or {}
        return stored.get("like_count") == 1 and stored.get("play_count") == 1

    assert wait_for(refreshed, timeout=60, interval=1.0)
    stored = document(client, video_id)
    assert stored is not None and stored["heat"] > 0


def test_the_reindex_command_finds_the_local_clouds_tables(
    local_cloud: Any,
    search_node: SearchNode,
    repos: Repositories,
    own_node: OpenSearch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN a published video in the cloud's table and an empty index on a node of its own
    WHEN `reelstack search reindex --state-dir <the cloud's> --search-endpoint <that node>` runs
    THEN the tables come from the cloud's cloud.json, the alias moves to videos-v2, and the video is in it."""
    video_id = put_published(repos, "found by the command")
    with mock.patch.dict(os.environ):  # the command sets its variables in this process
        code = cli.main(
            [
                "search",
                "reindex",
                "--state-dir",
                str(local_cloud.state_dir),
                "--search-endpoint",
                search_node.url,
            ]
        )
    assert code == 0
    assert "videos -> videos-v2 (was videos-v1)" in capsys.readouterr().out
    assert sorted(own_node.indices.get_alias(name="videos")) == ["videos-v2"]
    assert document(own_node, video_id) is not None


def test_a_settled_tier_change_reaches_the_documents_storage_tier(
    local_cloud: Any, repos: Repositories
) -> None:
    """GIVEN an indexed published video (hot)
    WHEN its tier is written cold through the announcing repositories (what an archive ends with)
    THEN VideoTierChanged goes on the bus and its document says storage_tier "cold" within seconds."""
    client = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    video_id = put_published(repos, "archived later")
    local_cloud.client("events").put_events(Entries=[_event("VideoPublished", video_id)])
    assert (wait_for(lambda: document(client, video_id), timeout=30) or {}).get("storage_tier") == "hot"
    announcing = TierAnnouncingRepositories(repos.tables)
    announcing.events = EventPublisher("default", events=local_cloud.client("events"))
    now = iso(utc_now())
    cold = StorageState(tier=Tier.COLD, since=now, reason="test archive", version=1)
    assert announcing.transition_storage(video_id, 0, cold, now)
    stored = wait_for(lambda: (document(client, video_id) or {}).get("storage_tier") == "cold", timeout=30)
    assert stored, "the tier change never reached the index"
