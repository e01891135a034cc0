"""Progress when the server asks for chunks again at complete time (stand-ins for the API and the transfer)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from reelstack_tools.uploader import client
from reelstack_tools.uploader.api import Completion, UploadSession
from reelstack_tools.uploader.chunks import ChunkPlan
from reelstack_tools.uploader.errors import ApiError
from reelstack_tools.uploader.progress import ProgressListener, RichProgress
from reelstack_tools.uploader.resume import ResumeKey
from reelstack_tools.uploader.retry import RetryPolicy

SESSION = UploadSession(upload_id="u1", video_id="v1", chunk_size=100, chunk_count=3, mode="staged")


class Api:
    """Answers the first complete with 409 missing_parts [2], the second with success."""

    base_url = "http://api"

    def __init__(self) -> None:
        self.completes = 0

    def complete(self, upload_id: str) -> Completion:
        self.completes += 1
        if self.completes == 1:
            raise ApiError(409, "missing_parts", "part 2 is missing", details={"missing_parts": [2]})
        return Completion("v1", upload_id, "PROCESSING", "COMPLETED")


class Starts(ProgressListener):
    def __init__(self) -> None:
        self.starts: list[dict[str, int]] = []

    def transfer_started(self, **counts: int) -> None:
        self.starts.append(counts)


def test_a_re_upload_round_reports_only_the_asked_chunks_as_not_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a 250-byte upload in 100-byte chunks whose complete answers "chunk 2 is missing" once
    monkeypatch.setattr(client._Upload, "_send", lambda self, *args: (1, 100))
    listener = Starts()
    job = client._Upload(
        source=tmp_path / "v.mp4",
        size=250,
        api=Api(),  # type: ignore[arg-type]
        listener=listener,
        cancel=threading.Event(),
        parallel=1,
        policy=RetryPolicy(),
        timeout=1.0,
        store=None,
        key=ResumeKey(str(tmp_path / "v.mp4"), 250, 0, 100),
    )
    # WHEN it completes
    completion, parts, sent = job._complete(SESSION, None, ChunkPlan(250, 100), None, 0)  # type: ignore[arg-type]
    # THEN the re-upload round starts with everything but chunk 2's 100 bytes done (not all 250)
    assert (completion.upload_status, parts, sent) == ("COMPLETED", 1, 100)
    assert listener.starts == [{"total_bytes": 250, "done_bytes": 150, "total_parts": 3, "done_parts": 2}]


def test_the_bar_goes_back_to_what_is_done_for_a_re_upload_round() -> None:
    # GIVEN a bar that showed the whole file sent
    bar = RichProgress("v.mp4", stream=io.StringIO())
    bar.transfer_started(total_bytes=250, done_bytes=0, total_parts=3, done_parts=0)
    bar.sent(250)
    # WHEN a re-upload round of one 100-byte chunk starts
    bar.transfer_started(total_bytes=250, done_bytes=150, total_parts=3, done_parts=2)
    # THEN the bar shows 150 of 250 bytes, so the round's bytes bring it back to 100 %, not past it
    (task,) = bar._progress.tasks
    assert task.completed == 150
