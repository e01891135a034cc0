"""The local OpenSearch node: green on one node, indexes and searches through opensearch-py with the
modules the platform needs (analysis-common, painless, mapper-extras, reindex), and keeps its
documents across a restart on the same data folder."""

from __future__ import annotations

import uuid

import pytest
from opensearchpy import OpenSearch

from reelstack_tools.localcloud.search_node import SearchNode

pytestmark = pytest.mark.integration

MAPPING = {
    "settings": {
        "analysis": {
            "analyzer": {"folded": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}}
        }
    },
    "mappings": {
        "properties": {
            "title": {"type": "text", "analyzer": "folded", "fields": {"raw": {"type": "keyword"}}},
            "title_suggest": {"type": "search_as_you_type"},
            "tags": {"type": "keyword"},
            "heat": {"type": "scaled_float", "scaling_factor": 100},
            "like_count": {"type": "long"},
        }
    },
}
DOCUMENT = {
    "title": "Café latte art in Lisbon",
    "title_suggest": "Café latte art in Lisbon",
    "tags": ["coffee", "travel"],
    "heat": 0.75,
    "like_count": 12,
}


def _index(client: OpenSearch) -> str:
    name = f"videos-{uuid.uuid4().hex[:8]}"
    client.indices.create(index=name, body=MAPPING)
    client.index(index=name, id="v1", body=DOCUMENT, refresh=True)
    return name


def _ids(client: OpenSearch, index: str, query: dict[str, object]) -> list[str]:
    hits = client.search(index=index, body={"query": query})["hits"]["hits"]
    return [hit["_id"] for hit in hits]


def test_cluster_is_green_on_loopback_with_data_under_its_home(search_node: SearchNode) -> None:
    health = search_node.health()
    assert health["status"] == "green"
    assert health["number_of_nodes"] == 1
    assert search_node.url.startswith("http://127.0.0.1:")
    assert (search_node.home / "data").is_dir()


def test_index_and_search_with_the_modules(search_client: OpenSearch) -> None:
    index = _index(search_client)
    assert search_client.cluster.health(index=index)["status"] == "green"  # no replica by default
    # analysis-common's asciifolding: "cafe" finds "Café".
    assert _ids(search_client, index, {"match": {"title": "cafe"}}) == ["v1"]
    # mapper-extras' search_as_you_type: a prefix of the last word.
    prefix = {"multi_match": {"query": "latte ar", "type": "bool_prefix", "fields": ["title_suggest*"]}}
    assert _ids(search_client, index, prefix) == ["v1"]
    # lang-painless: a scored query.
    scored = search_client.search(
        index=index,
        body={
            "query": {
                "function_score": {
                    "query": {"term": {"tags": "coffee"}},
                    "script_score": {"script": {"source": "doc['like_count'].value * 2"}},
                    "boost_mode": "replace",
                }
            }
        },
    )
    assert scored["hits"]["hits"][0]["_score"] == 24.0
    # reindex: a copy under a new name.
    copy = f"{index}-copy"
    result = search_client.reindex(body={"source": {"index": index}, "dest": {"index": copy}}, refresh=True)
    assert result["created"] == 1
    assert _ids(search_client, copy, {"term": {"tags": "travel"}}) == ["v1"]


def test_documents_survive_a_restart_on_the_same_data(search_node: SearchNode) -> None:
    client = OpenSearch(hosts=[search_node.url], timeout=30)
    index = _index(client)
    client.close()
    data = search_node.home / "data"
    search_node.stop()
    assert not search_node.running
    assert search_node.process is not None and search_node.process.returncode in (0, 143)  # closed cleanly
    search_node.start()
    assert (search_node.home / "data") == data
    client = OpenSearch(hosts=[search_node.url], timeout=30)
    try:
        assert client.get(index=index, id="v1")["_source"]["title"] == DOCUMENT["title"]
        assert _ids(client, index, {"match": {"title": "lisbon"}}) == ["v1"]
    finally:
        client.close()
