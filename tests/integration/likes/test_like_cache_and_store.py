"""Likes against the local cloud's redis-server and DynamoDB (moto): the Lua script under concurrency,
the store's exactly-once apply in any order, rebuilds after a flush, and the store-only path.

The likes tables are not in the template yet: this module creates its own (unique names)."""

from __future__ import annotations

import random
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis.cluster import RedisCluster

from reelstack.adapters.engagement.like_cache import LikeCache, keys
from reelstack.adapters.engagement.like_store import LikeStore
from reelstack.adapters.queue_sender import QueueSender
from reelstack.adapters.redis_client import redis_from_url
from reelstack.domain.engagement.likes import LikeChange, LikeState, replay
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import DependencyFailed, NotFound
from reelstack.services.engagement.likes import LikeService, LikeWorker

AT = "2026-01-02T03:04:05.678Z"


def _create_tables(dynamodb: Any, likes: str, counters: str) -> None:
    dynamodb.create_table(
        TableName=likes,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "video_id", "AttributeType": "S"},
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "liked_at", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "video_id", "KeyType": "HASH"},
            {"AttributeName": "user_id", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "user-liked-index",
                "KeySchema": [
                    {"AttributeName": "user_id", "KeyType": "HASH"},
                    {"AttributeName": "liked_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    dynamodb.create_table(
        TableName=counters,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "video_id", "AttributeType": "S"},
            {"AttributeName": "shard", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "video_id", "KeyType": "HASH"},
            {"AttributeName": "shard", "KeyType": "RANGE"},
        ],
    )


