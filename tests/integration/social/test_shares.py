"""Shares through the API of the local cloud: a short unguessable link per (user, video, channel) that
opens a published video without signing in, counted once, and refused for videos that are not (or no
longer) published."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reelstack.adapters.repositories import Repositories
from reelstack.domain.videos import VideoStatus
from tests.support.http import Api, request
from tests.support.search_records import reject

pytestmark = pytest.mark.integration
NewUser = Callable[..., tuple[Api, str]]


def test_a_share_link_opens_the_video_without_signing_in_and_counts_once_per_channel(
    new_user: NewUser, publish: Callable[..., str]
) -> None:
    # GIVEN ann's published video and bob
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    video = publish(ann_id, title="share me")
    # WHEN bob shares it to WhatsApp twice and by e-mail once
    first = bob.call("POST", f"/videos/{video}/share", {"channel": "whatsapp"})
    again = bob.call("POST", f"/videos/{video}/share", {"channel": "whatsapp"})
    mail = bob.call("POST", f"/videos/{video}/share", {"channel": "email"})
    # THEN the same WhatsApp link comes back, another for e-mail, and two shares are counted
    assert first.status == 201, first.body
    assert again.body["url"] == first.body["url"] and mail.body["url"] != first.body["url"]
    assert (first.body["share_count"], again.body["share_count"], mail.body["share_count"]) == (1, 1, 2)
    assert ann.call("GET", f"/videos/{video}").body["share_count"] == 2
    # AND the link is short and unguessable: 22 url-safe characters (128 random bits)
    token = first.body["token"]
    assert len(token) == 22 and first.body["url"].endswith(f"/s/{token}")
    # AND it opens the video for anyone, with no token
    opened = request("GET", first.body["url"])
    assert opened.status == 200, opened.body
    assert (opened.body["video_id"], opened.body["title"], opened.body["shared_via"]) == (
        video,
        "share me",
        "whatsapp",
    )
    assert opened.body["playback_url"] and "moderation" not in opened.body


def test_share_links_are_refused_for_videos_not_published_and_cannot_be_guessed(
    local_cloud: Any, new_user: NewUser, publish: Callable[..., str], repos: Repositories
) -> None:
    ann, ann_id = new_user("ann")
    held = publish(ann_id, status=VideoStatus.IN_REVIEW)
    # WHEN a video still in review is shared THEN 404, as for a missing one
    refused = ann.call("POST", f"/videos/{held}/share", {"channel": "copy_link"})
    assert (refused.status, refused.body["code"]) == (404, "video_not_found")
    # WHEN a shared video is taken down THEN its link opens nothing, like a guessed one
    video = publish(ann_id)
    url = ann.call("POST", f"/videos/{video}/share", {"channel": "copy_link"}).body["url"]
    assert request("GET", url).status == 200
    reject(repos, video)
    for probe in (
        url,
        url[:-1] + ("A" if url[-1] != "A" else "B"),
        local_cloud.api_url + "/s/short",
        local_cloud.api_url + "/s/" + "A" * 22,
    ):
        gone = request("GET", probe)
        assert (gone.status, gone.body["code"]) == (404, "share_not_found"), probe


@pytest.mark.parametrize("body", [{}, {"channel": "carrier-pigeon"}, {"channel": "x", "extra": 1}, ["x"]])
def test_bad_share_requests_are_refused_and_count_nothing(
    new_user: NewUser, publish: Callable[..., str], body: Any
) -> None:
    ann, ann_id = new_user("ann")
    video = publish(ann_id)
    reply = ann.call("POST", f"/videos/{video}/share", body)
    assert (reply.status, reply.body["code"]) == (400, "invalid_share"), reply.body
    assert ann.call("GET", f"/videos/{video}").body["share_count"] == 0
