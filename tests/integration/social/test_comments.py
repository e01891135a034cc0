"""Comments through the API of the local cloud: posted pending, read by the text moderation step
(the comment moderation function, from CommentsQueue), shown and counted or held for the reviewers
(seen by their author only until approved), replies one level deep, deletion by the comment's or the
video's author only, and the author and the parent's author notified."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.http import Api
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
NewUser = Callable[..., tuple[Api, str]]
ABUSE = "you are a worthless idiot, go kill yourself"


@pytest.fixture(scope="module")
def reviewer(new_user: NewUser) -> Api:
    return new_user("reviewer", roles=("reviewer",))[0]


def comments(api: Api, video_id: str, query: str = "") -> list[dict[str, Any]]:
    reply = api.call("GET", f"/videos/{video_id}/comments{query}")
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def status_of(api: Api, video_id: str, comment_id: str, query: str = "") -> str | None:
    found = [c["status"] for c in comments(api, video_id, query) if c["comment_id"] == comment_id]
    return found[0] if found else None


def settled(api: Api, video_id: str, comment_id: str, query: str = "") -> str:
    """The comment's status once the moderation step has read it (as its author sees it)."""

    def read() -> str | None:
        status = status_of(api, video_id, comment_id, query)
        return status if status not in (None, "pending") else None

    return wait_for(read, timeout=60)


def count(api: Api, video_id: str) -> int:
    return int(api.call("GET", f"/videos/{video_id}").body["comment_count"])


def test_a_clean_comment_shows_and_counts_a_flagged_one_waits_for_a_reviewer(
    new_user: NewUser, publish: Callable[..., str], reviewer: Api
) -> None:
    # GIVEN ann's published video, and bob
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    video = publish(ann_id)
    # WHEN bob posts a friendly comment and an abusive one
    nice = bob.call("POST", f"/videos/{video}/comments", {"text": "Lovely <b>light</b> here!\nMore please"})
    nasty = bob.call("POST", f"/videos/{video}/comments", {"text": ABUSE})
    # THEN both are accepted, pending, text stored as given
    assert nice.status == nasty.status == 201, (nice.body, nasty.body)
    assert nice.body["status"] == "pending" and nice.body["text"] == "Lovely <b>light</b> here!\nMore please"
    # AND the step shows the friendly one and holds the other
    assert settled(bob, video, nice.body["comment_id"]) == "visible"
    assert settled(bob, video, nasty.body["comment_id"]) == "held"
    # AND only the friendly one is counted and seen by others; bob still sees his held one
    assert count(ann, video) == 1
    assert [c["comment_id"] for c in comments(ann, video)] == [nice.body["comment_id"]]
    assert {c["comment_id"] for c in comments(bob, video)} == {
        nice.body["comment_id"],
        nasty.body["comment_id"],
    }
    # AND the reviewers see it with why it was held; others may not look
    queue = reviewer.call("GET", "/moderation/comments?limit=100").body["items"]
    (held,) = [c for c in queue if c["comment_id"] == nasty.body["comment_id"]]
    assert held["flags"] and held["text"] == ABUSE
    assert ann.call("GET", "/moderation/comments").status == 403
    # WHEN a reviewer approves it THEN everyone sees it and it is counted
    path = f"/moderation/comments/{video}/{nasty.body['comment_id']}/decision"
    assert ann.call("POST", path, {"decision": "approve"}).status == 403
    assert reviewer.call("POST", path, {"decision": "approve"}).body["status"] == "visible"
    assert status_of(ann, video, nasty.body["comment_id"]) == "visible"
    assert count(ann, video) == 2
    # AND deciding it again is a 404 (it is no longer held)
    assert reviewer.call("POST", path, {"decision": "reject"}).status == 404


def test_a_rejected_comment_is_gone_for_its_author_too(
    new_user: NewUser, publish: Callable[..., str], reviewer: Api
) -> None:
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    video = publish(ann_id)
    nasty = bob.call("POST", f"/videos/{video}/comments", {"text": ABUSE}).body
    assert settled(bob, video, nasty["comment_id"]) == "held"
    decided = reviewer.call(
        "POST", f"/moderation/comments/{video}/{nasty['comment_id']}/decision", {"decision": "reject"}
    )
    assert decided.body["status"] == "rejected"
    assert comments(bob, video) == [] and count(ann, video) == 0


