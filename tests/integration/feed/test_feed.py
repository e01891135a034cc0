"""GET /feed on the local cloud: pages that never repeat and never show the viewer's own videos, author
diversity, reasons, a full page for a new viewer, not-interested marks, and the popular fallback while
the search node is down (back to personal once it is up, without restarting the API)."""

from __future__ import annotations

import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.tokens import user_sub
from tests.support.feed_corpus import TAGS, Catalog, seed_catalog
from tests.support.flags import flags, release_every_flag
from tests.support.http import Api
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

HOT_LIST = "HotListFunctionEvery10Minutes"  # the template's 10-minute schedule


@pytest.fixture(scope="module")
def viewer_name() -> str:
    return f"feedviewer-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def catalog(local_cloud: Any, cloud_sdk_environment: Any, viewer_name: str) -> Catalog:
    """90 published videos of 15 authors (the viewer is not one of them) plus 5 of the viewer's own."""
    prefix = f"feed{uuid.uuid4().hex[:6]}"
    seeded = seed_catalog(local_cloud, prefix, videos=90, authors=15)
    own = seed_catalog(local_cloud, prefix + "own", videos=5, authors=1, owner=user_sub(viewer_name))
    local_cloud.fire_schedule(HOT_LIST)
    return Catalog(
        seeded.video_ids + own.video_ids,
        {**seeded.author_of, **own.author_of},
        {**seeded.tags_of, **own.tags_of},
    )


