"""Driving videos through the ingest workflow of the local cloud: upload bytes, wait for the outcome."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.support.http import Api, split

FINAL_STATUSES = ("PUBLISHED", "REJECTED", "FAILED")
MiB = 1024 * 1024


def upload_bytes(api: Api, data: bytes, title: str = "clip", chunk_size: int = 8 * MiB, **fields: Any) -> str:
    """Open (with any other upload `fields`, e.g. tags), send every chunk, complete: the video id."""
    opened = api.open_upload(data, chunk_size, title=title, **fields)
    assert opened.status == 201, opened.body
    upload_id = opened.body["upload_id"]
    assert all(reply.status == 200 for reply in api.put_chunks(upload_id, split(data, chunk_size)))
    done = api.call("POST", f"/uploads/{upload_id}/complete")
    assert done.status == 202, done.body
    return str(opened.body["video_id"])


def wait_for_status(
    api: Api, video_id: str, statuses: tuple[str, ...] = FINAL_STATUSES, timeout: float = 240
) -> dict[str, Any]:
    """The video once its status is one of `statuses` (the last answer when the time runs out); the
    default deadline covers the whole ingest workflow (transcode, moderation) on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        video = api.call("GET", f"/videos/{video_id}").body
        if video.get("status") in statuses or time.monotonic() > deadline:
            return dict(video)
        time.sleep(0.25)


def published_720p_video(api: Api, folder: Path, title: str) -> str:
    """A PUBLISHED 720p clip of `api`'s user (ladder 720p, 480p), made with ffmpeg in `folder`."""
    from reelstack_tools.demo_media import three_scene_clip

    clip = Path(three_scene_clip(folder / "scenes.mp4", size="1280x720", scene_seconds=1.0))
    video = upload_bytes(api, clip.read_bytes(), title=title)
    assert wait_for_status(api, video, timeout=180).get("status") == "PUBLISHED"
    return video