@pytest.fixture(scope="module")
def cloud_env(local_cloud: Any) -> Iterator[Any]:
    """PynamoDB reads the endpoint from the environment, as in a function of the local cloud."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in local_cloud.environment().items():
            patch.setenv(name, value)
        yield local_cloud


@pytest.fixture(scope="module")
def store(cloud_env: Any) -> LikeStore:
    suffix = uuid.uuid4().hex[:8]
    likes, counters = f"test-likes-{suffix}", f"test-like-counters-{suffix}"
    _create_tables(cloud_env.client("dynamodb"), likes, counters)
    return LikeStore(likes, counters, cloud_env.region, shards=4)


@pytest.fixture(scope="module")
def redis_client(local_cloud: Any) -> RedisCluster:
    """The cluster client, as the functions use it (the local cloud's Redis is cluster mode)."""
    client: RedisCluster = redis_from_url(local_cloud.redis_url, 2.0, cluster=True)
    return client


def flush(redis_client: RedisCluster, video_id: str) -> None:
    """What a FLUSHDB or a restart does to the video: its keys are gone. (A cluster has database 0
    only, shared by every test: a real FLUSHDB here would empty other tests' keys too.)"""
    redis_client.delete(*keys(video_id).values())


@pytest.fixture
def cache(redis_client: RedisCluster) -> LikeCache:
    return LikeCache(client=redis_client)


@pytest.fixture
def video_id() -> str:
    return uuid.uuid4().hex


class ListSender:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> str:
        with self.lock:
            self.messages.append(message)
        return str(len(self.messages))


def published(video_id: str, status: VideoStatus = VideoStatus.PUBLISHED) -> Video:
    return Video(video_id, "author", status, "t", (), AT, AT)


def service_for(cache: LikeCache, store: LikeStore, sender: Any, videos: dict[str, Video]) -> LikeService:
    return LikeService(cache, store, sender, videos.get)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the Lua script ----------------------------------------------------------------------------------


def test_concurrent_likes_through_the_script_agree_with_a_serial_model(
    cache: LikeCache, video_id: str
) -> None:
    """8 threads x 150 random like/unlike/duplicate calls on 10 shared users. The script's versions
    order the calls totally: replayed in that order, a Python model gives every answer and the end state."""
    assert cache.toggle(video_id, "anyone", True) is None  # not loaded: a miss, nothing changed
    assert cache.load(LikeState(video_id, frozenset(), 0, 0))
    assert not cache.load(LikeState(video_id, frozenset({"x"}), 1, 0))  # loaded already: untouched
    users = [f"u{i}" for i in range(10)]
    results: list[tuple[int, str, bool, Any]] = []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(150):
            user, liked = rng.choice(users), rng.random() < 0.6
            for _ in range(2 if rng.random() < 0.2 else 1):  # duplicates
                toggled = cache.toggle(video_id, user, liked)
                assert toggled is not None
                with lock:
                    results.append((toggled.version, user, liked, toggled))

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    results.sort(key=lambda row: row[0])
    assert len({row[0] for row in results}) == len(results)  # versions are unique
    model: set[str] = set()
    for _, user, liked, toggled in results:
        changed = (user not in model) if liked else (user in model)
        (model.add if liked else model.discard)(user)
        assert (toggled.liked, toggled.count, toggled.changed) == (liked, len(model), changed)
    assert cache.snapshot(video_id) == (model, len(model))


def test_keys_share_one_cluster_slot(video_id: str) -> None:
    from redis.crc import key_slot

    slots = {key_slot(name.encode()) for name in keys(video_id).values()}
    assert len(slots) == 1


# -- the store ---------------------------------------------------------------------------------------


def _changes_from_script(
    cache: LikeCache, video_id: str, seed: int, users: int = 8, ops: int = 60
) -> list[LikeChange]:
    cache.load(LikeState(video_id, frozenset(), 0, 0))
    rng = random.Random(seed)
    changes = []
    for _ in range(ops):
        user, liked = f"u{rng.randrange(users)}", rng.random() < 0.55
        toggled = cache.toggle(video_id, user, liked)
        assert toggled is not None
        changes.append(LikeChange(video_id, user, liked, toggled.version, AT))
    return changes


def test_changes_applied_in_random_order_with_duplicates_leave_the_true_state(
    cache: LikeCache, store: LikeStore, video_id: str
) -> None:
    changes = _changes_from_script(cache, video_id, seed=11, ops=40)
    truth = {user for (_, user), (liked, _) in replay(changes).items() if liked}
    assert cache.snapshot(video_id) == (truth, len(truth))

    rng = random.Random(12)
    deliveries = changes + rng.sample(changes, 15)  # redeliveries
    rng.shuffle(deliveries)
    # Two workers at once, as Lambda's concurrent batches would.
    halves = [deliveries[0::2], deliveries[1::2]]
    threads = [threading.Thread(target=lambda part=part: [store.apply(c) for c in part]) for part in halves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    state = store.state(video_id)
    assert state.users == truth
    assert state.count == len(truth) == store.count(video_id)
    assert state.version == max(c.version for c in changes)
    for change in rng.sample(changes, 8):  # everything is applied already: a redelivery is a no-op
        assert store.apply(change) is False
    assert store.state(video_id).users == truth


def test_an_unlike_applied_before_its_like_still_wins(store: LikeStore, video_id: str) -> None:
    like = LikeChange(video_id, "alice", True, 100, AT)
    unlike = LikeChange(video_id, "alice", False, 200, AT)
    assert store.apply(unlike) is False  # nothing to unlike: a tombstone at version 200
    assert store.apply(like) is False  # older than the tombstone: ignored
    assert store.apply(like) is False
    assert not store.liked(video_id, "alice")
    assert store.count(video_id) == 0

    relike = LikeChange(video_id, "alice", True, 300, AT)
    assert store.apply(relike) is True
    assert store.apply(unlike) is False  # stale now
    assert store.liked(video_id, "alice") and store.count(video_id) == 1


def test_a_same_state_action_raises_the_version_so_an_older_opposite_loses(
    store: LikeStore, video_id: str
) -> None:
    """like v1, unlike v2, like v3 applied as v1, v3, v2: v3 finds it liked already, yet must outrank v2."""
    v1, v2, v3 = (
        LikeChange(video_id, "bob", liked, version, AT)
        for liked, version in ((True, 1), (False, 2), (True, 3))
    )
    assert store.apply(v1) is True
    assert store.apply(v3) is False  # same state: version raised, counter untouched
    assert store.apply(v2) is False  # older than v3
    assert store.liked(video_id, "bob") and store.count(video_id) == 1


def test_my_likes_lists_live_likes_newest_first_in_pages(store: LikeStore) -> None:
    user = f"fan-{uuid.uuid4().hex[:6]}"
    videos = [f"vid-{i}-{uuid.uuid4().hex[:6]}" for i in range(5)]
    for i, video in enumerate(videos):
        store.apply(LikeChange(video, user, True, 10, f"2026-01-0{i + 1}T00:00:00.000Z"))
    store.apply(LikeChange(videos[2], user, False, 20, AT))  # a tombstone is not listed
    first = store.likes_of(user, 2, None)
    assert [like.video_id for like in first.likes] == [videos[4], videos[3]]
    assert first.cursor
    rest = store.likes_of(user, 10, first.cursor)
    assert [like.video_id for like in rest.likes] == [videos[1], videos[0]]


# -- the service and the worker ----------------------------------------------------------------------


def test_flush_then_first_touch_rebuilds_the_same_state(
    cache: LikeCache, store: LikeStore, redis_client: RedisCluster, video_id: str
) -> None:
    sender = ListSender()
    service = service_for(cache, store, sender, {video_id: published(video_id)})
    worker = LikeWorker(store, cache)
    rng = random.Random(5)
    for _ in range(40):
        user = Principal(f"u{rng.randrange(6)}", "x")
        answer = service.like(user, video_id) if rng.random() < 0.6 else service.unlike(user, video_id)
        assert not answer.degraded
    for message in sender.messages:
        worker.handle(message)
    before = cache.snapshot(video_id)
    state = store.state(video_id)
    assert before == (set(state.users), state.count)

    flush(redis_client, video_id)
    redis_client.script_flush()  # as after a restart: EVALSHA answers NOSCRIPT, the script is sent again
    assert cache.snapshot(video_id) is None
    answer = service.like(Principal("newcomer", "n"), video_id)  # first touch: rebuilt, then liked
    assert answer.like_count == state.count + 1 and answer.liked
    assert cache.snapshot(video_id) == (set(state.users) | {"newcomer"}, state.count + 1)
    # Versions after the flush still outrank the ones before it (the rebuild seeds the clock).
    assert int(sender.messages[-1]["version"]) > state.version


def test_a_change_queued_before_a_flush_reaches_the_rebuilt_cache(
    cache: LikeCache, store: LikeStore, redis_client: RedisCluster, video_id: str
) -> None:
    sender = ListSender()
    service = service_for(cache, store, sender, {video_id: published(video_id)})
    worker = LikeWorker(store, cache)
    service.like(Principal("alice", "a"), video_id)  # queued, not yet durable
    flush(redis_client, video_id)
    assert service.like(Principal("bob", "b"), video_id).like_count == 1  # rebuilt without alice
    service.unlike(Principal("carol", "c"), video_id)  # a no-op in Redis, queued all the same
    for message in sender.messages:
        assert worker.handle(message).applied is (message["user_id"] != "carol")
    assert cache.snapshot(video_id) == ({"alice", "bob"}, 2)
    assert worker.handle(sender.messages[0]).applied is False  # redelivery


class StoreRacedByTheWorker:
    """The store as the API sees it during a rebuild, with the likes worker applying a queued change
    between the API's read of the truth and its load into Redis (the race a rebuild must survive)."""

    def __init__(self, store: LikeStore, worker: LikeWorker, queued: list[dict[str, Any]]) -> None:
        self.store, self.worker, self.queued = store, worker, queued

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def state(self, video_id: str) -> LikeState:
        state = self.store.state(video_id)  # the API reads the truth ...
        while self.queued:  # ... the worker applies what was queued before the flush ...
            assert self.worker.handle(self.queued.pop(0)).applied
        return state  # ... and the API loads what it read


def test_a_change_applied_while_the_cache_is_being_rebuilt_is_not_lost(
    cache: LikeCache, store: LikeStore, redis_client: RedisCluster, video_id: str
) -> None:
    # GIVEN x's like and y's unlike of an earlier like, queued while the video was loaded; then a flush
    sender = ListSender()
    service = service_for(cache, store, sender, {video_id: published(video_id)})
    worker = LikeWorker(store, cache)
    service.like(Principal("y", "y"), video_id)
    worker.handle(sender.messages.pop())
    service.like(Principal("x", "x"), video_id)
    service.unlike(Principal("y", "y"), video_id)
    queued = list(sender.messages)
    sender.messages.clear()
    flush(redis_client, video_id)

    # WHEN z's like rebuilds the cache while the worker applies the queued changes in the middle
    raced = LikeService(
        cache, StoreRacedByTheWorker(store, worker, queued), sender, {video_id: published(video_id)}.get
    )
    answer = raced.like(Principal("z", "z"), video_id)
    for message in sender.messages:
        worker.handle(message)

    # THEN the answer and Redis hold the changes applied during the rebuild, as DynamoDB does
    truth = store.state(video_id)
    assert set(truth.users) == {"x", "z"} and truth.count == 2
    assert answer.like_count == 2
    assert cache.snapshot(video_id) == ({"x", "z"}, 2)
    assert not redis_client.exists(keys(video_id)["pending"])  # the rebuild took them over


def test_a_newer_action_is_not_undone_by_reconciling_an_older_one(
    cache: LikeCache, store: LikeStore, redis_client: RedisCluster, video_id: str
) -> None:
    sender = ListSender()
    service = service_for(cache, store, sender, {video_id: published(video_id)})
    worker = LikeWorker(store, cache)
    alice = Principal("alice", "a")
    service.like(alice, video_id)
    flush(redis_client, video_id)
    service.unlike(alice, video_id)  # rebuilt (alice not durable yet), unlike is a no-op, queued
    worker.handle(sender.messages[0])  # the like lands: DynamoDB says liked for now...
    assert cache.snapshot(video_id) == (set(), 0)  # ...but the cache has seen the newer unlike
    worker.handle(sender.messages[1])
    assert not store.liked(video_id, "alice") and store.count(video_id) == 0
    assert cache.snapshot(video_id) == (set(), 0)


def test_videos_not_published_or_missing_answer_404(
    cache: LikeCache, store: LikeStore, video_id: str
) -> None:
    sender = ListSender()
    service = service_for(cache, store, sender, {video_id: published(video_id, VideoStatus.IN_REVIEW)})
    for target in (video_id, "no-such-video"):
        with pytest.raises(NotFound) as error:
            service.like(Principal("alice", "a"), target)
        assert error.value.code == "video_not_found"
    assert sender.messages == []


def test_with_redis_unreachable_likes_are_queued_and_answered_from_the_store(
    store: LikeStore, video_id: str
) -> None:
    down = LikeCache(f"redis://127.0.0.1:{closed_port()}/0", socket_timeout=0.2, cluster=True)
    sender = ListSender()
    service = service_for(down, store, sender, {video_id: published(video_id)})
    worker = LikeWorker(store, down)
    store.apply(LikeChange(video_id, "early", True, 1, AT))

    answer = service.like(Principal("alice", "a"), video_id)
    assert (answer.liked, answer.like_count, answer.degraded) == (True, 2, True)
    assert service.like(Principal("early", "e"), video_id).like_count == 1 + 0  # already liked: count stays
    for message in sender.messages:
        worker.handle(message)  # the cache's failure does not fail the durable write
    assert store.state(video_id).users == {"early", "alice"}
    answer = service.unlike(Principal("alice", "a"), video_id)
    assert (answer.liked, answer.like_count, answer.degraded) == (False, 1, True)
    worker.handle(sender.messages[-1])
    assert store.state(video_id).users == {"early"} and store.count(video_id) == 1


def test_a_queue_failure_fails_the_call_and_forgets_the_cached_video(
    cache: LikeCache, store: LikeStore, video_id: str
) -> None:
    class Broken:
        def send(self, message: dict[str, Any]) -> str:
            raise DependencyFailed("queue down", code="queue_unavailable")

    service = service_for(cache, store, Broken(), {video_id: published(video_id)})
    with pytest.raises(DependencyFailed):
        service.like(Principal("alice", "a"), video_id)
    assert cache.snapshot(video_id) is None  # the next touch rebuilds from the truth
    assert store.count(video_id) == 0


# -- the SQS sender ----------------------------------------------------------------------------------


def test_the_queue_sender_puts_json_on_the_queue(cloud_env: Any) -> None:
    sqs = cloud_env.client("sqs")
    url = sqs.create_queue(QueueName=f"test-likes-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    change = LikeChange("v1", "alice", True, 7, AT)
    assert QueueSender(url, client=sqs).send(change.to_dict())
    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    handled = LikeChange.from_json(received[0]["Body"])
    assert handled == change

    with pytest.raises(DependencyFailed) as error:
        QueueSender(url + "-missing", client=sqs).send({"a": 1})
    assert error.value.code == "queue_unavailable"
