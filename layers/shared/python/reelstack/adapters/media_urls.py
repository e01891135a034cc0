"""The URLs players and reviewers fetch media from.

Published media: the CDN in front of the bucket (CloudFront in AWS, `PLAYBACK_BASE_URL`); without
one (the local cloud) the bucket's own path-style URL on the configured S3 endpoint, which serves
the same relative HLS paths. Private media (frames held for review): presigned GETs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client
from reelstack.errors import DependencyFailed


class MediaUrls:
    def __init__(self, bucket: str, base_url: str = "", s3: Any = None) -> None:
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

    def public(self, key: str) -> str:
        base = self.base_url or f"{str(self.s3.meta.endpoint_url).rstrip('/')}/{self.bucket}"
        return f"{base}/{quote(key)}"

    def presigned(self, key: str, expires_in: int) -> str:
        try:
            return str(
                self.s3.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
                )
            )
        except (BotoCoreError, ClientError) as exc:
            raise DependencyFailed(f"presigning {key} failed: {exc}") from exc
