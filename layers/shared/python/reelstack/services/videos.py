"""Reading videos: owners see theirs at every stage; everyone sees published ones."""

from __future__ import annotations

from typing import Any

from reelstack.adapters.repositories import Repositories
from reelstack.domain.identity import Principal
from reelstack.errors import NotFound


class VideoService:
    def __init__(self, repos: Repositories) -> None:
        self.repos = repos

    def get(self, principal: Principal, video_id: str) -> dict[str, Any]:
        video = self.repos.get_video(video_id)
        if video is None or not video.readable_by(principal):
            # Unpublished videos of others answer like missing ones: their existence is not disclosed.
            raise NotFound(f"no video {video_id}", code="video_not_found")
        body = video.to_public_dict()
        if principal.user_id == video.owner:
            body["upload_id"] = video.upload_id
            body["execution_arn"] = video.execution_arn
        return body
