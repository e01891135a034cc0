"""The search indices on the session's local cloud: its start ran the template's bootstrap custom
resource against the real node, so `videos` and `profiles` exist behind their aliases; the adapter
creates nothing twice, keeps profiles under external versions, and reports the cluster's health."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch

from reelstack.adapters.distribution.search_client import SearchClient, SearchUnavailable
from reelstack.domain.distribution.search_indices import VIDEOS_MAPPINGS, IndexSpec
from reelstack.settings import SearchSettings
from tests.support.modules import load_module

pytestmark = pytest.mark.integration

BOOTSTRAP_APP = Path(__file__).resolve().parents[3] / "functions" / "search_bootstrap" / "app.py"


@dataclass
class LambdaContext:
    function_name: str = "SearchBootstrapFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:SearchBootstrapFunction"
    aws_request_id: str = "request"


class ResponseUrl:
    """A stand-in for CloudFormation's presigned response URL: records each PUT answer."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        answers = self.answers

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/response"

    def __enter__(self) -> ResponseUrl:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _request(request_type: str, url: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": url,
        "StackId": "stack",
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "SearchIndices",
        "ResourceProperties": {},
    }


@pytest.fixture(scope="module")
def search_url(local_cloud: Any) -> str:
    url = local_cloud.search_url
    assert url, "the template declares a search domain: the local cloud must run the node"
    return str(url)


@pytest.fixture
def raw(search_url: str) -> Iterator[OpenSearch]:
    client = OpenSearch(hosts=[search_url], timeout=30)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def search(search_url: str) -> SearchClient:
    return SearchClient(
        SearchSettings(search_endpoint=search_url, reelstack_local=True, search_timeout_seconds=10)
    )


def _state(raw: OpenSearch) -> dict[str, Any]:
    aliases = raw.indices.get_alias(index="videos-v*,profiles-v*")
    mappings = raw.indices.get_mapping(index="videos-v*,profiles-v*")
    return {"aliases": aliases, "mappings": mappings}


def test_the_cloud_start_created_the_indices_behind_their_aliases(raw: OpenSearch) -> None:
    # GIVEN the session's local cloud (started with the template's SearchIndices custom resource)
    # WHEN the aliases are read
    aliases = raw.indices.get_alias(name="videos,profiles")
    # THEN each alias points at its first versioned index, with the domain's mapping
    assert {index: sorted(entry["aliases"]) for index, entry in aliases.items()} == {
        "videos-v1": ["videos"],
        "profiles-v1": ["profiles"],
    }
    mapping = raw.indices.get_mapping(index="videos")["videos-v1"]["mappings"]
    assert mapping["properties"]["title"]["fields"]["suggest"]["type"] == "search_as_you_type"


def test_ensure_indices_twice_changes_nothing(raw: OpenSearch, search: SearchClient) -> None:
    # GIVEN the indices as the start left them
    before = _state(raw)
    # WHEN the bootstrap runs twice more
    first, second = search.ensure_indices(), search.ensure_indices()
    # THEN it created nothing and the aliases and mappings are unchanged
    assert (first, second) == ([], [])
    assert _state(raw) == before


def test_the_bootstrap_function_answers_cloudformation(local_cloud: Any) -> None:
    # GIVEN a stand-in for CloudFormation's presigned response URL
    with ResponseUrl() as response:
        # WHEN the deployed function gets an Update, then a Delete request
        for request_type in ("Update", "Delete"):
            result = local_cloud.invoke("SearchBootstrapFunction", _request(request_type, response.url))
            assert result.function_error is None
    # THEN CloudFormation heard SUCCESS for both, under one physical id (no replacement)
    assert [(a["Status"], a["PhysicalResourceId"], a["LogicalResourceId"]) for a in response.answers] == [
        ("SUCCESS", "reelstack-search-indices", "SearchIndices")
    ] * 2


