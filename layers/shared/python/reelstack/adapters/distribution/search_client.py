"""The one opensearch-py client of reelstack, and the index bootstrap and profile store built on it.

In AWS the domain sits in the VPC behind HTTPS; requests are SigV4-signed (service `es`) with the
function's role. Locally (`REELSTACK_LOCAL=1`) the endpoint is the local cloud's node over plain HTTP.
Errors of the engine (down, timed out, overloaded) become `SearchUnavailable` (503 to a caller, with
the `SEARCH_RETRY_AFTER_SECONDS` pause); the engine refusing one of our requests as malformed (a 4xx
other than 429) is our bug, not an outage: it is raised as it came (500, logged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection
from opensearchpy.exceptions import ConflictError, NotFoundError, RequestError, TransportError

from reelstack.domain.distribution.search_indices import (
    PROFILES_ALIAS,
    VIDEOS_ALIAS,
    IndexSpec,
    index_specs,
    profile_document,
)
from reelstack.domain.distribution.search_queries import VideoHit, similar_body, video_hit
from reelstack.errors import DependencyFailed
from reelstack.settings import SearchSettings


class SearchUnavailable(DependencyFailed):
    """The search engine is down, timed out or refused the request (HTTP 503, retry later)."""

    code = "search_unavailable"


@dataclass(frozen=True)
class ClusterHealth:
    status: str  # green, yellow or red
    active_shards_percent: float

    @property
    def healthy(self) -> bool:
        return self.status in ("green", "yellow")


@dataclass(frozen=True)
class Profile:
    user_id: str
    tag_weights: dict[str, float]
    updated_at: str
    version: int


def build_client(settings: SearchSettings) -> OpenSearch:
    """An opensearch-py client for the settings' endpoint: SigV4 in AWS, plain HTTP locally."""
    url = (
        settings.search_endpoint
        if "://" in settings.search_endpoint
        else f"https://{settings.search_endpoint}"
    )
    parts = urlsplit(url)
    https = parts.scheme == "https"
    options: dict[str, Any] = {
        "hosts": [{"host": parts.hostname, "port": parts.port or (443 if https else 80)}],
        "use_ssl": https,
        "verify_certs": https,
        "timeout": settings.search_timeout_seconds,
        "max_retries": settings.search_max_retries,
        "retry_on_timeout": True,
        "connection_class": Urllib3HttpConnection,
    }
    if not settings.reelstack_local:
        # The role's credentials (refreshed by boto3) sign each request.
        credentials = boto3.Session().get_credentials()
        options["http_auth"] = Urllib3AWSV4SignerAuth(credentials, settings.aws_region, "es")
    return OpenSearch(**options)


def is_our_bug(error: TransportError) -> bool:
    """The engine answered and refused the request itself (400, 404 ...): retrying cannot help."""
    status = error.status_code
    return isinstance(status, int) and 400 <= status < 500 and status != 429


