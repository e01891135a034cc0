"""Regressions, through the HTTP API on the local cloud, for what the contract fuzz found: answers that
were 5xx, or errors outside the `{code, message}` shape."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, new_id, utc_now
from reelstack.settings import TableSettings
from reelstack_tools.published_records import published_record
from tests.support.http import Api, Reply, request

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def caller(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token(f"findings-{uuid.uuid4().hex[:8]}"))


@pytest.fixture(scope="module")
def video_id(local_cloud: Any, cloud_sdk_environment: Any) -> str:
    """A published video of someone else's."""
    repos = Repositories.from_settings(
        TableSettings(
            uploads_table=local_cloud.name("UploadsTable"),
            videos_table=local_cloud.name("VideosTable"),
            aws_region=local_cloud.region,
        )
    )
    video = new_id()
    published_record(
        repos.tables, video, owner="someone-else", title="t", tags=("t",), published_at=iso(utc_now())
    ).save()
    return video


def _is_error(reply: Reply, status: int, code: str) -> bool:
    return reply.status == status and isinstance(reply.body, dict) and reply.body.get("code") == code


def test_an_avatar_request_with_an_object_for_content_type_is_a_400(caller: Api) -> None:
    # GIVEN `{content_type: {}, size: 1}` (was a 500) WHEN posted THEN 400 invalid_avatar
    reply = caller.call("POST", "/me/avatar", {"content_type": {}, "size": 1})
    assert _is_error(reply, 400, "invalid_avatar"), reply


def test_an_empty_reply_to_lists_the_top_level(caller: Api, video_id: str) -> None:
    # GIVEN `?reply_to=&cursor=` (the empty id went to DynamoDB as a sort key: a 503)
    # WHEN the comments are listed THEN 200, the top level as without the parameter
    reply = caller.call("GET", f"/videos/{video_id}/comments?order=newest&reply_to=&limit=100&cursor=")
    assert reply.status == 200, reply
    assert reply.body["items"] == caller.call("GET", f"/videos/{video_id}/comments").body["items"]


def test_a_body_not_sent_as_json_is_a_415_in_our_shape(caller: Api, video_id: str) -> None:
    # GIVEN a share request sent as text/plain (Chalice answered 415 as `{Code, Message}`)
    # WHEN posted THEN 415 unsupported_media_type as `{code, message}`
    reply = caller.call(
        "POST", f"/videos/{video_id}/share", data=b'{"channel": "x"}', headers={"Content-Type": "text/plain"}
    )
    assert _is_error(reply, 415, "unsupported_media_type"), reply
    assert isinstance(reply.body["message"], str)


def test_a_request_without_a_body_is_read_whatever_its_content_type(local_cloud: Any) -> None:
    # GIVEN GET /health with `Content-Type: multipart/form-data` (Chalice answered 415)
    # WHEN asked THEN 200
    reply = request("GET", f"{local_cloud.api_url}/health", headers={"Content-Type": "multipart/form-data"})
    assert reply.status == 200, reply


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/videos/{long}"),
        ("GET", "/videos/{long}/playback"),
        ("POST", "/videos/{long}/like"),
        ("GET", "/users/{long}"),
        ("GET", "/users/{long}/followers"),
        ("GET", "/uploads/{long}"),
        ("GET", "/s/{long}"),
        ("GET", "/videos/{long}/comments"),
    ],
)
def test_ids_too_long_for_a_dynamodb_key_are_not_found(caller: Api, method: str, path: str) -> None:
    # GIVEN an id longer than any DynamoDB key (2048 bytes) WHEN asked for THEN 404, never a 5xx
    reply = caller.call(method, path.format(long="v" * 2100))
    assert reply.status == 404 and isinstance(reply.body, dict) and "code" in reply.body, reply
