"""The API fails fast: a dependency that accepts connections and never answers gives a quick 503 with
`Retry-After`, not a 504 from API Gateway after 29 s.

The API's upload service runs in-process with the API's SDK settings as the template sets them
(ApiFunction's SDK_* variables) and the API's own adapters (boto3 and PynamoDB clients built from
those settings); one dependency's endpoint is a loopback server that accepts and never answers.
Before the fix the clients waited 60 s x 4 attempts (S3) and 30 s x 4 (DynamoDB).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack.adapters import aws, tables
from reelstack.adapters.functions import AsyncInvoker
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.domain.identity import Principal
from reelstack.errors import DependencyFailed, ReelstackError
from reelstack.http_errors import headers_for, status_for
from reelstack.services.media.uploads import UploadService
from reelstack.settings import SdkSettings, UploadLimits, sdk_settings
from reelstack_tools.localcloud import cfn_yaml
from reelstack_tools.tokens import user_sub
from tests.support.http import Api, split

pytestmark = pytest.mark.integration
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
API_GATEWAY_TIMEOUT_S = 29.0
MiB = 1024 * 1024


class StallingServer:
    """A TCP server on loopback that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)  # held open, never read from or written to
            self.accepted += 1

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()


@pytest.fixture
def stalling() -> Iterator[StallingServer]:
    server = StallingServer()
    yield server
    server.close()


def _api_sdk_variables() -> dict[str, str]:
    variables = cfn_yaml.load(TEMPLATE)["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    return {name: str(value) for name, value in variables.items() if name.startswith("SDK_")}


def _clear_client_caches() -> None:
    sdk_settings.cache_clear()
    aws.client.cache_clear()
    tables.transaction_connection.cache_clear()


@pytest.fixture
def api_process(local_cloud: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[SdkSettings]:
    """This process set up as the API function: the local cloud's endpoints and the API's SDK settings."""
    for name, value in {**local_cloud.environment(), **_api_sdk_variables()}.items():
        monkeypatch.setenv(name, value)
    _clear_client_caches()
    yield sdk_settings()
    monkeypatch.undo()
    _clear_client_caches()


def _upload_service(local_cloud: Any) -> UploadService:
    """Built as the API builds it (functions/api/app.py), each client from this process's settings."""
    return UploadService(
        storage=MediaStorage(local_cloud.name("MediaBucket")),
        repos=Repositories.from_settings(
            type(
                "Tables",
                (),
                {
                    "uploads_table": local_cloud.name("UploadsTable"),
                    "videos_table": local_cloud.name("VideosTable"),
                    "aws_region": local_cloud.region,
                },
            )()
        ),
        merger=AsyncInvoker(local_cloud.name("MergeFunction")),
        limits=UploadLimits(),
        presign_expiry_seconds=900,
    )


def _answer_within(deadline_s: float, call: Callable[[], Any]) -> tuple[ReelstackError | None, float]:
    """Run `call` (in a thread, so a stalled client cannot hold the test past `deadline_s`): the domain
    error it raised and how long it took; fails when it is still waiting at the deadline."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            call()
        except ReelstackError as error:
            outcome["error"] = error

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(deadline_s)
    elapsed = time.monotonic() - started
    assert not worker.is_alive(), f"still waiting for the stalled dependency after {elapsed:.1f} s"
    return outcome.get("error"), elapsed


ALICE = Principal(user_id=user_sub("alice"), username="alice")


def test_a_stalled_dynamodb_answers_503_with_retry_after_within_the_budget(
    local_cloud: Any, api_process: SdkSettings, stalling: StallingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the API's settings and a DynamoDB endpoint that accepts connections and never answers
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", stalling.url)
    service = _upload_service(local_cloud)
    # WHEN a client asks for an upload's progress
    error, elapsed = _answer_within(API_GATEWAY_TIMEOUT_S, lambda: service.status(ALICE, "any-upload"))
    # THEN the answer is 503 with Retry-After before API Gateway's 29 s (_answer_within fails past it)
    assert isinstance(error, DependencyFailed), error
    assert status_for(error) == 503
    assert int(headers_for(error)["Retry-After"]) >= 1
    # AND the client gave up on its own budget: it waited out its read timeout on the stalled endpoint,
    # and tried no more often than its attempts allow (a budget well inside API Gateway's limit)
    assert elapsed >= api_process.sdk_read_timeout_seconds, elapsed
    assert 1 <= stalling.accepted <= api_process.sdk_max_attempts, stalling.accepted
    assert api_process.worst_case_seconds < API_GATEWAY_TIMEOUT_S / 2
    print(f"stalled DynamoDB: 503 after {elapsed:.1f} s (budget {api_process.worst_case_seconds:.0f} s)")


def test_a_stalled_s3_answers_503_with_retry_after_within_the_budget(
    local_cloud: Any, api_process: SdkSettings, stalling: StallingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN alice's staged upload with every chunk in (the local cloud's S3 and DynamoDB)
    alice = Api(local_cloud.api_url, local_cloud.token("alice"))
    data = bytes(2 * MiB)
    opened = alice.open_upload(data, MiB)
    assert opened.status == 201, opened.body
    assert all(reply.status == 200 for reply in alice.put_chunks(opened.body["upload_id"], split(data, MiB)))
    # AND the API's S3 endpoint accepts connections and never answers (DynamoDB still does)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", stalling.url)
    service = _upload_service(local_cloud)
    # WHEN she completes it (the service lists the chunks S3 holds first)
    error, elapsed = _answer_within(
        API_GATEWAY_TIMEOUT_S, lambda: service.complete(ALICE, opened.body["upload_id"])
    )
    # THEN 503 with Retry-After before API Gateway's 29 s, after the S3 client's own read timeout and no
    # more attempts than its budget; the upload is still OPEN: completing again works
    assert isinstance(error, DependencyFailed), error
    assert (status_for(error), "Retry-After" in headers_for(error)) == (503, True)
    assert elapsed >= api_process.sdk_read_timeout_seconds, elapsed
    assert 1 <= stalling.accepted <= api_process.sdk_max_attempts, stalling.accepted
    assert alice.call("GET", f"/uploads/{opened.body['upload_id']}").body["status"] == "OPEN"
    print(f"stalled S3: 503 after {elapsed:.1f} s (budget {api_process.worst_case_seconds:.0f} s)")
