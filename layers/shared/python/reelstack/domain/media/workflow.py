"""The typed document that flows through the ingest workflow, stage to stage."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WorkflowDocument(BaseModel):
    """Started by the trigger with the original's coordinates; each stage returns it enriched."""

    model_config = ConfigDict(extra="allow")

    video_id: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    key: str = Field(min_length=1)
    size: int = Field(ge=0)
    etag: str = ""
    owner: str | None = None
    execution_id: str | None = None
    # Added stage by stage:
    media: dict[str, Any] | None = None  # Probe: `MediaInfo.to_dict()`
    plan: dict[str, Any] | None = None  # Plan: `Plan.to_dict()`
    outputs: dict[str, Any] | None = None  # Transcode: master, poster, sprite, measured renditions
    moderation: dict[str, Any] | None = None  # Moderate: the verdict
    review: dict[str, Any] | None = None  # AwaitReview: the reviewer's decision


class ReviewDecision(BaseModel):
    """What a reviewer sends back to a held execution."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=1000)
    reviewer: str = ""
    decided_at: str = ""


class StageError(BaseModel):
    """What a Catch hands the failure recorder: Step Functions' `Error` and `Cause`."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(default="States.Unknown", alias="Error")
    cause: str = Field(default="", alias="Cause")