def test_the_bootstrap_answers_failed_when_the_engine_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the bootstrap handler whose endpoint has nothing listening
    with http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    monkeypatch.setenv("SEARCH_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("REELSTACK_LOCAL", "1")
    monkeypatch.setenv("SEARCH_TIMEOUT_SECONDS", "1")
    app = load_module("search_bootstrap_app", BOOTSTRAP_APP)
    # WHEN CloudFormation asks it to create the indices
    with ResponseUrl() as response:
        returned = app.handler(_request("Create", response.url), LambdaContext())
    # THEN it still answers, FAILED with the reason, instead of leaving the deploy waiting
    assert [answer["Status"] for answer in response.answers] == ["FAILED"]
    assert "SearchUnavailable" in response.answers[0]["Reason"]
    assert returned["Status"] == "FAILED"


def test_a_profile_is_written_and_read_back(search: SearchClient) -> None:
    # GIVEN a user's interests WHEN written at version 5 and read back
    user = f"user-{uuid.uuid4().hex[:8]}"
    assert search.put_profile(user, {"Cats": 0.8, "skate": 0.3}, version=5) is True
    profile = search.get_profile(user)
    # THEN the weights, version and user come back (tags folded)
    assert profile is not None
    assert (profile.user_id, profile.tag_weights, profile.version) == (user, {"cats": 0.8, "skate": 0.3}, 5)
    assert search.get_profile(f"nobody-{uuid.uuid4().hex[:8]}") is None


def test_an_older_profile_version_does_not_overwrite_a_newer_one(search: SearchClient) -> None:
    # GIVEN a profile at version 10
    user = f"user-{uuid.uuid4().hex[:8]}"
    assert search.put_profile(user, {"cats": 1.0}, version=10)
    # WHEN a late job run writes version 9, then the same version 10 again
    stale, repeated = search.put_profile(user, {"dogs": 1.0}, 9), search.put_profile(user, {"dogs": 1.0}, 10)
    # THEN both are refused and version 10 stays; a newer version 11 lands
    assert (stale, repeated) == (False, False)
    profile = search.get_profile(user)
    assert profile is not None and (profile.version, profile.tag_weights) == (10, {"cats": 1.0})
    assert search.put_profile(user, {"dogs": 0.5}, 11)
    newer = search.get_profile(user)
    assert newer is not None and (newer.version, newer.tag_weights) == (11, {"dogs": 0.5})


def test_the_adapter_reports_cluster_health(search: SearchClient) -> None:
    # GIVEN the running node WHEN its health is asked THEN it is green with every shard active
    health = search.health()
    assert health.status == "green" and health.healthy
    assert health.active_shards_percent == 100.0


def test_an_unreachable_engine_is_search_unavailable() -> None:
    # GIVEN an endpoint where nothing listens WHEN health is asked THEN the adapter raises a 503 error
    with http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    search = SearchClient(
        SearchSettings(
            search_endpoint=f"http://127.0.0.1:{port}", reelstack_local=True, search_timeout_seconds=1
        )
    )
    with pytest.raises(SearchUnavailable) as raised:
        search.health()
    assert raised.value.code == "search_unavailable"


def test_the_bootstrap_leaves_an_alias_a_reindex_moved_alone(search_node: Any) -> None:
    # GIVEN an alias that a reindex moved to version 2 (version 1 deleted)
    raw = OpenSearch(hosts=[search_node.url], timeout=30)
    alias = f"moved-{uuid.uuid4().hex[:8]}"
    later = IndexSpec(alias, 2, VIDEOS_MAPPINGS)
    raw.indices.create(index=later.index, body=later.body())
    try:
        # WHEN the bootstrap (a stack update, a local start) ensures version 1
        created = SearchClient(client=raw).ensure_indices((IndexSpec(alias, 1, VIDEOS_MAPPINGS),))
        # THEN it creates nothing: the alias still names version 2 alone, and writes through it work
        assert created == []
        assert not raw.indices.exists(index=f"{alias}-v1")
        assert list(raw.indices.get_alias(name=alias)) == [later.index]
        raw.index(index=alias, id="v1", body={"video_id": "v1", "title": "still writable"}, refresh=True)
    finally:
        raw.indices.delete(index=f"{alias}-v*", ignore_unavailable=True)
        raw.close()
