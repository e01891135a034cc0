"""Profiles and follows through the API of the local cloud: profiles made on first use and edited by
their owner only, follows idempotent and never of oneself, exact counts in both directions after a
storm of concurrent follows and unfollows, lists newest first, and the followed user notified once."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
NewUser = Callable[..., tuple[Api, str]]


def test_a_profile_exists_from_the_first_request_and_only_its_owner_edits_it(new_user: NewUser) -> None:
    # GIVEN a user who has made one request, and another user
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    # WHEN bob reads ann's profile
    seen = bob.call("GET", f"/users/{ann_id}")
    # THEN it is there, named after her sign-in, with zero counts
    assert seen.status == 200, seen.body
    assert seen.body["display_name"].startswith("ann-")
    assert {k: seen.body[k] for k in ("follower_count", "following_count", "video_count", "avatar_url")} == {
        "follower_count": 0, "following_count": 0, "video_count": 0, "avatar_url": None,
    }  # fmt: skip
    # WHEN ann renames herself and writes a two-line bio
    patched = ann.call("PATCH", "/me", {"display_name": "Ann Lee", "bio": "films\nand cats"})
    # THEN everyone reads the change; only /me edits, so bob cannot touch hers
    assert patched.status == 200, patched.body
    assert bob.call("GET", f"/users/{ann_id}").body["display_name"] == "Ann Lee"
    assert bob.call("GET", f"/users/{ann_id}").body["bio"] == "films\nand cats"
    # AND both fields at their longest in escaped emoji fit the route's body cap
    longest = json.dumps({"display_name": "\U0001f3ac" * 50, "bio": "\U0001f408" * 160}).encode()
    headers = {"Content-Type": "application/json"}
    assert ann.call("PATCH", "/me", data=longest, headers=headers).status == 200


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": "x" * 51},
        {"display_name": "two\nlines"},
        {"display_name": "evil\u202eeman"},
        {"bio": "b" * 161},
        {"bio": "1\n2\n3\n4\n5"},
        {"avatar": "x"},
        {},
        ["display_name"],
    ],
)
def test_bad_profile_edits_are_refused_with_a_code_and_change_nothing(new_user: NewUser, body: Any) -> None:
    api, user_id = new_user("picky")
    before = api.call("GET", f"/users/{user_id}").body
    reply = api.call("PATCH", "/me", body)
    assert reply.status == 400, reply.body
    assert reply.body["code"] in ("invalid_profile", "invalid_field")
    assert api.call("GET", f"/users/{user_id}").body == before


def test_follow_is_idempotent_never_of_oneself_nor_of_nobody(new_user: NewUser) -> None:
    # GIVEN two users
    ann, ann_id = new_user("ann")
    bob, bob_id = new_user("bob")
    # WHEN bob follows ann twice
    first = bob.call("POST", f"/users/{ann_id}/follow")
    again = bob.call("POST", f"/users/{ann_id}/follow")
    # THEN one follow is counted, in both directions
    assert first.body == {"user_id": ann_id, "following": True, "follower_count": 1}
    assert again.body == first.body
    assert ann.call("GET", f"/users/{ann_id}").body["follower_count"] == 1
    assert ann.call("GET", f"/users/{bob_id}").body["following_count"] == 1
    # AND following yourself or someone who never used the API is refused
    assert bob.call("POST", f"/users/{bob_id}/follow").body["code"] == "cannot_follow_self"
    nobody = bob.call("POST", "/users/no-such-user/follow")
    assert (nobody.status, nobody.body["code"]) == (404, "user_not_found")
    # WHEN bob unfollows twice THEN the counts go back once
    assert bob.call("DELETE", f"/users/{ann_id}/follow").body["follower_count"] == 0
    assert bob.call("DELETE", f"/users/{ann_id}/follow").body == {
        "user_id": ann_id, "following": False, "follower_count": 0,
    }  # fmt: skip
    assert ann.call("GET", f"/users/{bob_id}").body["following_count"] == 0


def test_a_storm_of_concurrent_follows_and_unfollows_ends_with_exact_counts_both_ways(
    new_user: NewUser,
) -> None:
    # GIVEN a creator and 24 fans, each of whom follows and unfollows 8 times in a random order,
    # all fans at once (each fan's own calls in sequence, as one app would make them)
    creator, creator_id = new_user("creator")
    fans = [new_user("fan") for _ in range(24)]
    rng = random.Random(15)
    plans = [[rng.choice(("POST", "DELETE")) for _ in range(8)] for _ in fans]

    def storm(fan: tuple[Api, str], plan: list[str]) -> list[int]:
        api, _ = fan
        return [api.call(method, f"/users/{creator_id}/follow").status for method in plan]

    # WHEN the storm has passed
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = [status for result in pool.map(storm, fans, plans) for status in result]
    # THEN every call was answered, and the counts equal the fans whose last call was a follow
    assert set(statuses) == {200}, sorted(set(statuses))
    following = {fan_id for (_, fan_id), plan in zip(fans, plans, strict=True) if plan[-1] == "POST"}
    profile = creator.call("GET", f"/users/{creator_id}").body
    assert profile["follower_count"] == len(following)
    # AND the followers list holds exactly those fans, and each fan's following count agrees
    listed: list[str] = []
    cursor = None
    while True:
        page = creator.call(
            "GET", f"/users/{creator_id}/followers?limit=7" + (f"&cursor={cursor}" if cursor else "")
        )
        assert page.status == 200, page.body
        listed += [item["user_id"] for item in page.body["items"]]
        cursor = page.body["cursor"]
        if not cursor:
            break
    assert sorted(listed) == sorted(following)
    for _, fan_id in fans:
        expected = 1 if fan_id in following else 0
        assert creator.call("GET", f"/users/{fan_id}").body["following_count"] == expected


def test_followings_list_newest_first_and_a_new_follower_is_notified_in_one_aggregate(
    new_user: NewUser,
) -> None:
    # GIVEN a creator, and three users who follow her one after the other (one refollows)
    creator, creator_id = new_user("star")
    fans = [new_user("fan") for _ in range(3)]
    for api, _ in fans:
        assert api.call("POST", f"/users/{creator_id}/follow").status == 200
    fans[0][0].call("DELETE", f"/users/{creator_id}/follow")
    fans[0][0].call("POST", f"/users/{creator_id}/follow")
    # THEN her followers are listed newest first (the refollow is the newest)
    items = creator.call("GET", f"/users/{creator_id}/followers").body["items"]
    assert [item["user_id"] for item in items] == [fans[0][1], fans[2][1], fans[1][1]]
    # AND a fan's followings list her
    assert [i["user_id"] for i in fans[1][0].call("GET", f"/users/{fans[1][1]}/following").body["items"]] == [
        creator_id
    ]

    # AND she gets one notification for the hour: three people, the refollow counted once
    def notified() -> dict[str, Any] | None:
        mine = [n for n in creator.call("GET", "/notifications").body["items"] if n["kind"] == "follow"]
        return mine[0] if len(mine) == 1 and mine[0]["actors"] == 3 else None

    notice = wait_for(notified, timeout=60)
    assert notice["text"].endswith("and 1 other started following you")
