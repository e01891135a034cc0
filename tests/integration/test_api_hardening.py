"""The API under abuse, on the local cloud (issue 11's review): bounded input cost, authentication before
parsing, no internals in answers, token_use required, ids not disclosed, text and content types stored safe.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import jwt
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives import serialization

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.identity import Principal
from reelstack.errors import DependencyFailed
from reelstack.services.media.uploads import UploadService
from reelstack.settings import UploadLimits
from tests.support.cloud_stores import repositories
from tests.support.http import Api, Reply

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
OPEN = {"filename": "clip.mp4", "size": MiB, "content_type": "video/mp4"}
# What must never reach a caller: hosts, ports, SDK and socket messages, AWS error codes.
INTERNALS = (
    "127.0.0.1",
    "localhost",
    ":6379",
    "Error 111",
    "onnection refused",
    "redis",
    "botocore",
    "endpoint",
)


def _post_raw(api: Api, path: str, data: bytes) -> Reply:
    return api.call("POST", path, data=data, headers={"Content-Type": "application/json"})


def _open(api: Api, **fields: Any) -> Reply:
    return api.call("POST", "/uploads", OPEN | fields)


def _answer(reply: Reply) -> tuple[int, Any]:
    """(status, error code) of an answer; the code is None when the body has none."""
    return reply.status, reply.body.get("code") if isinstance(reply.body, dict) else None


def _no_internals(reply: Reply) -> None:
    text = json.dumps(reply.body)
    leaked = [marker for marker in INTERNALS if marker.lower() in text.lower()]
    assert not leaked, f"the answer shows {leaked}: {text}"


@pytest.fixture(scope="module")
def upload_id(alice: Api) -> str:
    opened = _open(alice, size=10 * MiB)
    assert opened.status == 201, opened.body
    return str(opened.body["upload_id"])


# -- bounded input cost ------------------------------------------------------------------------------
def test_a_hundred_thousand_brackets_are_a_400_not_a_500(alice: Api, upload_id: str) -> None:
    # GIVEN a body of 100,000 '[' (within the presign route's cap; json recurses once per bracket)
    # WHEN it is sent THEN 400 invalid_json (it was a 500: RecursionError)
    reply = _post_raw(alice, f"/uploads/{upload_id}/parts", b"[" * 100_000)
    assert _answer(reply) == (400, "invalid_json"), reply.body


def test_a_one_mib_body_is_refused_before_it_is_parsed(alice: Api) -> None:
    # GIVEN a 1 MiB body that is valid JSON (one long filename)
    body = json.dumps(OPEN | {"filename": "a" * MiB + ".mp4"}).encode()
    # WHEN it is sent THEN 413 body_too_large with the route's cap
    reply = _post_raw(alice, "/uploads", body)
    assert _answer(reply) == (413, "body_too_large"), reply.body
    assert reply.body["max_body_bytes"] < 64 * 1024


def test_eighty_thousand_tags_are_refused_without_looking_at_them(alice: Api) -> None:
    # GIVEN 80,000 unique tags (the review's case: 29 s, then a 504)
    reply = _open(alice, tags=[f"tag{n}" for n in range(80_000)])
    # THEN the body is refused on its size alone
    assert _answer(reply) == (413, "body_too_large"), reply.body
    # AND a body of 2,000 short tags, small enough to be read, is refused on their count
    counted = _open(alice, tags=[f"t{n}" for n in range(2_000)])
    assert _answer(counted) == (400, "too_many_tags"), counted.body


def test_half_a_million_part_numbers_are_refused_without_looking_at_them(alice: Api, upload_id: str) -> None:
    # GIVEN the review's case: an upload of 8,192 chunks (2 GiB in 256 KiB chunks) and each of its part
    # numbers asked for 60 times, 491,520 numbers (23 s of quadratic de-duplication, then a 400)
    opened = _open(alice, size=2 * 1024 * MiB, chunk_size=256 * 1024)
    assert (opened.status, opened.body.get("chunk_count")) == (201, 8_192), opened.body
    numbers = list(range(1, 8_193)) * 60
    # WHEN they are sent THEN the body is refused on its size alone
    reply = alice.call("POST", f"/uploads/{opened.body['upload_id']}/parts", {"part_numbers": numbers})
    assert _answer(reply) == (413, "body_too_large"), reply.body
    # AND within the cap, 1,001 numbers are refused on their count before any is checked (the bad
    # last one was reported first when the count came after the loop)
    counted = alice.call("POST", f"/uploads/{upload_id}/parts", {"part_numbers": [1] * 1_000 + [0]})
    assert _answer(counted) == (400, "too_many_parts"), counted.body


@pytest.mark.parametrize("limit", ["²", "\u0661\u0660", "1_0", " 5"])
@pytest.mark.parametrize("path", ["/moderation/queue", "/videos?author=me", "/notifications", "/me/likes"])
def test_a_limit_that_is_not_ascii_digits_is_a_400(local_cloud: Any, path: str, limit: str) -> None:
    # GIVEN a reviewer (the queue's only readers) and a limit of a superscript, Arabic-Indic digits,
    # an underscore or a space: isdigit() or int() accepts each
    reviewer = Api(local_cloud.api_url, local_cloud.token("rita", roles=["reviewer"]))
    separator = "&" if "?" in path else "?"
    # WHEN a page is asked for THEN 400 invalid_limit (the queue answered 500 for '²')
    reply = reviewer.call("GET", f"{path}{separator}limit={quote(limit)}")
    assert _answer(reply) == (400, "invalid_limit"), reply.body


# -- authentication first ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/uploads", b"{not json"),
        ("POST", "/uploads/some-upload/parts", b"[" * 50_000),
        ("POST", "/moderation/some-video/decision", b"{"),
        ("POST", "/videos/some-video/plays", b'{"session_id": 7}'),
        ("GET", "/moderation/queue?limit=abc", None),
        ("GET", "/videos?author=me&limit=%C2%B2", None),
        ("GET", "/notifications?limit=-1", None),
    ],
)
def test_without_a_token_every_route_answers_401_before_reading_the_request(
    local_cloud: Any, method: str, path: str, data: bytes | None
) -> None:
    # GIVEN no token and a malformed body or parameter WHEN sent THEN 401: the caller is unknown,
    # so nothing of the request is parsed
    headers = {"Content-Type": "application/json"} if data is not None else None
    reply = Api(local_cloud.api_url, None).call(method, path, data=data, headers=headers)
    assert _answer(reply) == (401, "missing_token"), reply.body


def test_a_token_without_token_use_is_refused(local_cloud: Any) -> None:
    # GIVEN a token of the local issuer, for this API, signed by its key, but with no token_use claim
    genuine = local_cloud.token("alice")
    claims = jwt.decode(genuine, options={"verify_signature": False})
    claims.pop("token_use")
    key = serialization.load_pem_private_key(Path(local_cloud.info["signing_key"]).read_bytes(), None)
    token = jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(genuine)["kid"]}
    )
    # WHEN it is used THEN 401 invalid_token_use (it was accepted)
    reply = Api(local_cloud.api_url, token).call("GET", "/videos?author=me")
    assert _answer(reply) == (401, "invalid_token_use"), reply.body
    # AND an access token is refused the same way
    access = jwt.encode(
        claims | {"token_use": "access"},
        key,
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(genuine)["kid"]},
    )
    assert Api(local_cloud.api_url, access).call("GET", "/videos?author=me").status == 401


def test_a_bad_token_answers_without_pyjwts_message(local_cloud: Any) -> None:
    # GIVEN a token whose signature part is not base64 WHEN used THEN our code and plain message only
    reply = Api(local_cloud.api_url, "a.b.c").call("GET", "/videos?author=me")
    assert reply.status == 401
    assert reply.body == {"code": "invalid_token", "message": "the token is invalid"}


# -- ids are not disclosed ---------------------------------------------------------------------------
def test_another_users_upload_answers_exactly_as_a_missing_one(alice: Api, bob: Api, upload_id: str) -> None:
    # GIVEN alice's open upload and an id nobody has
    missing = uuid.uuid4().hex
    for method, path, body in [
        ("GET", "/uploads/{}", None),
        ("POST", "/uploads/{}/parts", {"part_numbers": [1]}),
        ("POST", "/uploads/{}/complete", None),
        ("DELETE", "/uploads/{}", None),
    ]:
        # WHEN bob uses alice's and the missing one THEN both are the same 404 (alice's was a 403)
        theirs = bob.call(method, path.format(upload_id), body)
        nobodys = bob.call(method, path.format(missing), body)
        assert (theirs.status, theirs.body) == (404, nobodys.body), (method, path, theirs.body)
        assert theirs.body["code"] == "upload_not_found"
    # AND alice's upload is untouched
    assert alice.call("GET", f"/uploads/{upload_id}").body["status"] == "OPEN"


# -- text and content types stored safe --------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"filename": "clip\u202e4pm.exe"}, "filename"),  # reads as "clipexe.mp4"
        ({"title": "free\u200bprize"}, "title"),
        ({"tags": ["cats", "c\u2066ats"]}, "tags"),
    ],
)
def test_bidi_overrides_and_zero_width_characters_are_refused(alice: Api, fields: dict, field: str) -> None:
    reply = _open(alice, **fields)
    assert (*_answer(reply), reply.body.get("field")) == (400, "invalid_field", field), reply.body


def test_a_reviewers_reason_follows_the_same_rules(local_cloud: Any) -> None:
    # GIVEN a reviewer's decision whose reason hides a right-to-left override WHEN sent THEN 400
    reviewer = Api(local_cloud.api_url, local_cloud.token("rita", roles=["reviewer"]))
    reply = reviewer.call(
        "POST", "/moderation/some-video/decision", {"decision": "reject", "reason": "ok\u202e"}
    )
    assert (*_answer(reply), reply.body.get("field")) == (400, "invalid_field", "reason"), reply.body


def test_text_is_stored_nfc_and_the_content_type_canonical(
    local_cloud: Any, cloud_sdk_environment: Any, alice: Api
) -> None:
    # GIVEN a multipart upload declared with a decomposed "é", mixed-case tags and a content type
    # carrying case and a parameter with markup
    opened = _open(
        alice,
        size=6 * MiB,
        chunk_size=5 * MiB,
        filename="Cafe\u0301.mp4",
        title="Cafe\u0301",
        tags=["Cafe\u0301", "café"],
        content_type="Video/MP4; x=<script>",
    )
    # WHEN it is accepted THEN the session stores NFC text and the canonical content type
    assert opened.status == 201, opened.body
    session = repositories(local_cloud).get_upload(opened.body["upload_id"])
    assert session is not None
    assert (session.filename, session.title, session.tags) == ("Café.mp4", "Café", ("café",))
    assert session.content_type == "video/mp4"
    # AND so does the video alice reads back
    video = alice.call("GET", f"/videos/{opened.body['video_id']}").body
    assert (video["title"], video["tags"]) == ("Café", ["café"])
    assert alice.call("DELETE", f"/uploads/{opened.body['upload_id']}").status == 200


# -- no internals in answers -------------------------------------------------------------------------
@pytest.fixture
def published_video(local_cloud: Any, cloud_sdk_environment: Any, alice: Api) -> str:
    """A video of alice's marked PUBLISHED in the videos table (what plays need; no workflow run)."""
    from reelstack.clock import iso, utc_now
    from reelstack.domain.videos import VideoStatus

    opened = _open(alice, title="outage")
    assert opened.status == 201, opened.body
    video_id = str(opened.body["video_id"])
    moved = repositories(local_cloud).transition_video(
        video_id, [VideoStatus.UPLOADING], VideoStatus.PUBLISHED, iso(utc_now())
    )
    assert moved
    return video_id


