"""Fixtures over the session's local cloud: API clients per user and the stack's AWS resources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import Api


@pytest.fixture(scope="session")
def alice(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token("alice"))


@pytest.fixture(scope="session")
def bob(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token("bob"))


@pytest.fixture(scope="session")
def cloud_s3(local_cloud: Any) -> Any:
    return local_cloud.client("s3")


@pytest.fixture(scope="session")
def cloud_sqs(local_cloud: Any) -> Any:
    return local_cloud.client("sqs")


@pytest.fixture(scope="session")
def cloud_sfn(local_cloud: Any) -> Any:
    return local_cloud.client("stepfunctions")


@pytest.fixture(scope="session")
def media_bucket(local_cloud: Any) -> str:
    return str(local_cloud.name("MediaBucket"))


@pytest.fixture(scope="session")
def ingest_state_machine(local_cloud: Any) -> str:
    return str(local_cloud.arn("IngestStateMachine"))


@pytest.fixture(scope="session")
def ingest_queue_url(local_cloud: Any) -> str:
    return str(local_cloud.queue_url("IngestQueue"))


@pytest.fixture(scope="session")
def ingest_dlq_url(local_cloud: Any) -> str:
    return str(local_cloud.queue_url("IngestDLQ"))


@pytest.fixture(scope="module")
def cloud_sdk_environment(local_cloud: Any) -> Any:
    """This process's AWS SDK (boto3, PynamoDB) pointed at the local cloud for one test module (then
    restored: other modules use in-process moto mocks, which an endpoint variable would bypass)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in local_cloud.environment().items():
            patch.setenv(name, value)
        yield local_cloud
