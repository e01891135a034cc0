"""The search routes through the local cloud's API Gateway and API function (its settings from the
template, SEARCH_ENDPOINT pointed at the cloud's node): two videos indexed into the cloud's `videos`
alias are found, suggested and related; bad input and a missing token are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from opensearchpy import OpenSearch

from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS
from tests.support.http import Api, request
from tests.support.search_corpus import video

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def word(local_cloud: Any) -> Iterator[str]:
    """A word only this module's two videos have in their titles (the session's index is shared)."""
    word = f"zq{uuid.uuid4().hex[:8]}"
    raw = OpenSearch(hosts=[local_cloud.search_url], timeout=30)
    documents = [
        video(f"{word}-a", f"{word} river run", author="carol", tags=("river",)),
        video(f"{word}-b", f"{word} river run part two", author="dave", tags=("river",)),
    ]
    for document in documents:
        raw.index(index=VIDEOS_ALIAS, id=document["video_id"], body=document, refresh="wait_for")
    try:
        yield word
    finally:
        for document in documents:
            raw.delete(index=VIDEOS_ALIAS, id=document["video_id"], ignore=[404])
        raw.close()


def _get(api: Api, path: str, **params: str) -> Any:
    return api.call("GET", f"{path}?{urlencode(params)}" if params else path)


def test_search_suggest_and_similar_through_the_api(alice: Api, word: str) -> None:
    """GIVEN two indexed videos sharing a rare word WHEN alice searches it, asks suggestions for its
    prefix and videos similar to one THEN both are found with media URLs, the title is suggested, and
    the other video is similar."""
    found = _get(alice, "/search", q=word)
    assert found.status == 200, found.body
    assert {item["video_id"] for item in found.body["items"]} == {f"{word}-a", f"{word}-b"}
    assert found.body["items"][0]["playback_url"].endswith("/master.m3u8")

    suggested = _get(alice, "/search/suggest", q=f"{word} riv")
    assert suggested.status == 200 and f"{word} river run" in suggested.body["suggestions"]

    similar = _get(alice, f"/videos/{word}-a/similar")
    assert similar.status == 200
    assert [item["video_id"] for item in similar.body["items"]] == [f"{word}-b"]


def test_bad_input_and_no_token_are_refused_through_the_api(local_cloud: Any, alice: Api, word: str) -> None:
    """GIVEN the cloud's API WHEN q is blank, a parameter unknown, a video not indexed, or no token
    THEN 400 invalid_query, 400 unknown_parameter, 404 video_not_found, 401."""
    assert (_get(alice, "/search", q=" ").body["code"]) == "invalid_query"
    assert (_get(alice, "/search", q=word, page="2").body["code"]) == "unknown_parameter"
    missing = _get(alice, f"/videos/{word}-none/similar")
    assert (missing.status, missing.body["code"]) == (404, "video_not_found")
    assert request("GET", f"{local_cloud.api_url}/search?q={word}").status == 401
