"""The local cloud's own integration tests run against a fixture template (fixtures/template.yaml),
started once for all of them as `reelstack up` in a subprocess."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.waiting import wait_for as _wait_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from reelstack_tools.localcloud.testing import running_local_cloud

    with running_local_cloud(
        FIXTURES / "template.yaml", tmp_path_factory.mktemp("fixture-cloud"), visibility_timeout_cap=2
    ) as cloud:
        yield cloud


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """Poll a predicate until it returns something truthy (or the timeout passes); returns its last value."""
    return _wait_for


@pytest.fixture
def table_items(fixture_cloud: Any) -> Callable[[str], dict[str, dict[str, Any]]]:
    """Items of the fixture table whose key starts with a prefix, by key."""
    dynamodb = fixture_cloud.client("dynamodb")

    def items(prefix: str) -> dict[str, dict[str, Any]]:
        found = dynamodb.scan(TableName=fixture_cloud.name("ItemsTable"))["Items"]
        return {item["pk"]["S"]: item for item in found if item["pk"]["S"].startswith(prefix)}

    return items
