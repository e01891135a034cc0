"""The typed document that flows through the ingest workflow, stage to stage."""

from __future__ import annotations

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


class StageError(BaseModel):
    """What a Catch hands the failure recorder: Step Functions' `Error` and `Cause`."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(default="States.Unknown", alias="Error")
    cause: str = Field(default="", alias="Cause")