def test_deleting_is_for_the_comments_author_or_the_videos_author_and_takes_the_thread(
    new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN ann's video with a comment by bob, carol's reply to it, and a comment by carol
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    carol, _ = new_user("carol")
    eve, _ = new_user("eve")
    video = publish(ann_id)
    top = bob.call("POST", f"/videos/{video}/comments", {"text": "first!"}).body
    assert settled(bob, video, top["comment_id"]) == "visible"
    reply = carol.call(
        "POST", f"/videos/{video}/comments", {"text": "agreed", "reply_to": top["comment_id"]}
    ).body
    own = carol.call("POST", f"/videos/{video}/comments", {"text": "nice cut"}).body
    assert settled(carol, video, reply["comment_id"], f"?reply_to={top['comment_id']}") == "visible"
    assert settled(carol, video, own["comment_id"]) == "visible"
    assert count(ann, video) == 3
    # AND replies are one level deep
    deeper = bob.call("POST", f"/videos/{video}/comments", {"text": "no", "reply_to": reply["comment_id"]})
    assert (deeper.status, deeper.body["code"]) == (400, "invalid_reply")
    # THEN the top comment lists its reply count, and "top" puts it first
    assert next(c["comment_id"] for c in comments(eve, video, "?order=top")) == top["comment_id"]
    assert [c["reply_count"] for c in comments(eve, video) if c["comment_id"] == top["comment_id"]] == [1]
    # WHEN eve (neither author) tries to delete bob's comment THEN 403, nothing changes
    refused = eve.call("DELETE", f"/videos/{video}/comments/{top['comment_id']}")
    assert (refused.status, refused.body["code"]) == (403, "not_allowed")
    assert count(ann, video) == 3
    # WHEN carol deletes her own comment, and ann (the video's author) deletes bob's thread
    assert carol.call("DELETE", f"/videos/{video}/comments/{own['comment_id']}").status == 200
    assert ann.call("DELETE", f"/videos/{video}/comments/{top['comment_id']}").status == 200
    # THEN they are gone from the lists and the count, the reply with its thread
    assert comments(eve, video) == [] and count(ann, video) == 0
    assert eve.call("GET", f"/videos/{video}/comments?reply_to={top['comment_id']}").status == 404
    again = carol.call("DELETE", f"/videos/{video}/comments/{own['comment_id']}")
    assert (again.status, again.body["code"]) == (404, "comment_not_found")


def test_comments_notify_the_video_author_aggregated_and_a_reply_the_parents_author(
    new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN ann's video, three comments by bob and carol, and dave's reply to bob's
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    carol, _ = new_user("carol")
    dave, _ = new_user("dave")
    video = publish(ann_id)
    first = bob.call("POST", f"/videos/{video}/comments", {"text": "wow"}).body
    bob.call("POST", f"/videos/{video}/comments", {"text": "wow again"})
    carol.call("POST", f"/videos/{video}/comments", {"text": "great"})
    ann.call("POST", f"/videos/{video}/comments", {"text": "thanks all"})  # her own: no notification
    assert settled(bob, video, first["comment_id"]) == "visible"
    dave.call("POST", f"/videos/{video}/comments", {"text": "same", "reply_to": first["comment_id"]})

    # THEN ann has one notification for the window: three people commented (not herself)
    def ann_told() -> dict[str, Any] | None:
        mine = [n for n in ann.call("GET", "/notifications").body["items"] if n["kind"] == "comment"]
        return mine[0] if len(mine) == 1 and mine[0]["actors"] == 3 else None

    assert wait_for(ann_told, timeout=60)["video_id"] == video

    # AND bob is told dave replied
    def bob_told() -> dict[str, Any] | None:
        mine = [n for n in bob.call("GET", "/notifications").body["items"] if n["kind"] == "reply"]
        return mine[0] if mine else None

    assert wait_for(bob_told, timeout=60)["text"].endswith("replied to your comment")


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "x" * 501},
        {"text": "bell\u0007"},
        {"text": 5},
        {"reply_to": "c"},
        {"text": "a", "x": 1},
    ],
)
def test_bad_comments_are_refused_with_a_code_and_nothing_is_stored(
    new_user: NewUser, publish: Callable[..., str], body: Any
) -> None:
    ann, ann_id = new_user("ann")
    video = publish(ann_id)
    reply = ann.call("POST", f"/videos/{video}/comments", body)
    assert reply.status == 400 and reply.body["code"] in ("invalid_comment", "invalid_field"), reply.body
    assert comments(ann, video) == []


def test_comments_on_a_video_that_is_not_published_are_refused(
    new_user: NewUser, publish: Callable[..., str]
) -> None:
    from reelstack.domain.videos import VideoStatus

    ann, ann_id = new_user("ann")
    video = publish(ann_id, status=VideoStatus.IN_REVIEW)
    reply = ann.call("POST", f"/videos/{video}/comments", {"text": "hello"})
    assert (reply.status, reply.body["code"]) == (404, "video_not_found")


def test_a_comment_at_its_longest_in_escaped_emoji_fits_its_body_cap(
    new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN 500 astral characters, each sent as an escaped surrogate pair (12 bytes: json.dumps's default)
    ann, ann_id = new_user("ann")
    video = publish(ann_id)
    body = json.dumps({"text": "\U0001f3c4" * 500})
    assert len(body) > 6000
    # WHEN posted THEN accepted, stored as given; one more character is the text rule's 400, not a 413
    reply = ann.call(
        "POST", f"/videos/{video}/comments", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert reply.status == 201, reply.body
    assert reply.body["text"] == "\U0001f3c4" * 500
    over = json.dumps({"text": "\U0001f3c4" * 501}).encode()
    refused = ann.call(
        "POST", f"/videos/{video}/comments", data=over, headers={"Content-Type": "application/json"}
    )
    assert (refused.status, refused.body["code"]) == (400, "invalid_field")
