"""Likes accepted as a whole (issue 4), through the API of the local cloud: many users liking and
unliking at once, with redelivered and reordered queue messages, a likes worker killed mid-batch, a
Redis flush, a Redis outage and poison messages -- DynamoDB always ends at exactly the last answered
state of every (user, video), and Redis, rebuilt, agrees with it.

Each test has its own users (and the first two their own videos); the truth is what the API last
answered per (user, video): every user's calls are sequential, so their last answer is their last
action. Clients honour a 429's `Retry-After` as an app would (the like routes are rate limited per user).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from reelstack.adapters.engagement.like_cache import keys
from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.likes import LikeChange
from reelstack_tools.tokens import user_sub
from tests.support.http import Api, Reply
from tests.support.waiting import wait_for
from tests.support.workflow import upload_bytes, wait_for_status

pytestmark = pytest.mark.integration

DEGRADED = "X-Reelstack-Degraded"
Truth = dict[tuple[str, str], bool]  # (video_id, user_id) -> liked, as last answered


def _header(reply: Reply, name: str) -> str | None:
    return next((value for key, value in reply.headers.items() if key.lower() == name.lower()), None)


@dataclass
class Fan:
    """One app user: likes and unlikes through the API, retrying a 429 after its `Retry-After`."""

    name: str
    api: Api
    user_id: str
    answers: list[tuple[str, bool, Reply]] = field(default_factory=list)

    def set(self, video_id: str, liked: bool) -> Reply:
        method = "POST" if liked else "DELETE"
        for _ in range(60):
            reply = self.api.call(method, f"/videos/{video_id}/like")
            if reply.status != 429:
                self.answers.append((video_id, liked, reply))
                return reply
            time.sleep(float(_header(reply, "Retry-After") or 1))
        raise AssertionError(f"{self.name} stayed rate limited on {video_id}")

    def truth(self) -> Truth:
        """The last answered state per video (answers that were not a 200 are the test's failure)."""
        return {(video, self.user_id): reply.body["liked"] for video, _, reply in self.answers}


@dataclass
class Cloud:
    """What the tests read and drive besides the API: the likes queue and tables, and Redis."""

    handle: Any
    sqs: Any
    dynamodb: Any
    redis: redis.Redis

    @property
    def queue(self) -> str:
        return str(self.handle.queue_url("LikesQueue"))

    @property
    def dlq(self) -> str:
        return str(self.handle.queue_url("LikesDLQ"))

    def in_flight(self, queue: str | None = None) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        names.append("ApproximateNumberOfMessagesDelayed")
        attributes = self.sqs.get_queue_attributes(QueueUrl=queue or self.queue, AttributeNames=names)
        return sum(int(attributes["Attributes"].get(name, 0)) for name in names)

    def durable(self, video_id: str) -> tuple[set[str], int]:
        """(users whose like item says liked, the sum of the counter shards), read consistently."""
        users: set[str] = set()
        for page in self.dynamodb.get_paginator("query").paginate(
            TableName=self.handle.name("LikesTable"),
            KeyConditionExpression="video_id = :v",
            ExpressionAttributeValues={":v": {"S": video_id}},
            ConsistentRead=True,
        ):
            users |= {item["user_id"]["S"] for item in page["Items"] if item["liked"]["BOOL"]}
        shards = self.dynamodb.query(
            TableName=self.handle.name("LikeCountersTable"),
            KeyConditionExpression="video_id = :v",
            ExpressionAttributeValues={":v": {"S": video_id}},
            ConsistentRead=True,
        )["Items"]
        return users, sum(int(shard["count"]["N"]) for shard in shards)

    def cached(self, video_id: str) -> tuple[set[str], int] | None:
        """(users, count) as Redis holds them (the like cache's keys), None when not loaded."""
        k = keys(video_id)
        if not self.redis.exists(k["loaded"]):
            return None
        users = {_text(member) for member in self.redis.smembers(k["users"])}
        return users, int(self.redis.get(k["count"]) or 0)

    def mismatch(self, truth: Truth, videos: list[str]) -> dict[str, Any]:
        """What differs from `truth` (for failure messages)."""
        report: dict[str, Any] = {"in_flight": self.in_flight()}
        for video in videos:
            (users, count), (want, want_count) = self.durable(video), _expected(truth, video)
            report[video] = {"extra": users - want, "missing": want - users, "count": (count, want_count)}
        return report

    def drained_to(self, truth: Truth, videos: list[str]) -> bool:
        """The likes queue is empty and DynamoDB holds exactly `truth` for `videos` (likes and counts)."""
        if self.in_flight():
            return False
        return all(self.durable(video) == _expected(truth, video) for video in videos)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _expected(truth: Truth, video_id: str) -> tuple[set[str], int]:
    users = {user for (video, user), liked in truth.items() if video == video_id and liked}
    return users, len(users)


def _merge(fans: list[Fan]) -> Truth:
    truth: Truth = {}
    for fan in fans:
        truth |= fan.truth()
    return truth


@pytest.fixture(scope="module")
def cloud(local_cloud: Any) -> Cloud:
    return Cloud(
        local_cloud,
        local_cloud.client("sqs"),
        local_cloud.client("dynamodb"),
        redis.Redis.from_url(local_cloud.redis_url, socket_timeout=2),
    )


@pytest.fixture(scope="module")
def videos(alice: Api, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three PUBLISHED videos of alice's, through the whole ingest workflow at once (one clip, three uploads)."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = Path(three_scene_clip(tmp_path_factory.mktemp("likes-acceptance") / "clip.mp4", scene_seconds=0.5))
    data = clip.read_bytes()
    ids = [upload_bytes(alice, data, title=f"acceptance {n}") for n in range(3)]
    with ThreadPoolExecutor(len(ids)) as pool:
        outcomes = list(pool.map(lambda video: wait_for_status(alice, video, timeout=240), ids))
    assert [outcome.get("status") for outcome in outcomes] == ["PUBLISHED"] * len(ids), outcomes
    return ids


def _fans(local_cloud: Any, prefix: str, count: int) -> list[Fan]:
    run = uuid.uuid4().hex[:6]
    names = [f"{prefix}-{n}-{run}" for n in range(count)]
    return [Fan(name, Api(local_cloud.api_url, local_cloud.token(name)), user_sub(name)) for name in names]


@contextmanager
def _running(fans: list[Fan], body: Callable[[Fan, random.Random], None], seed: int) -> Iterator[None]:
    """Every fan's `body` in its own thread for the block; then they are joined (their error re-raised)."""
    errors: list[BaseException] = []

    def guarded(fan: Fan, rng: random.Random) -> None:
        try:
            body(fan, rng)
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=guarded, args=(fan, random.Random(seed + n)), name=fan.name)
        for n, fan in enumerate(fans)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for thread in threads:
            thread.join(timeout=300)
    if errors:
        raise errors[0]


def _answered(fans: list[Fan]) -> int:
    return sum(len(fan.answers) for fan in fans)


def test_concurrent_likes_with_redeliveries_and_a_killed_worker_converge_exactly(
    local_cloud: Any, cloud: Cloud, videos: list[str]
) -> None:
    # GIVEN 8 users liking and unliking 2 videos at random (20 actions each, a fifth of them sent twice in
    # a row), and a copy of every change's queue message as the API queued it (version read from Redis)
    targets, fans = videos[:2], _fans(local_cloud, "fan", 8)
    sent: list[dict[str, Any]] = []
    sent_lock = threading.Lock()

    def like_and_unlike(fan: Fan, rng: random.Random) -> None:
        for _ in range(20):
            video, liked = rng.choice(targets), rng.random() < 0.6
            for _ in range(2 if rng.random() < 0.2 else 1):
                reply = fan.set(video, liked)
                assert reply.status == 200 and reply.body["liked"] is liked, reply
                assert _header(reply, DEGRADED) is None, reply.headers
                version = cloud.redis.hget(keys(video)["versions"], fan.user_id)
                change = LikeChange(video, fan.user_id, liked, int(version or 0), iso(utc_now()))
                with sent_lock:
                    sent.append({**change.to_dict(), "liker_name": fan.name})

    def redeliver(messages: list[dict[str, Any]]) -> None:
        for message in messages:
            cloud.sqs.send_message(QueueUrl=cloud.queue, MessageBody=json.dumps(message))

    # WHEN they run, while earlier changes are delivered again (stale by now) and a likes worker is
    # SIGKILLed in the middle of a batch (its batch comes back after the visibility timeout)
    likes_function = local_cloud.name("LikesFunction")
    killed: int | None = None
    with _running(fans, like_and_unlike, seed=4):
        assert wait_for(lambda: _answered(fans) >= 40, timeout=60)
        with sent_lock:
            redeliver(random.Random(1).sample(sent, k=15))
        busy = wait_for(lambda: local_cloud.worker_pids(busy_only=True).get(likes_function), timeout=60)
        assert busy, "no likes worker was ever busy"
        killed = local_cloud.kill_worker(likes_function)
        assert wait_for(lambda: _answered(fans) >= 120, timeout=60)
        with sent_lock:
            redeliver(random.Random(2).sample(sent, k=15))
    assert killed is not None
    # AND, once they are done, every change they made is delivered once more, shuffled
    redeliver(random.Random(3).sample(sent, k=len(sent)))

    # THEN once the queue drains DynamoDB holds exactly the last answered state: items and counters
    truth = _merge(fans)
    assert len(sent) == _answered(fans) >= 8 * 20
    assert wait_for(lambda: cloud.drained_to(truth, targets), timeout=120), cloud.mismatch(truth, targets)
    for video in targets:
        assert cloud.durable(video) == _expected(truth, video)
    # AND nothing was dead-lettered
    assert cloud.in_flight(cloud.dlq) == 0

    # WHEN Redis loses everything (FLUSHDB) and each video is touched once through the API (a no-op:
    # a user repeats their last action)
    cloud.redis.flushdb()
    for video in targets:
        fan = fans[0]
        liked = truth.get((video, fan.user_id), False)
        reply = fan.set(video, liked)
        # THEN the answer, rebuilt from DynamoDB, counts the true set; so do Redis's set and counter
        users, count = _expected(truth, video)
        assert (reply.status, reply.body["like_count"], reply.body["liked"]) == (200, count, liked)
        assert cloud.cached(video) == (users, count)
    # AND the touches changed nothing durable
    assert wait_for(lambda: cloud.drained_to(truth, targets), timeout=60), cloud.mismatch(truth, targets)


def test_likes_during_a_redis_outage_are_all_durable(
    local_cloud: Any, cloud: Cloud, videos: list[str]
) -> None:
    # GIVEN 6 users liking and unliking one video at random, 20 calls each
    video, fans = videos[2], _fans(local_cloud, "outage", 6)

    def like_and_unlike(fan: Fan, rng: random.Random) -> None:
        for _ in range(20):
            liked = rng.random() < 0.5
            reply = fan.set(video, liked)
            assert reply.status == 200 and reply.body["liked"] is liked, reply
            time.sleep(rng.random() * 0.05)

    def degraded() -> list[Reply]:
        return [reply for fan in fans for _, _, reply in list(fan.answers) if _header(reply, DEGRADED)]

    # WHEN Redis stops while they run, and starts again (empty) once answers came from DynamoDB
    try:
        with _running(fans, like_and_unlike, seed=7):
            assert wait_for(lambda: _answered(fans) >= 30, timeout=60)
            local_cloud.stop_redis()
            assert wait_for(lambda: len(degraded()) >= 20, timeout=60)
            local_cloud.start_redis()
    finally:
        if not local_cloud.redis_running():
            local_cloud.start_redis()

    # THEN every answer was a 200, those during the outage flagged degraded (Redis unavailable)
    assert {_header(reply, DEGRADED) for reply in degraded()} == {"redis-unavailable"}
    assert all(reply.status == 200 for fan in fans for _, _, reply in fan.answers)
    # AND every change is durable: DynamoDB holds exactly the last answered state
    truth = _merge(fans)
    assert wait_for(lambda: cloud.drained_to(truth, [video]), timeout=120), cloud.mismatch(truth, [video])
    # AND the API's running workers reconnected to the restarted Redis: a (no-op) like is answered from it
    fan = fans[0]
    liked = truth.get((video, fan.user_id), False)
    reply = fan.set(video, liked)
    assert reply.status == 200 and _header(reply, DEGRADED) is None, reply
    assert reply.body["liked"] is liked
    assert cloud.redis.exists(keys(video)["loaded"])


def test_poison_messages_are_dead_lettered_without_blocking_good_likes(
    local_cloud: Any, cloud: Cloud, videos: list[str]
) -> None:
    # GIVEN a body that is not JSON and a JSON body of the wrong shape, queued as like changes
    video, marker = videos[0], uuid.uuid4().hex
    poison = {
        f"not json {marker}",
        json.dumps({"kind": "like_change", "video_id": video, "user_id": marker, "liked": "yes"}),
    }
    for body in poison:
        cloud.sqs.send_message(QueueUrl=cloud.queue, MessageBody=body)
    # WHEN good likes follow them through the API
    fans = _fans(local_cloud, "after-poison", 3)
    for fan in fans:
        assert fan.set(video, True).status == 200

    # THEN the good likes become durable (the poison fails alone, not its batch), counted
    def durable_likes() -> bool:
        users, count = cloud.durable(video)
        return users >= {fan.user_id for fan in fans} and count == len(users)

    assert wait_for(durable_likes, timeout=60), cloud.durable(video)

    # AND the poison reaches LikesDLQ after its receives (nothing else does); it is removed from there
    found: dict[str, str] = {}

    def dead_lettered() -> bool:
        answer = cloud.sqs.receive_message(QueueUrl=cloud.dlq, MaxNumberOfMessages=10, VisibilityTimeout=30)
        found.update({message["Body"]: message["ReceiptHandle"] for message in answer.get("Messages", [])})
        return set(found) >= poison

    # (five receives, each after the 2 s visibility timeout and the batching window: up to 120 s)
    assert wait_for(dead_lettered, timeout=120, interval=0.5), found
    assert set(found) == poison, found
    for handle in found.values():
        cloud.sqs.delete_message(QueueUrl=cloud.dlq, ReceiptHandle=handle)
    assert wait_for(lambda: cloud.in_flight() == 0 and cloud.in_flight(cloud.dlq) == 0, timeout=60)
    assert durable_likes()
