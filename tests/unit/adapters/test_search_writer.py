"""The bulk request the indexer sends and how each item's answer is read: 409 is done (the index holds
newer), 404 on a delete is done, anything else fails that video; an unreachable engine fails all."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy.exceptions import ConnectionError as SearchConnectionError

from reelstack.adapters.distribution.search_client import SearchUnavailable
from reelstack.adapters.distribution.search_writer import bulk_body, write_bulk
from reelstack.domain.distribution.search_documents import IndexAction, IndexOp

OPS = [
    IndexOp("a", IndexAction.INDEX, 10, {"video_id": "a"}),
    IndexOp("b", IndexAction.INDEX, 11, {"video_id": "b"}),
    IndexOp("c", IndexAction.DELETE, 12),
    IndexOp("d", IndexAction.INDEX, 13, {"video_id": "d"}),
]


class Engine:
    """Answers a `_bulk` with canned item statuses (what OpenSearch's JSON answer holds)."""

    def __init__(self, statuses: list[int], down: bool = False) -> None:
        self.statuses = statuses
        self.down = down
        self.calls: list[dict[str, Any]] = []

    def bulk(self, body: list[dict[str, Any]], index: str) -> dict[str, Any]:
        self.calls.append({"body": body, "index": index})
        if self.down:
            raise SearchConnectionError("N/A", "refused", None)
        items = []
        for op, status in zip(OPS, self.statuses, strict=True):
            result: dict[str, Any] = {"_id": op.video_id, "status": status}
            if status >= 400 and status not in (404, 409):
                result["error"] = {"type": "mapper_parsing_exception"}
            items.append({op.action.value: result})
        return {"errors": True, "items": items}


def test_the_bulk_lines_carry_external_versions_and_no_index() -> None:
    # GIVEN an index, a delete WHEN the bulk body is built
    lines = bulk_body(OPS[1:3])
    # THEN each action line has the id and the external version; the index is in the path, not here
    assert lines == [
        {"index": {"_id": "b", "version": 11, "version_type": "external"}},
        {"video_id": "b"},
        {"delete": {"_id": "c", "version": 12, "version_type": "external"}},
    ]


def test_each_items_answer_is_read_per_video() -> None:
    # GIVEN an engine answering written, version conflict, not found (a delete), mapping error
    engine = Engine([201, 409, 404, 400])
    # WHEN the ops are written
    outcome = write_bulk(engine, OPS)  # type: ignore[arg-type]
    # THEN one request to the videos alias; the conflict is stale (done), the 400 alone failed
    assert [call["index"] for call in engine.calls] == ["videos"]
    assert outcome.written == ["a", "c"]
    assert outcome.stale == ["b"]
    assert outcome.failed == {"d": "400 mapper_parsing_exception"}


def test_an_unreachable_engine_fails_the_whole_batch() -> None:
    # GIVEN an engine that refuses connections WHEN the ops are written THEN SearchUnavailable
    with pytest.raises(SearchUnavailable):
        write_bulk(Engine([], down=True), OPS)  # type: ignore[arg-type]
    # AND nothing to write costs no request
    assert write_bulk(Engine([], down=True), []).written == []  # type: ignore[arg-type]
