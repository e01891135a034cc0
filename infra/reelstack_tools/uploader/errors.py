"""What the upload client raises. Every error carries a short machine-readable ``code``."""

from __future__ import annotations

from typing import Any


class UploadError(Exception):
    """Base class. ``upload_id`` is set once an upload session exists on the server (it can be resumed)."""

    code = "upload_error"

    def __init__(self, message: str, *, code: str | None = None, upload_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.upload_id = upload_id


class ApiError(UploadError):
    """The API answered with an error (``status`` > 0) or could not be reached (``status`` == 0)."""

    code = "api_error"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        upload_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, upload_id=upload_id)
        self.status = status
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no response"
        return f"{self.code}: {self.message} ({where})"


class FileChanged(UploadError):
    """The local file changed (shrank, or a chunk no longer matches its checksum) while it was uploaded."""

    code = "file_changed"


class TransferFailed(UploadError):
    """Some chunks could not be uploaded after bounded retries; what is on the server stays there."""

    code = "transfer_failed"

    def __init__(self, message: str, *, failures: dict[int, str], upload_id: str | None = None) -> None:
        super().__init__(message, upload_id=upload_id)
        self.failures = failures


class UploadInterrupted(UploadError):
    """The upload was cancelled (``cancel`` event or Ctrl-C); running the same upload again resumes it."""

    code = "interrupted"

    def __init__(
        self,
        message: str,
        *,
        upload_id: str | None = None,
        video_id: str | None = None,
        parts_done: int = 0,
        parts_total: int = 0,
    ) -> None:
        super().__init__(message, upload_id=upload_id)
        self.video_id = video_id
        self.parts_done = parts_done
        self.parts_total = parts_total
