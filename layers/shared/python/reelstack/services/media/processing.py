"""The ingest workflow's own stages around the media work: Probe, Plan, Publish and Reject.

Each takes the workflow document and returns it enriched (or, for the last ones, the final answer);
the transcode and moderation stages live in `services.media.transcode` and `services.media.moderation`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import replace
from typing import Any

from reelstack.adapters.events import EventPublisher
from reelstack.adapters.media.probe import MediaProber
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.media.backends import LambdaBudget
from reelstack.domain.media.media import MediaInfo, ProbePolicy, steady_frame_rate
from reelstack.domain.media.outbox import PendingEvent, outbox_shard
from reelstack.domain.media.rendition_spec import RenditionSpec
from reelstack.domain.media.renditions import plan_renditions
from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.domain.videos import Playback, VideoStatus, published_bucket
from reelstack.errors import Conflict, InvalidRequest, NotFound
from reelstack.observability import logger
from reelstack.services.media.outbox import OutboxRelay
from reelstack.services.media.transcode import PUBLIC_TAGS as PUBLIC_TAGS  # re-exported (tiering, archive)

VIDEO_PUBLISHED = "VideoPublished"
VIDEO_REJECTED = "VideoRejected"
_IN_FLIGHT = (VideoStatus.PROCESSING, VideoStatus.IN_REVIEW)


def _required(document: WorkflowDocument, field: str) -> dict[str, Any]:
    value = getattr(document, field)
    if not isinstance(value, dict):
        raise InvalidRequest(f"the workflow document has no {field}", code="invalid_workflow_document")
    return value


class ProcessingStages:
    def __init__(
        self,
        storage: MediaStorage,
        repos: Repositories,
        *,
        prober: MediaProber,
        probe_policy: ProbePolicy,
        rendition_spec: RenditionSpec,
        budget: LambdaBudget,
        events: EventPublisher,
        urls: MediaUrls,
        relay: OutboxRelay,
        scratch_root: str = "/tmp",
    ) -> None:
        self.relay = relay
        self.storage = storage
        self.repos = repos
        self.prober = prober
        self.probe_policy = probe_policy
        self.rendition_spec = rendition_spec
        self.budget = budget
        self.events = events
        self.urls = urls
        self.scratch_root = scratch_root

    def probe(self, document: WorkflowDocument) -> WorkflowDocument:
        """ffprobe + decode check of the original; refusals carry their code; the facts go on the video."""
        scratch = tempfile.mkdtemp(prefix="probe-", dir=self.scratch_root)
        try:
            path = os.path.join(scratch, "original")
            self.storage.download_to(document.key, path)
            info = self.prober.probe(path, self.probe_policy)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        media = info.to_dict()
        self.repos.update_video(document.video_id, _IN_FLIGHT, iso(utc_now()), media=media)
        return document.model_copy(update={"media": media})

    def plan(self, document: WorkflowDocument) -> WorkflowDocument:
        """The declared rendition spec applied to this source (pure), backend included."""
        info = MediaInfo(**_required(document, "media"))
        steady = replace(info, frame_rate=steady_frame_rate(info))
        plan = plan_renditions(document.video_id, steady, self.rendition_spec, self.budget)
        logger.info(
            "planned",
            extra={
                "video_id": document.video_id,
                "renditions": [r.name for r in plan.renditions],
                "backend": plan.backend.value,
                "reason": plan.backend_reason,
            },
        )
        return document.model_copy(update={"plan": plan.to_dict()})

    def publish(self, document: WorkflowDocument) -> dict[str, Any]:
        """PUBLISHED with its renditions and playback URL, and `VideoPublished` recorded in the same
        write (the outbox, `domain.media.outbox`), then delivered to the event bus.

        A failed delivery does not fail Publish: the event waits on the video for the ingest sweeper.
        A retried Publish finds the video already PUBLISHED and delivers whatever is still pending.
        """
        outputs = _required(document, "outputs")
        media = _required(document, "media")
        playback = Playback(
            master_key=outputs["master_key"],
            poster_key=outputs.get("poster_key"),
            sprite_key=outputs.get("sprite_key"),
            sprite_index_key=outputs.get("sprite_index_key"),
            duration_s=float(media["duration_s"]),
            renditions=tuple(outputs["renditions"]),
        )
        video = self.repos.get_video(document.video_id)
        if video is None:
            raise NotFound(f"no video {document.video_id}", code="video_not_found")
        # Renditions become readable through the CDN only now (the bucket policy serves objects tagged
        # visibility=public): nothing is playable while held for review, rejected or failed.
        self.storage.tag_prefix(f"renditions/{document.video_id}/", PUBLIC_TAGS)
        now = iso(utc_now())
        playback_url = self.urls.public(playback.master_key)
        announcement = PendingEvent(
            VIDEO_PUBLISHED,
            {
                "video_id": video.video_id,
                "owner": video.owner,
                "title": video.title,
                "tags": list(video.tags),
                "duration_s": playback.duration_s,
                "published_at": now,
                "playback_url": playback_url,
                "renditions": [r["name"] for r in playback.renditions],
            },
            now,
        )
        moved = self.repos.transition_video(
            document.video_id,
            _IN_FLIGHT,
            VideoStatus.PUBLISHED,
            now,
            playback=playback.to_dict(),
            moderation=self._moderation_record(document),
            published_at=now,
            published_bucket=published_bucket(document.video_id),
            outbox=announcement.to_dict(),
            outbox_shard=outbox_shard(document.video_id),
            outbox_due=now,
        )
        if not moved:
            current = self.repos.get_video(document.video_id)
            if current is None or current.status != VideoStatus.PUBLISHED:
                status = current.status.value if current else "gone"
                raise Conflict(f"the video is {status}; it cannot be published", code="not_publishable")
        self.relay.deliver(document.video_id)
        return {
            "video_id": video.video_id,
            "status": VideoStatus.PUBLISHED.value,
            "playback_url": playback_url,
        }

    def reject(self, document: WorkflowDocument) -> dict[str, Any]:
        """REJECTED by the model or a reviewer: renditions are removed, the original kept for appeal;
        `VideoRejected` goes on the event bus."""
        # Renditions go first: once the record says REJECTED, nothing of it is playable.
        removed = self.storage.delete_prefix(f"renditions/{document.video_id}/")
        moved = self.repos.transition_video(
            document.video_id,
            _IN_FLIGHT,
            VideoStatus.REJECTED,
            iso(utc_now()),
            moderation=self._moderation_record(document),
        )
        logger.info("rejected", extra={"video_id": document.video_id, "recorded": moved, "removed": removed})
        # The search indexer removes whatever the index holds of it (a retried Reject announces again).
        self.events.publish(
            VIDEO_REJECTED, {"video_id": document.video_id, "status": VideoStatus.REJECTED.value}
        )
        return {"video_id": document.video_id, "status": VideoStatus.REJECTED.value}

    @staticmethod
    def _moderation_record(document: WorkflowDocument) -> dict[str, Any]:
        verdict = dict(document.moderation or {})
        record: dict[str, Any] = {
            "decision": verdict.get("decision"),
            "reasons": verdict.get("reasons", []),
            "model": verdict.get("model"),
        }
        if document.review:
            record["review"] = {
                key: document.review.get(key) for key in ("decision", "reason", "reviewer", "decided_at")
            }
            record["decision"] = document.review.get("decision")
        return record
