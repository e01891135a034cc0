"""A search node of the local cloud's kind (`SearchNode`: real OpenSearch 2.19 from the Maven project
in infra/search-node/), started once for these tests, in its own folder, so that a test may stop and
restart it without disturbing the session's local cloud. The node is built first when its build is
missing (a fresh clone: `make test` alone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opensearchpy import OpenSearch

from reelstack_tools.localcloud.search_node import SearchNode


@pytest.fixture(scope="session")
def search_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchNode]:
    node = SearchNode(0, tmp_path_factory.mktemp("search-node"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def search_client(search_node: SearchNode) -> Iterator[OpenSearch]:
    client = OpenSearch(hosts=[search_node.url], timeout=30)
    try:
        yield client
    finally:
        client.close()
