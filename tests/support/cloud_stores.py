"""The product's own adapters on the local cloud, for tests that drive services in-process."""

from __future__ import annotations

from typing import Any

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories


def repositories(local_cloud: Any) -> Repositories:
    """The uploads and videos tables of the local cloud (the settings `Repositories` reads from)."""
    settings = type(
        "TableSettings",
        (),
        {
            "uploads_table": local_cloud.name("UploadsTable"),
            "videos_table": local_cloud.name("VideosTable"),
            "aws_region": local_cloud.region,
        },
    )()
    return Repositories.from_settings(settings)


def media_storage(local_cloud: Any) -> MediaStorage:
    """The media bucket of the local cloud."""
    return MediaStorage(local_cloud.name("MediaBucket"), s3=local_cloud.client("s3"))
