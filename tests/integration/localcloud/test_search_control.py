"""The control API stops and starts the local cloud's search node (the OpenSearch domain): an outage
clients see as refused connections, then a restart on the same URL with the same data."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as SearchConnectionError

pytestmark = pytest.mark.integration


def test_the_search_node_stops_and_starts_again_on_the_same_url_with_its_indices(local_cloud: Any) -> None:
    """GIVEN the cloud's search node, running, holding a document in `profiles`
    WHEN it is stopped, stopped again, then started (and started once more)
    THEN it refuses connections while stopped, answers on the same URL afterwards, and the document
    and the aliases survived the restart."""
    url = local_cloud.search_url
    assert local_cloud.control("GET", "search") == {"running": True, "url": url}
    client = OpenSearch(hosts=[url], timeout=10, max_retries=0)
    client.index(index="profiles", id="search-control", body={"user_id": "search-control"}, refresh=True)
    try:
        assert local_cloud.control("POST", "search/stop") == {"search": "stopped"}
        assert local_cloud.control("GET", "search") == {"running": False, "url": url}
        with pytest.raises(SearchConnectionError):
            client.info()
        assert local_cloud.control("POST", "search/stop") == {"search": "stopped"}
    finally:
        started = local_cloud.control("POST", "search/start")
    assert started == {"search": "running", "url": url}
    assert local_cloud.control("POST", "search/start") == started  # a no-op when running
    assert client.get(index="profiles", id="search-control")["_source"]["user_id"] == "search-control"
    assert client.indices.exists_alias(name="videos")
    assert local_cloud.control("GET", "info")["pids"]["search"] != local_cloud.info["pids"]["search"]
