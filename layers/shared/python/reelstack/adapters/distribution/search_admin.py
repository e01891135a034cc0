"""Index administration for a reindex: the versions behind an alias, creating the next one unaliased,
swapping the alias in one `_aliases` call, listing document ids, deleting an old index."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, TransportError

from reelstack.adapters.distribution.search_client import SearchUnavailable
from reelstack.domain.distribution.search_indices import IndexSpec


def index_version(alias: str, index: str) -> int | None:
    """`videos-v3` -> 3 for alias `videos`; None for any other name."""
    match = re.fullmatch(rf"{re.escape(alias)}-v(\d+)", index)
    return int(match.group(1)) if match else None


class SearchAdmin:
    def __init__(self, client: OpenSearch) -> None:
        self.client = client

    def aliased(self, alias: str) -> list[str]:
        """The indices the alias points at now (none when it does not exist)."""
        try:
            return sorted(self.client.indices.get_alias(name=alias))
        except NotFoundError:
            return []
        except TransportError as error:
            raise SearchUnavailable(f"cannot read the {alias} alias: {error}") from error

    def versions(self, alias: str) -> dict[int, str]:
        """Every versioned index of the alias that exists, aliased or not (a failed reindex's too)."""
        try:
            names = self.client.indices.get(index=f"{alias}-v*", params={"expand_wildcards": "all"})
        except NotFoundError:
            return {}
        except TransportError as error:
            raise SearchUnavailable(f"cannot list the {alias} indices: {error}") from error
        found = {index_version(alias, name): name for name in names}
        return {version: name for version, name in found.items() if version is not None}

    def create_unaliased(self, spec: IndexSpec) -> None:
        """Create `spec.index` with its settings and mappings but no alias, refreshing only on demand
        while it is filled (searches cannot see it until the alias swap)."""
        body: dict[str, Any] = dict(spec.body())
        body.pop("aliases", None)
        body["settings"] = {**body["settings"], "refresh_interval": "-1"}
        try:
            self.client.indices.create(index=spec.index, body=body)
        except TransportError as error:
            raise SearchUnavailable(f"cannot create {spec.index}: {error}") from error

    def finish_filling(self, index: str) -> None:
        """Back to the default refresh interval, and one refresh: every document is searchable."""
        try:
            self.client.indices.put_settings(index=index, body={"index": {"refresh_interval": None}})
            self.client.indices.refresh(index=index)
        except TransportError as error:
            raise SearchUnavailable(f"cannot refresh {index}: {error}") from error

    def swap(self, alias: str, old: list[str], new: str) -> None:
        """Point the alias at `new` only, in ONE `_aliases` request (atomic: no moment without it)."""
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in old]
        actions.append({"add": {"index": new, "alias": alias}})
        try:
            self.client.indices.update_aliases(body={"actions": actions})
        except TransportError as error:
            raise SearchUnavailable(f"cannot swap the {alias} alias to {new}: {error}") from error

    def delete(self, index: str) -> None:
        try:
            self.client.indices.delete(index=index)
        except NotFoundError:
            return
        except TransportError as error:
            raise SearchUnavailable(f"cannot delete {index}: {error}") from error

    def ids(self, index: str, page: int = 1000) -> Iterator[str]:
        """Every document id of the index, a page at a time (sorted by id, `search_after`)."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "size": page,
                "_source": False,
                "sort": [{"video_id": "asc"}],
                "query": {"match_all": {}},
            }
            if after is not None:
                body["search_after"] = after
            try:
                hits = self.client.search(index=index, body=body)["hits"]["hits"]
            except TransportError as error:
                raise SearchUnavailable(f"cannot list the ids of {index}: {error}") from error
            for hit in hits:
                yield str(hit["_id"])
            if len(hits) < page:
                return
            after = hits[-1]["sort"]
