"""Social fixtures: fresh users per module (each request of theirs makes their profile), and published
videos written straight into the videos table as Publish writes them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, new_id, utc_now
from reelstack.domain.videos import VideoStatus
from reelstack_tools.published_records import published_record
from reelstack_tools.tokens import user_sub
from tests.support.http import Api


@pytest.fixture(scope="module")
def new_user(local_cloud: Any) -> Callable[..., tuple[Api, str]]:
    """A fresh user's API client and user id; one authenticated request makes their profile."""

    def make(prefix: str = "user", roles: tuple[str, ...] = ()) -> tuple[Api, str]:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        api = Api(local_cloud.api_url, local_cloud.token(name, roles=roles))
        assert api.call("GET", "/notifications").status == 200
        return api, user_sub(name)

    return make


@pytest.fixture(scope="module")
def repos(local_cloud: Any, cloud_sdk_environment: Any) -> Repositories:
    """The stack's uploads and videos tables, through the product's own repositories."""
    return Repositories.from_settings(_tables(local_cloud))


@pytest.fixture(scope="module")
def publish(repos: Repositories) -> Callable[..., str]:
    """A published video of `owner` (or another status), as Publish writes it; its id."""

    def make(
        owner: str,
        title: str = "social",
        tags: tuple[str, ...] = ("social",),
        status: VideoStatus = VideoStatus.PUBLISHED,
    ) -> str:
        video_id = new_id()
        published_record(
            repos.tables,
            video_id,
            owner=owner,
            title=title,
            tags=tags,
            published_at=iso(utc_now()),
            status=status,
        ).save()
        return video_id

    return make


def _tables(local_cloud: Any) -> Any:
    from reelstack.settings import TableSettings

    return TableSettings(
        uploads_table=local_cloud.name("UploadsTable"),
        videos_table=local_cloud.name("VideosTable"),
        aws_region=local_cloud.region,
    )