def feed(
    api: Api, limit: int, cursor: str | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    reply = api.call("GET", f"/feed{query}", headers=headers)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_five_pages_never_repeat_nor_show_own_videos_and_keep_authors_apart(
    local_cloud: Any, catalog: Catalog, viewer_name: str
) -> None:
    # GIVEN a viewer with 5 videos of their own in a catalog of 95
    api = Api(local_cloud.api_url, local_cloud.token(viewer_name))
    own = {video for video, author in catalog.author_of.items() if author == user_sub(viewer_name)}
    # WHEN they page through 5 pages of 12
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = feed(api, 12, cursor)
        items = page["items"]
        # THEN every page is full, says why each video is there, and keeps 2 per author in any 10
        assert len(items) == 12 and page["mode"] == "personalized", page
        assert all(item["reason"] and item["playback_url"] and item["title"] for item in items)
        authors = [item["author"] for item in items]
        for start in range(len(authors) - 9):
            window = authors[start : start + 10]
            assert max(window.count(a) for a in set(window)) <= 2, authors
        seen += [item["video_id"] for item in items]
        cursor = page["next_cursor"]
    # AND no video came twice, and none of the viewer's own
    assert len(seen) == len(set(seen)) == 60
    assert not own & set(seen)


def test_a_new_viewer_gets_a_full_page_of_popular_and_new_videos(local_cloud: Any, catalog: Catalog) -> None:
    # GIVEN a viewer who never played or liked anything WHEN the feed opens
    api = Api(local_cloud.api_url, local_cloud.token(f"newcomer-{uuid.uuid4().hex[:6]}"))
    page = feed(api, 50)
    # THEN the page is full, from the hot list and exploration, each with its reason
    assert len(page["items"]) == 50
    reasons = {item["reason"] for item in page["items"]}
    assert reasons <= {"popular now", "new"} | {r for r in reasons if r.startswith("popular in")}, reasons


def test_a_video_marked_not_interested_never_comes_back(local_cloud: Any, catalog: Catalog) -> None:
    # GIVEN a viewer's first page
    api = Api(local_cloud.api_url, local_cloud.token(f"picky-{uuid.uuid4().hex[:6]}"))
    first = feed(api, 10)["items"]
    marked = first[0]["video_id"]
    # WHEN they mark one video not interested
    reply = api.call("POST", f"/videos/{marked}/not-interested")
    assert reply.status == 200 and reply.body["not_interested"] is True, reply.body
    # THEN it is in none of the next pages; marking an unknown video is a 404
    later = [item["video_id"] for _ in range(3) for item in feed(api, 20)["items"]]
    assert marked not in later
    assert api.call("POST", "/videos/no-such-video/not-interested").status == 404


def test_search_down_serves_popular_pages_and_search_up_brings_personal_ones_back(
    local_cloud: Any, catalog: Catalog
) -> None:
    api = Api(local_cloud.api_url, local_cloud.token(f"outage-{uuid.uuid4().hex[:6]}"))
    # GIVEN the search node stopped
    local_cloud.stop_search()
    try:
        # WHEN the viewer opens the feed, several times THEN every answer is a full popular page, no 5xx
        for _ in range(3):
            page = feed(api, 20)
            assert page["mode"] == "popular" and len(page["items"]) == 20, page
            assert "search unhealthy" in " ".join(page["degraded"]["reasons"])
    finally:
        local_cloud.start_search()

    # AND once it is back (and has stayed healthy through the hold) the feed is personal again
    def personal() -> dict[str, Any] | None:
        page = feed(api, 20)
        return page if page["mode"] == "personalized" else None

    back = wait_for(personal, timeout=60, interval=2)
    assert len(back["items"]) == 20


def test_a_stalled_plays_worker_turns_the_feed_offline_and_back(local_cloud: Any, catalog: Catalog) -> None:
    api = Api(local_cloud.api_url, local_cloud.token(f"stall-{uuid.uuid4().hex[:6]}"))
    plays_function = local_cloud.name("PlaysFunction")
    # GIVEN the plays worker stalled (its queue's event source disabled)
    assert local_cloud.pause_sources(plays_function) >= 1
    try:
        # WHEN a viewer's play waits in the queue longer than 5 s
        video = catalog.video_ids[0]
        reply = api.call("POST", f"/videos/{video}/plays", {"session_id": "s-stall", "watched_ms": 8000})
        assert reply.status == 202 and reply.body["counted"], reply.body

        def offline() -> dict[str, Any] | None:
            page = feed(api, 20)
            return page if page["mode"] == "offline" else None

        # THEN the feed switches to offline interests, still a full page, and says why
        page = wait_for(offline, timeout=40, interval=1)
        assert len(page["items"]) == 20
        assert any(reason.startswith("real-time interests stale") for reason in page["degraded"]["reasons"])
    finally:
        local_cloud.resume_sources(plays_function)

    # AND once the worker caught up (and the hold passed) the feed is personal again
    def personal() -> dict[str, Any] | None:
        page = feed(api, 20)
        return page if page["mode"] == "personalized" else None

    assert wait_for(personal, timeout=60, interval=2)


def test_a_flood_shrinks_pages_to_20_and_pauses_similar_while_the_feed_keeps_answering(
    local_cloud: Any, catalog: Catalog
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    api = Api(local_cloud.api_url, local_cloud.token(f"flood-{uuid.uuid4().hex[:6]}"))
    video = catalog.video_ids[1]
    stop_at = time.monotonic() + 8
    statuses: list[int] = []

    def flood(n: int) -> None:
        # each its own viewer: one viewer's read bucket would answer 429 first
        crowd = Api(local_cloud.api_url, local_cloud.token(f"crowd{n}-{uuid.uuid4().hex[:6]}"))
        while time.monotonic() < stop_at:
            statuses.append(crowd.call("GET", "/feed?limit=5").status)

    # GIVEN feed requests well past the overload level (FEED_OVERLOAD_RPS pages a second)
    with ThreadPoolExecutor(max_workers=10) as pool:
        for n in range(10):
            pool.submit(flood, n)

        # WHEN the viewer asks for 50 and for similar videos during it
        def shrunk() -> dict[str, Any] | None:
            page = feed(api, 50)
            return page if len(page["items"]) == 20 else None

        page = wait_for(shrunk, timeout=7, interval=0.2)
        similar = api.call("GET", f"/videos/{video}/similar")
    # THEN pages hold 20 items and say why, similar answers 503 with Retry-After, and no feed failed
    assert page, "the feed never shrank under the flood"
    assert any(reason.startswith("overload") for reason in page["degraded"]["reasons"])
    assert similar.status == 503 and similar.body["code"] == "overloaded", similar.body
    assert int(similar.headers.get("Retry-After", "0")) >= 1
    assert statuses and set(statuses) == {200}, sorted(set(statuses))

    # AND after the flood (and the hold) similar answers again and pages are 50 long
    def recovered() -> bool:
        return api.call("GET", f"/videos/{video}/similar").status == 200 and len(feed(api, 50)["items"]) == 50

    assert wait_for(recovered, timeout=60, interval=2)


def _deploy_cats_ranker(cloud: Any, folder: Path, endpoint: str) -> None:
    """A DeepFM trained to prefer #cats whatever else a candidate carries, served at `endpoint` by `rank
    deploy`'s code. Its rows look like the feed's candidates (a main tag and a second one, an author,
    plays, age, duration, hour, region), their label the main tag alone: trained on bare rows, the
    fields the feed fills in but the rows left out weighed in at random and could put another tag first."""
    import numpy as np

    from reelstack_tools.rank_deploy import deploy
    from reelstack_tools.rank_eval import ranker_modules

    features, model, training, _ = ranker_modules()
    draw = np.random.default_rng(7)
    main_tags = [TAGS[i % len(TAGS)] for i in range(2000)]
    rows = [
        features.values_of(
            {"tags": [], "region": str(draw.choice(["BR", "DE", "IS", ""])), "follows": []},
            {"hour": int(draw.integers(0, 24)), "device": None},
            {
                "video_id": f"r{i}",
                "author_id": f"a{draw.integers(0, 50)}",
                "tags": [tag, f"t{draw.integers(0, 40)}"],
                "duration_ms": int(draw.integers(3_000, 60_000)),
                "age_days": float(draw.uniform(0, 3)),
                "plays": int(draw.integers(0, 200)),
            },
        )
        for i, tag in enumerate(main_tags)
    ]
    indices, mask = features.encode(rows)
    labels = np.asarray([tag == "cats" for tag in main_tags], dtype=np.float32)
    params, _ = training.train(indices, mask, labels, training.TrainSettings(epochs=6, batch_size=64))
    model.save(folder / "model", params, {"kind": "deepfm", "version": "feed-test"})
    archive = folder / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        for path in (folder / "model").iterdir():
            packed.add(path, arcname=path.name)
    deploy(
        str(archive),
        endpoint=endpoint,
        role="arn:aws:iam::123456789012:role/ranker",
        bucket=str(cloud.name("LakeBucket")),
        region=cloud.region,
        version="feed-test",
        poll_s=1,
    )


def test_the_ranker_orders_the_page_and_its_outage_falls_back_to_a_full_page(
    cloud_sdk_environment: Any, catalog: Catalog, tmp_path: Path
) -> None:
    cloud = cloud_sdk_environment
    endpoint = "reelstack-ranker"  # the template's RankerEndpointName
    api = Api(cloud.api_url, cloud.token(f"ranked-{uuid.uuid4().hex[:6]}"))
    # GIVEN the ranker served at the endpoint the API calls
    _deploy_cats_ranker(cloud, tmp_path, endpoint)
    try:
        # WHEN the viewer opens the feed THEN the ranker orders it (the answer says so): a #cats video
        # leads, and #cats takes more slots than its share of the catalog (a fifth: ~4 of 20) though the
        # tag spread caps it at 7 of 20 (a first tag waits 2 items)
        def ranked() -> dict[str, Any] | None:
            page = feed(api, 20)
            return page if page.get("ranked_by") == "ranker" else None

        page = wait_for(ranked, timeout=30, interval=1)
        assert page, "the ranker never answered within its budget"
        # (by each video's tags: the session's other tests publish #cats videos of other titles too)
        tagged = [(item["title"], _tags(api, item["video_id"])) for item in page["items"]]
        cats = ["cats" in tags for _, tags in tagged]
        assert cats[0] and sum(cats) >= 5, tagged
    finally:
        # AND when its endpoint goes away
        cloud.client("sagemaker").delete_endpoint(EndpointName=endpoint)

    def fallback() -> dict[str, Any] | None:
        page = feed(api, 20)
        return (
            page
            if "ranker unavailable: fallback order" in page.get("degraded", {}).get("reasons", [])
            else None
        )

    # THEN pages come in the fallback order, still full
    page = wait_for(fallback, timeout=30, interval=1)
    assert page and len(page["items"]) == 20


def test_a_ranker_version_on_trial_ranks_only_the_viewers_its_rollout_names(
    cloud_sdk_environment: Any, catalog: Catalog, tmp_path: Path
) -> None:
    cloud = cloud_sdk_environment
    version = "reelstack-ranker-v2"  # <RankerEndpointName>-<version>, as the API's role allows
    api = Api(cloud.api_url, cloud.token(f"trial-{uuid.uuid4().hex[:6]}"))
    # GIVEN a new ranker served at its own endpoint, rolled out to every viewer in Brazil
    _deploy_cats_ranker(cloud, tmp_path, version)
    try:
        assert (
            flags(cloud, "set", "ranker_version", "--percent", "100", "--value", version, "--regions", "BR")
            == 0
        )

        # (once the rollout reaches the API: a new Brazilian viewer's first page says so. Polling with the
        # viewer's own feed would have served them, and so excluded, what the new ranker puts first)
        def rolled_out() -> bool:
            probe = Api(cloud.api_url, cloud.token(f"probe-{uuid.uuid4().hex[:6]}"))
            return feed(probe, 1, headers={"X-Viewer-Region": "BR"}).get("ranker_version") == version

        assert wait_for(rolled_out, timeout=30, interval=1)
        # WHEN the viewer opens the feed from Brazil THEN the version on trial ranks it (the answer says
        # which), and a #cats video leads
        page = feed(api, 20, headers={"X-Viewer-Region": "BR"})
        assert page.get("ranker_version") == version and page["ranked_by"] == "ranker", page
        # (by the lead's tags: the session's other tests publish #cats videos of other titles too)
        lead = page["items"][0]
        assert "cats" in _tags(api, lead["video_id"]), [item["title"] for item in page["items"]]
        # AND from Germany the same viewer is not on trial
        assert "ranker_version" not in feed(api, 20, headers={"X-Viewer-Region": "DE"})
        # WHEN the rollout is taken back THEN the next page from Brazil is not on trial either
        assert flags(cloud, "set", "ranker_version", "--percent", "0") == 0
        assert "ranker_version" not in feed(api, 20, headers={"X-Viewer-Region": "BR"})
    finally:
        release_every_flag(cloud)
        cloud.client("sagemaker").delete_endpoint(EndpointName=version)


def test_liking_a_few_videos_of_one_tag_leans_the_next_page_to_it(local_cloud: Any, catalog: Catalog) -> None:
    # GIVEN a new viewer's first page
    api = Api(local_cloud.api_url, local_cloud.token(f"leaner-{uuid.uuid4().hex[:6]}"))
    first = feed(api, 20)["items"]
    food_before = sum(item["title"].startswith("food") for item in first)
    # WHEN they like three #food videos
    liked = [video for video in catalog.video_ids if catalog.tags_of[video][0] == "food"][-3:]
    for video in liked:
        assert api.call("POST", f"/videos/{video}/like").status == 200
    # THEN the next page leans to #food (as far as the tag spread allows: 7 of 20), saying why
    page = feed(api, 20)["items"]
    food_after = [item for item in page if item["title"].startswith("food")]
    assert len(food_after) >= 6 and len(food_after) > food_before, (food_before, [i["title"] for i in page])
    assert any(item["reason"] == "because you like #food" for item in food_after)


def test_a_returning_viewer_gets_the_precomputed_first_page_until_their_interests_move(
    local_cloud: Any, catalog: Catalog
) -> None:
    # GIVEN a viewer who played a #travel video and opened the feed once (which pre-computes the next)
    from reelstack.adapters.engagement.play_stats import PlayStats

    name = f"returning-{uuid.uuid4().hex[:6]}"
    api = Api(local_cloud.api_url, local_cloud.token(name))
    travel = [video for video in catalog.video_ids if catalog.tags_of[video][0] == "travel"]
    assert (
        api.call("POST", f"/videos/{travel[0]}/plays", {"session_id": "s1", "watched_ms": 8000}).status == 202
    )
    # (plays are counted off the request: a page opened before the play moves the viewer's interests
    # is cached under the interests it saw, and the next visit rightly builds a fresh one)
    stats = PlayStats(local_cloud.redis_url, cluster=True)
    assert wait_for(lambda: any(tag == "travel" for tag, _ in stats.interests(user_sub(name), 5)), timeout=30)

    # (and a degraded page, a lagging plays worker's say, caches nothing)
    def personal() -> dict[str, Any] | None:
        page = feed(api, 20)
        return page if page["mode"] == "personalized" else None

    first = wait_for(personal, timeout=30, interval=1)
    assert first and first["ranked_by"] != "cache"
    # WHEN they come back (no cursor) THEN the page comes from the cache: full, none of what they saw
    again = feed(api, 20)
    assert again["ranked_by"] == "cache" and len(again["items"]) == 20
    assert not {i["video_id"] for i in first["items"]} & {i["video_id"] for i in again["items"]}
    # AND a like that moves their interests makes the next visit build a fresh page
    for video in [v for v in catalog.video_ids if catalog.tags_of[v][0] == "music"][-3:]:
        assert api.call("POST", f"/videos/{video}/like").status == 200
    assert feed(api, 20)["ranked_by"] != "cache"


def test_plays_from_a_region_make_its_hot_list_and_its_viewers_see_it(
    local_cloud: Any, catalog: Catalog
) -> None:
    # GIVEN viewers in Iceland playing two videos
    region = "IS"
    favourites = list(catalog.video_ids[10:12])
    for n in range(6):
        player = Api(local_cloud.api_url, local_cloud.token(f"icelander{n}-{uuid.uuid4().hex[:4]}"))
        for video in favourites:
            reply = player.call(
                "POST", f"/videos/{video}/plays", {"session_id": f"is{n}", "watched_ms": 8000},
                headers={"X-Viewer-Region": region},
            )  # fmt: skip
            assert reply.status == 202, reply.body
    # WHEN the hot list is rebuilt and a new Icelandic viewer opens the feed
    local_cloud.fire_schedule(HOT_LIST)
    newcomer = Api(local_cloud.api_url, local_cloud.token(f"icelander-new-{uuid.uuid4().hex[:4]}"))
    reply = newcomer.call("GET", "/feed?limit=20", headers={"X-Viewer-Region": region})
    assert reply.status == 200, reply.body
    # THEN the region's favourites are on the page, "popular in your region (IS)"
    reasons = {item["video_id"]: item["reason"] for item in reply.body["items"]}
    assert all(reasons.get(video) == f"popular in your region ({region})" for video in favourites), reasons


def test_a_viewer_who_was_served_everything_still_gets_a_full_page(
    local_cloud: Any, catalog: Catalog
) -> None:
    # GIVEN a viewer who was already served every published video of the cloud (their served set)
    from reelstack.adapters.distribution.feed_store import FeedStore

    name = f"bingewatcher-{uuid.uuid4().hex[:6]}"
    api = Api(local_cloud.api_url, local_cloud.token(name))
    store = FeedStore(local_cloud.redis_url, cluster=True)
    everything = [hit["video_id"] for hit in _all_hot(local_cloud)] + list(catalog.video_ids)
    store.mark_served(user_sub(name), everything, int(time.time() * 1000))
    # WHEN they open the feed THEN the page is full all the same: the hot list comes back around
    page = feed(api, 20)
    assert len(page["items"]) == 20


def _tags(api: Api, video_id: str) -> list[str]:
    """A published video's tags, as the API answers them."""
    reply = api.call("GET", f"/videos/{video_id}")
    assert reply.status == 200, reply.body
    return [str(tag) for tag in reply.body.get("tags") or []]


def _all_hot(local_cloud: Any) -> list[dict[str, Any]]:
    from reelstack.adapters.distribution.feed_store import FeedStore

    return FeedStore(local_cloud.redis_url, cluster=True).hot_list("all") or []