def test_a_redis_outage_answers_503_without_host_port_or_client_text(
    local_cloud: Any, bob: Api, published_video: str
) -> None:
    # GIVEN a published video and Redis (the play counters) down
    local_cloud.stop_redis()
    try:
        # WHEN bob sends a play beacon
        reply = bob.call(
            "POST", f"/videos/{published_video}/plays", {"session_id": "s-1", "watched_ms": 60_000}
        )
    finally:
        local_cloud.start_redis()
    # THEN 503 with our code, a plain message and the request id; the client's text only in the log
    assert reply.status == 503, reply.body
    _no_internals(reply)
    assert set(reply.body) == {"code", "message", "request_id"} and reply.body["request_id"]


def test_an_s3_failure_answers_without_endpoint_or_sdk_text() -> None:
    # GIVEN the upload service with S3 unreachable (a closed loopback port: a real connection error)
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    service = UploadService(MediaStorage("media", s3=s3), None, None, UploadLimits(), 900)  # type: ignore[arg-type]
    # WHEN an upload is opened (CreateMultipartUpload fails)
    with pytest.raises(DependencyFailed) as failed:
        service.open(Principal("u-1", "alice"), OPEN | {"chunk_size": 5 * MiB})
    assert "127.0.0.1" in failed.value.message  # what the log gets
    # THEN the API's answer is 503 with our code and a plain message only
    from reelstack.http_errors import error_answer

    answer = error_answer(failed.value, request_id="req-1")
    assert answer.status == 503
    _no_internals(Reply(answer.status, answer.body, answer.headers))
