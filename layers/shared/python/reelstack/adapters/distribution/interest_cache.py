"""The nightly profiles in Redis, under versions, behind one pointer.

Keys (ElastiCache Serverless is a cluster: every command here names one key, so no hash tags are
needed and a night's keys spread over every slot):

    interests:current                    the serving version (a number), moved by `switch` only
    interests:v<version>:user:<user_id>  an InterestProfile as JSON
    interests:v<version>:video:<video>   a video's Neighbours as JSON

A run writes its version's keys (pipelined, each with a TTL of `ttl_s`, longer than two nights) while
readers keep reading the version the pointer names; `switch` is one SET, so a reader sees either the
whole previous night or the whole new one. Old versions expire by themselves. A reader that finds no
pointer or no key falls back to the durable copy (`adapters.distribution.interest_table`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.domain.distribution.profile_runs import (
    InterestProfile,
    Neighbours,
    neighbours_from_row,
    profile_from_row,
)
from reelstack.errors import DependencyFailed

POINTER = "interests:current"
PIPELINE_CHUNK = 500


def user_key(version: int, user_id: str) -> str:
    return f"interests:v{version}:user:{user_id}"


def video_key(version: int, video_id: str) -> str:
    return f"interests:v{version}:video:{video_id}"


class InterestCache:
    def __init__(
        self,
        url: str,
        *,
        cluster: bool = False,
        timeout_s: float = 1.0,
        ttl_s: int = 3 * 86400,
        client: Any = None,
    ) -> None:
        self._url = url
        self._cluster = cluster
        self._timeout_s = timeout_s
        self.ttl_s = ttl_s
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(self._url, self._timeout_s, cluster=self._cluster)
        return self._client

    def _call(self, what: str, operation: Any) -> Any:
        try:
            return operation()
        except REDIS_ERRORS as error:
            raise DependencyFailed(
                f"interest cache: {what}: {error}", code="interest_cache_unavailable"
            ) from error

    # -- the loader's side ---------------------------------------------------------------------------

    def _put(self, items: Iterable[tuple[str, dict[str, Any]]]) -> int:
        written = 0
        batch: list[tuple[str, dict[str, Any]]] = []

        def flush() -> None:
            pipe = self.client.pipeline(transaction=False)
            for key, value in batch:
                pipe.set(key, json.dumps(value, separators=(",", ":")), ex=self.ttl_s)
            pipe.execute()

        for item in items:
            batch.append(item)
            if len(batch) >= PIPELINE_CHUNK:
                self._call("preload", flush)
                written += len(batch)
                batch = []
        if batch:
            self._call("preload", flush)
            written += len(batch)
        return written

    def put_profiles(self, version: int, profiles: Iterable[InterestProfile]) -> int:
        return self._put((user_key(version, item.user_id), item.to_dict()) for item in profiles)

    def put_neighbours(self, version: int, lists: Iterable[Neighbours]) -> int:
        return self._put((video_key(version, item.video_id), item.to_dict()) for item in lists)

    def switch(self, version: int) -> None:
        """Point readers at `version` (one SET: atomic for every reader)."""
        self._call("switch", lambda: self.client.set(POINTER, str(version)))

    # -- the readers' side ---------------------------------------------------------------------------

    def current(self) -> int | None:
        value = self._call("read the pointer", lambda: self.client.get(POINTER))
        return int(value) if value is not None else None

    def profile(self, version: int, user_id: str) -> InterestProfile | None:
        value = self._call("read a profile", lambda: self.client.get(user_key(version, user_id)))
        return None if value is None else profile_from_row(json.loads(value))

    def neighbours(self, version: int, video_id: str) -> Neighbours | None:
        value = self._call("read neighbours", lambda: self.client.get(video_key(version, video_id)))
        return None if value is None else neighbours_from_row(json.loads(value))
