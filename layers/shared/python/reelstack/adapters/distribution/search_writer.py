"""Writing `videos` documents: one `_bulk` request per batch, every operation under an external version.

Per operation: 200/201 written; 409 (`version_conflict_engine_exception`) means the index already
holds that version or a newer one -- done, not a failure; 404 on a delete means nothing was there --
done. Anything else (429, 5xx, a mapping error) fails that video. An engine that is down or times out
fails the whole batch with `SearchUnavailable`: the caller leaves the messages queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from reelstack.adapters.distribution.search_client import SearchUnavailable
from reelstack.domain.distribution.search_documents import IndexAction, IndexOp
from reelstack.domain.distribution.search_indices import VIDEOS_ALIAS


@dataclass
class BulkOutcome:
    """Per video id: written, stale (the index holds newer), or failed with the engine's reason."""

    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def bulk_body(ops: Sequence[IndexOp]) -> list[dict[str, Any]]:
    """The `_bulk` lines: an action line (with its external version) and, to index, the document. The
    index is in the path (`POST /videos/_bulk`), not in the lines: the role may post there only."""
    lines: list[dict[str, Any]] = []
    for op in ops:
        meta = {"_id": op.video_id, "version": op.version, "version_type": "external"}
        lines.append({op.action.value: meta})
        if op.action is IndexAction.INDEX:
            lines.append(op.document or {})
    return lines


def write_bulk(client: OpenSearch, ops: Sequence[IndexOp], index: str = VIDEOS_ALIAS) -> BulkOutcome:
    """One `_bulk` request for `ops` (one per video id). Raises `SearchUnavailable` when the engine
    cannot be reached or answers the request as a whole with an error."""
    outcome = BulkOutcome()
    if not ops:
        return outcome
    try:
        answer = client.bulk(body=bulk_body(ops), index=index)
    except TransportError as error:
        raise SearchUnavailable(f"bulk write of {len(ops)} videos failed: {error}") from error
    for op, item in zip(ops, answer.get("items") or [], strict=False):
        result = next(iter(item.values()))
        status = int(result.get("status", 500))
        if status in (200, 201) or (status == 404 and op.action is IndexAction.DELETE):
            outcome.written.append(op.video_id)
        elif status == 409:
            outcome.stale.append(op.video_id)
        else:
            cause = result.get("error") or {}
            reason = cause.get("type", "error") if isinstance(cause, dict) else str(cause)
            outcome.failed[op.video_id] = f"{status} {reason}"
    answered = len(answer.get("items") or [])
    for op in ops[answered:]:  # never expected: an answer shorter than the request
        outcome.failed[op.video_id] = "no answer"
    return outcome
