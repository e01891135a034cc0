"""The outbox's pending event (its id the same on every delivery) and the failure recorded for an
ingest execution that ended without a final status."""

from __future__ import annotations

from reelstack.domain.media.failures import unfinished_workflow_failure
from reelstack.domain.media.outbox import OUTBOX_SHARDS, PendingEvent, outbox_shard


def test_a_pending_event_keeps_its_id_through_storage_and_announces_it() -> None:
    # GIVEN an event recorded with its video's change WHEN stored and read back
    event = PendingEvent("VideoPublished", {"video_id": "v1", "title": "t"}, "2026-12-05T10:00:00+00:00")
    again = PendingEvent.from_dict(event.to_dict())
    # THEN its id is the same, and every delivery carries it
    assert again.event_id == event.event_id == "VideoPublished:v1:2026-12-05T10:00:00+00:00"
    assert again.announced() == {"video_id": "v1", "title": "t", "event_id": event.event_id}
    assert {outbox_shard(f"v{n}") for n in range(200)} == {str(n) for n in range(OUTBOX_SHARDS)}


def test_an_unfinished_execution_says_how_it_ended() -> None:
    # GIVEN each way an execution can end unsuccessfully WHEN its failure is made THEN the code says which
    assert unfinished_workflow_failure("ABORTED").code == "workflow_aborted"
    assert unfinished_workflow_failure("TIMED_OUT").code == "timeout"
    failed = unfinished_workflow_failure("FAILED")
    assert (failed.stage, failed.code) == ("workflow", "workflow_failed")
    assert "the processing ended without recording why" in failed.message