class SearchClient:
    """Index bootstrap, health, the profiles store and the video queries. `client` is injected (built
    lazily otherwise)."""

    def __init__(self, settings: SearchSettings | None = None, client: OpenSearch | None = None) -> None:
        self._settings = settings
        self._client = client

    @property
    def settings(self) -> SearchSettings:
        if self._settings is None:
            self._settings = SearchSettings()  # type: ignore[call-arg]
        return self._settings

    @property
    def client(self) -> OpenSearch:
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    # -- bootstrap --------------------------------------------------------------------------------------

    def ensure_indices(self, specs: tuple[IndexSpec, ...] | None = None) -> list[str]:
        """Create each versioned index with its alias when missing; leave present ones as they are.
        Returns what it created (index names, and `alias->index` for an alias it added)."""
        created: list[str] = []
        for spec in specs if specs is not None else index_specs(self.settings.search_replicas):
            created += self._ensure(spec)
        return created

    def _ensure(self, spec: IndexSpec) -> list[str]:
        """The alias and its first index, unless the alias already serves an index: after a reindex it
        points at a later version (`videos-v2`), and creating `videos-v1` with the alias in its body
        would point it at two indices, leaving writes through it without a write index."""
        indices = self.client.indices
        try:
            if indices.exists_alias(name=spec.alias):
                return []
            if not indices.exists(index=spec.index):
                try:
                    indices.create(index=spec.index, body=spec.body())
                    return [spec.index, f"{spec.alias}->{spec.index}"]
                except RequestError as error:
                    if error.error != "resource_already_exists_exception":
                        raise
            if not indices.exists_alias(name=spec.alias):
                indices.put_alias(index=spec.index, name=spec.alias)
                return [f"{spec.alias}->{spec.index}"]
        except TransportError as error:
            raise SearchUnavailable(f"cannot create the {spec.alias} index: {error}") from error
        return []

    # -- health -----------------------------------------------------------------------------------------

    def health(self) -> ClusterHealth:
        try:
            answer = self.client.cluster.health()
        except TransportError as error:
            raise SearchUnavailable(f"search cluster health unknown: {error}") from error
        return ClusterHealth(
            status=str(answer["status"]),
            active_shards_percent=float(answer.get("active_shards_percent_as_number", 0.0)),
        )

    # -- profiles ---------------------------------------------------------------------------------------

    def put_profile(self, user_id: str, interests: dict[str, float], version: int) -> bool:
        """Write a user's interest weights under an external version: an older or equal version than the
        stored one is ignored (False), so a late or repeated job run never moves a profile backwards."""
        updated_at = datetime.now(UTC).isoformat()
        document = profile_document(user_id, interests, updated_at, version)
        try:
            self.client.index(
                index=PROFILES_ALIAS,
                id=user_id,
                body=document,
                params={"version": version, "version_type": "external"},
            )
        except ConflictError:
            return False
        except TransportError as error:
            raise SearchUnavailable(f"cannot write the profile of {user_id}: {error}") from error
        return True

    def get_profile(self, user_id: str) -> Profile | None:
        try:
            answer = self.client.get(index=PROFILES_ALIAS, id=user_id)
        except NotFoundError:
            return None
        except TransportError as error:
            raise SearchUnavailable(f"cannot read the profile of {user_id}: {error}") from error
        source = answer["_source"]
        return Profile(
            user_id=str(source["user_id"]),
            tag_weights={str(tag): float(weight) for tag, weight in source.get("tag_weights", {}).items()},
            updated_at=str(source["updated_at"]),
            version=int(source["version"]),
        )

    # -- videos -----------------------------------------------------------------------------------------

    def _unavailable(self, what: str, error: TransportError) -> SearchUnavailable:
        return SearchUnavailable(f"{what}: {error}", retry_after_s=self.settings.search_retry_after_seconds)

    def _hits(self, what: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            answer = self.client.search(index=VIDEOS_ALIAS, body=body)
        except TransportError as error:
            if is_our_bug(error):
                raise
            raise self._unavailable(what, error) from error
        return list(answer["hits"]["hits"])

    def search(self, body: dict[str, Any]) -> list[VideoHit]:
        """The videos a search body (`domain.distribution.search_queries.search_body`) finds, in its order."""
        return [video_hit(hit) for hit in self._hits("searching videos", body)]

    def suggest(self, body: dict[str, Any]) -> list[str]:
        """The titles a suggest body (`domain.distribution.search_queries.suggest_body`) finds, in its order."""
        hits = self._hits("suggesting titles", body)
        return [str(hit["_source"]["title"]) for hit in hits if hit.get("_source", {}).get("title")]

    def video(self, video_id: str) -> tuple[str, dict[str, Any]] | None:
        """(the index holding it, its document) of an indexed video, or None."""
        try:
            answer = self.client.get(index=VIDEOS_ALIAS, id=video_id)
        except NotFoundError:
            return None
        except TransportError as error:
            if is_our_bug(error):
                raise
            raise self._unavailable(f"reading video {video_id}", error) from error
        return str(answer["_index"]), dict(answer["_source"])

    def similar(self, video_id: str, limit: int, seen: Sequence[str] = ()) -> list[VideoHit] | None:
        """Up to `limit` videos like `video_id` by title and tags (not its author's, not itself, none of
        `seen`), or None when the video is not in the index."""
        found = self.video(video_id)
        if found is None:
            return None
        index, document = found
        author = str(document.get("author") or "")
        body = similar_body(index, video_id, author, limit=limit, seen=seen)
        return [video_hit(hit) for hit in self._hits("finding similar videos", body)]
