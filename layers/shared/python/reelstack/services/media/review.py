"""Human review of videos the model held: the queue reviewers work from, and their decisions.

The workflow's `AwaitReview` state sends `{video_id, moderation, task_token}` to the review queue and
waits. `hold` (the queue's consumer) marks the video IN_REVIEW and files the token as a waiting task;
a reviewer's decision resumes the execution with `{decision, reason, reviewer, decided_at}`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from reelstack.adapters.media.waiting_tasks import WaitingTask, WaitingTasks, review_ref
from reelstack.adapters.media.workflow import TaskCallbacks
from reelstack.adapters.media_signer import MediaSigner, held_preview
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.repositories import Repositories
from reelstack.clock import iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.media.workflow import ReviewDecision
from reelstack.domain.request_input import text_body_cap
from reelstack.domain.text import clean_text
from reelstack.domain.videos import VideoStatus
from reelstack.errors import Forbidden, Gone, InvalidRequest, NotFound
from reelstack.observability import logger

REVIEW_KIND = "review"
REVIEW_WAIT = timedelta(days=7)  # AwaitReview's TimeoutSeconds in the state machine
FRAME_LINK_SECONDS = 900
MAX_REASON_LENGTH = 1000  # ReviewDecision.reason's max_length
DECISION_BODY_CAP = text_body_cap(MAX_REASON_LENGTH)


class ReviewService:
    def __init__(
        self,
        repos: Repositories,
        waiting: WaitingTasks,
        callbacks: TaskCallbacks,
        urls: MediaUrls,
        reviewer_group: str = "reviewer",
        previews: MediaSigner | None = None,
    ) -> None:
        self.repos = repos
        self.waiting = waiting
        self.callbacks = callbacks
        self.urls = urls
        self.reviewer_group = reviewer_group
        self.previews = previews

    # -- the review queue's consumer -------------------------------------------------------------------
    def hold(self, message: dict[str, Any]) -> None:
        """IN_REVIEW, and the token filed for reviewers. A redelivered message changes nothing more."""
        try:
            video_id, token = str(message["video_id"]), str(message["task_token"])
        except KeyError as exc:
            raise InvalidRequest(f"a review request lacks {exc}", code="invalid_review_request") from None
        moderation = dict(message.get("moderation") or {})
        now = utc_now()
        moved = self.repos.transition_video(
            video_id,
            [VideoStatus.PROCESSING, VideoStatus.IN_REVIEW],
            VideoStatus.IN_REVIEW,
            iso(now),
            moderation={key: moderation.get(key) for key in ("decision", "reasons", "model")},
        )
        if not moved:
            # A redelivered request for a video already decided (or gone): nothing to file again.
            logger.info("review request for a video no longer in flight", extra={"video_id": video_id})
            return
        details = {
            "reasons": moderation.get("reasons", []),
            "flagged": moderation.get("flagged", []),
            "max_scores": moderation.get("max_scores", {}),
        }
        task = WaitingTask(review_ref(video_id), REVIEW_KIND, video_id, token, iso(now), details)
        self.waiting.put(task, expires_at=now + REVIEW_WAIT + timedelta(days=1))
        logger.info("held for review", extra={"video_id": video_id, "reasons": details["reasons"]})

    # -- reviewers --------------------------------------------------------------------------------------
    def _require_reviewer(self, principal: Principal) -> None:
        if not principal.has_role(self.reviewer_group):
            raise Forbidden("only reviewers may moderate videos", code="reviewer_only")

    def queue(self, principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
        """Videos waiting for a decision, oldest first, with short-lived links to the flagged frames."""
        self._require_reviewer(principal)
        if not 1 <= limit <= 100:
            raise InvalidRequest("limit must be 1..100", code="invalid_limit")
        page = self.waiting.of_kind(REVIEW_KIND, limit, cursor)
        items = []
        for task in page.tasks:
            video = self.repos.get_video(task.video_id)
            if video is None or video.status != VideoStatus.IN_REVIEW:
                self.waiting.remove(task)  # the wait ended (timed out, deleted): not a reviewer's job now
                continue
            items.append(
                {
                    "video_id": task.video_id,
                    "title": video.title,
                    "owner": video.owner,
                    "waiting_since": task.created_at,
                    "reasons": task.details.get("reasons", []),
                    # The whole held video (its renditions are not public): a signed link to its master.
                    "preview": held_preview(self.previews, task.video_id),
                    "flagged_frames": [
                        {
                            "time_s": frame.get("time_s"),
                            "label": frame.get("label"),
                            "score": frame.get("score"),
                            "url": self.urls.presigned(str(frame["key"]), FRAME_LINK_SECONDS),
                        }
                        for frame in task.details.get("flagged", [])
                        if frame.get("key")
                    ],
                }
            )
        return {"items": items, "cursor": page.cursor}

    def decide(self, principal: Principal, video_id: str, body: Any) -> dict[str, Any]:
        """Resume the held execution with the reviewer's decision; the workflow publishes or rejects."""
        self._require_reviewer(principal)
        if not isinstance(body, dict):
            raise InvalidRequest("the body must be a JSON object", code="invalid_body")
        if "reason" in body:  # shown to the owner and other reviewers: the text rules apply
            body = body | {
                "reason": clean_text(
                    body["reason"], field="reason", max_length=MAX_REASON_LENGTH, min_length=0, multiline=True
                )
            }
        try:
            decision = ReviewDecision.model_validate(
                body | {"reviewer": principal.username, "decided_at": iso(utc_now())}
            )
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise InvalidRequest(f"{where}: {problem['msg']}", code="invalid_decision") from None
        task = self.waiting.get(review_ref(video_id))
        if task is None:
            raise NotFound(f"video {video_id} is not waiting for review", code="not_in_review")
        video = self.repos.get_video(video_id)
        if video is not None and video.owner == principal.user_id:
            raise Forbidden("reviewers do not decide on their own videos", code="own_video")
        try:
            self.callbacks.succeed(task.task_token, decision.model_dump())
        except Gone:
            self.waiting.remove(task)
            raise
        self.waiting.remove(task)
        logger.info("review decided", extra={"video_id": video_id, "decision": decision.decision})
        return {"video_id": video_id, "decision": decision.decision, "reviewer": decision.reviewer}
