"""Writing the nightly profiles into the OpenSearch `profiles` alias: one `_bulk` per part file.

Every document carries the run's version as its external version, so a repeated or late part never
moves a profile backwards (409 = already there, done). After the switch, `prune` deletes the profiles
of older versions (viewers the new night no longer has: inactive for the whole window), so the index
holds one night, like the pointer's stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from reelstack.adapters.distribution.search_client import SearchUnavailable
from reelstack.domain.distribution.profile_runs import InterestProfile
from reelstack.domain.distribution.search_indices import PROFILES_ALIAS, profile_document


def write_profiles(client: OpenSearch, version: int, profiles: Sequence[InterestProfile]) -> int:
    """Index `profiles` under external `version`; -> how many are now at that version (written or
    already there). Raises `SearchUnavailable` when any document failed otherwise (the part is retried)."""
    if not profiles:
        return 0
    updated_at = datetime.now(UTC).isoformat()
    lines: list[dict[str, Any]] = []
    for profile in profiles:
        lines.append({"index": {"_id": profile.user_id, "version": version, "version_type": "external"}})
        lines.append(profile_document(profile.user_id, dict(profile.tags), updated_at, version))
    try:
        answer = client.bulk(body=lines, index=PROFILES_ALIAS)
    except TransportError as error:
        raise SearchUnavailable(f"bulk write of {len(profiles)} profiles failed: {error}") from error
    failed: list[str] = []
    done = 0
    for item in answer.get("items") or []:
        result = next(iter(item.values()))
        if int(result.get("status", 500)) in (200, 201, 409):
            done += 1
        else:
            failed.append(f"{result.get('_id')}: {result.get('status')} {result.get('error')}")
    if failed or done != len(profiles):
        raise SearchUnavailable(f"{len(failed) or len(profiles) - done} profiles not written: {failed[:3]}")
    return done


def prune(client: OpenSearch, version: int) -> int:
    """Delete the profiles older than `version`; -> how many were deleted."""
    try:
        answer = client.delete_by_query(
            index=PROFILES_ALIAS,
            body={"query": {"range": {"version": {"lt": version}}}},
            params={"conflicts": "proceed", "refresh": "true"},
        )
    except TransportError as error:
        raise SearchUnavailable(f"cannot prune profiles older than {version}: {error}") from error
    return int(answer.get("deleted", 0))
