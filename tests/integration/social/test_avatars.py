"""Avatars through the API of the local cloud: a presigned upload of exactly the declared size and
type, checked by what the file really is (ffprobe), resized to a 256 x 256 JPEG served publicly, and
refused with a reason when it is not an image."""

from __future__ import annotations

import subprocess
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import Api, request
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
NewUser = Callable[..., tuple[Api, str]]


def png(width: int, height: int) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "a.png"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size={width}x{height}",
                "-frames:v",
                "1",
                str(path),
            ],
            check=True,
        )
        return path.read_bytes()


def image_size(data: bytes) -> tuple[str, int, int]:
    with tempfile.NamedTemporaryFile(suffix=".jpg") as file:
        file.write(data)
        file.flush()
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file.name],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    codec, width, height = out.split(",")
    return codec, int(width), int(height)


def upload(api: Api, data: bytes, content_type: str) -> dict[str, Any]:
    asked = api.call("POST", "/me/avatar", {"content_type": content_type, "size": len(data)})
    assert asked.status == 201, asked.body
    target = asked.body["upload"]
    put = request("PUT", target["url"], data=data, headers=target["headers"])
    assert put.status == 200, put.body
    return dict(asked.body)


def settled(api: Api, user_id: str, avatar_id: str) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        body = api.call("GET", f"/users/{user_id}").body
        state = body.get("avatar_upload") or {}
        return body if state.get("avatar_id") == avatar_id and state.get("state") != "processing" else None

    return wait_for(read, timeout=90)


def test_an_uploaded_image_becomes_a_square_jpeg_avatar_everyone_sees(new_user: NewUser) -> None:
    # GIVEN ann WHEN she uploads a 640 x 360 PNG as her avatar
    ann, ann_id = new_user("ann")
    bob, _ = new_user("bob")
    asked = upload(ann, png(640, 360), "image/png")
    # THEN it is ready, and her profile points at a 256 x 256 JPEG anyone can fetch
    profile = settled(ann, ann_id, asked["avatar_id"])
    assert profile["avatar_upload"]["state"] == "ready", profile
    url = bob.call("GET", f"/users/{ann_id}").body["avatar_url"]
    with urllib.request.urlopen(url, timeout=30) as fetched:
        assert fetched.status == 200 and fetched.headers["Content-Type"] == "image/jpeg"
        assert image_size(fetched.read()) == ("mjpeg", 256, 256)
    # AND only ann sees where her upload stands
    assert "avatar_upload" not in bob.call("GET", f"/users/{ann_id}").body


def test_a_file_that_is_not_an_image_is_refused_with_its_reason_and_the_old_avatar_stays(
    new_user: NewUser,
) -> None:
    ann, ann_id = new_user("ann")
    first = upload(ann, png(300, 300), "image/jpeg")  # a PNG declared as JPEG: judged by what it is
    assert settled(ann, ann_id, first["avatar_id"])["avatar_upload"]["state"] == "ready"
    avatar_url = ann.call("GET", f"/users/{ann_id}").body["avatar_url"]
    # WHEN she uploads a text file declared as a PNG
    bad = upload(ann, b"hello, this is not a picture\n" * 20, "image/png")
    # THEN it is refused with the reason, and her avatar is the one before
    profile = settled(ann, ann_id, bad["avatar_id"])
    assert profile["avatar_upload"] == {
        "avatar_id": bad["avatar_id"],
        "state": "refused",
        "reason": "not_an_image",
    }
    assert profile["avatar_url"] == avatar_url


def test_an_upload_of_another_size_than_declared_is_refused_by_storage(new_user: NewUser) -> None:
    ann, _ = new_user("ann")
    data = png(64, 64)
    asked = ann.call("POST", "/me/avatar", {"content_type": "image/png", "size": len(data)}).body
    put = request(
        "PUT",
        asked["upload"]["url"],
        data=data + b"extra",
        headers=asked["upload"]["headers"] | {"Content-Length": str(len(data) + 5)},
    )
    assert put.status in (400, 403), put.status


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "image/gif", "size": 10},
        {"content_type": "image/png", "size": 6 * 1024 * 1024},
        {"content_type": "image/png", "size": 0},
        {"content_type": "image/png"},
        {"content_type": "image/png", "size": True},
    ],
)
def test_bad_avatar_requests_are_refused(new_user: NewUser, body: Any) -> None:
    ann, _ = new_user("ann")
    reply = ann.call("POST", "/me/avatar", body)
    assert (reply.status, reply.body["code"]) == (400, "invalid_avatar")
