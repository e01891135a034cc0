"""The search routes of the API app (functions/api/app.py), driven in-process with Chalice's test client
against the real node: bad input answers 400 with its code, any text is searched, a similar call for an
unknown video is 404, and an unreachable engine is 503 `search_unavailable` with Retry-After.

Only the caller's identity (a verifier that trusts the token's text as the user id) and the rate limiter
(no Redis here) are stand-ins; the search service, its client and the node are the real ones.
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from chalice.test import Client

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.services.auth import Authenticator
from reelstack.services.distribution import search as search_module
from reelstack.services.distribution.search import SearchService
from reelstack.settings import SearchSettings
from reelstack_tools.localcloud.child_process import free_port
from reelstack_tools.localcloud.search_node import SearchNode
from tests.support import search_corpus as corpus
from tests.support.modules import load_module

pytestmark = pytest.mark.integration

API_APP = Path(__file__).resolve().parents[3] / "functions" / "api" / "app.py"
RETRY_AFTER = 7


class TrustingVerifier:
    """The token's text is the user id (JWT checks have their own tests)."""

    def verify(self, token: str) -> dict[str, object]:
        return {"sub": token, "cognito:username": token}


class NoLimits:
    def enforce(self, user_id: str, bucket: str) -> None:
        pass


def _load_api() -> ModuleType:
    return load_module("reelstack_api_app_under_search_test", API_APP)


def _service(endpoint: str, timeout: float = 10) -> SearchService:
    settings = SearchSettings(
        search_endpoint=endpoint,
        reelstack_local=True,
        search_timeout_seconds=timeout,
        search_retry_after_seconds=RETRY_AFTER,
        search_max_query_chars=200,
    )
    return SearchService(SearchClient(settings), lambda key: f"https://cdn.example/{key}")


@pytest.fixture(scope="module")
def api(search_node: SearchNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    corpus.plant(search_node.url)
    module = _load_api()
    service = _service(search_node.url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_authenticator", lambda: Authenticator(TrustingVerifier()))
        patch.setattr(module, "_limiter", lambda: NoLimits())
        patch.setattr(module, "_search", lambda: service)
        yield module
    sys.modules.pop(module.__name__, None)


@pytest.fixture
def http(api: ModuleType, tmp_path: Path) -> Any:
    return Client(api.app, project_dir=str(tmp_path)).http


def _get(http: Any, path: str, **params: str) -> tuple[int, Any, dict[str, str]]:
    url = f"{path}?{urlencode(params)}" if params else path
    response = http.get(url, headers={"Authorization": "Bearer alice"})
    return response.status_code, response.json_body, response.headers


def _cursor(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def test_search_answers_items_and_a_cursor(http: Any) -> None:
    """GIVEN the planted corpus WHEN GET /search?q=kayak&limit=5 THEN 200 with 5 items and a cursor,
    and the cursor's next page follows without repeating."""
    status, body, _ = _get(http, "/search", q="kayak", limit="5")
    assert status == 200 and len(body["items"]) == 5 and body["cursor"]

    status, following, _ = _get(http, "/search", q="kayak", limit="5", cursor=body["cursor"])
    assert status == 200
    assert not {i["video_id"] for i in body["items"]} & {i["video_id"] for i in following["items"]}


def test_suggest_and_similar_answer(http: Any) -> None:
    """GIVEN the planted corpus WHEN suggesting "surf" and asking videos similar to "Surfing"
    THEN titles, and videos of other authors."""
    status, body, _ = _get(http, "/search/suggest", q="surf")
    assert status == 200 and "Surfing" in body["suggestions"]

    status, body, _ = _get(http, "/videos/v-exact/similar", limit="10")
    assert status == 200 and body["items"]
    assert all(item["author"] != "ana" for item in body["items"])


def test_a_caller_without_a_token_is_refused_before_anything_is_read(http: Any) -> None:
    """GIVEN no Authorization header WHEN searching THEN 401, whatever the parameters."""
    response = http.get("/search?nonsense=1")
    assert response.status_code == 401


def _another_search_cursor(http: Any) -> str:
    status, body, _ = _get(http, "/search", q="surfing", limit="1")
    assert status == 200 and body["cursor"]
    return str(body["cursor"])


def _tampered_cursor(http: Any) -> str:
    """A cursor of this very search whose sort values were edited to the wrong types."""
    _, body, _ = _get(http, "/search", q="kayak", limit="1")
    data = json.loads(base64.urlsafe_b64decode(body["cursor"] + "=="))
    data["a"] = [{"script": "x"}, "1", ["v"]]
    return _cursor(data)


BAD_SEARCHES: list[tuple[str, dict[str, str], str]] = [
    ("/search", {}, "invalid_query"),
    ("/search", {"q": ""}, "invalid_query"),
    ("/search", {"q": "   \t "}, "invalid_query"),
    ("/search", {"q": "cats\u202edogs"}, "invalid_query"),
    ("/search", {"q": "a\x00b"}, "invalid_query"),
    ("/search", {"q": "x" * 201}, "query_too_long"),
    ("/search", {"q": "surf", "sort": "title"}, "unknown_parameter"),
    ("/search", {"q": "surf", "from": "10"}, "unknown_parameter"),
    ("/search", {"q": "surf", "limit": "0"}, "invalid_limit"),
    ("/search", {"q": "surf", "limit": "51"}, "invalid_limit"),
    ("/search", {"q": "surf", "limit": "ten"}, "invalid_limit"),
    ("/search", {"q": "surf", "limit": "-1"}, "invalid_limit"),
    ("/search", {"q": "surf", "limit": "2.5"}, "invalid_limit"),
    ("/search", {"q": "surf", "limit": "²"}, "invalid_limit"),
    ("/search", {"q": "surf", "tag": " "}, "invalid_tag"),
    ("/search", {"q": "surf", "tag": "t" * 51}, "invalid_tag"),
    ("/search", {"q": "surf", "cursor": "not-a-cursor!"}, "invalid_cursor"),
    ("/search", {"q": "surf", "cursor": _cursor({"v": 1})}, "invalid_cursor"),
    ("/search", {"q": "surf", "cursor": _cursor([1, 2, 3])}, "invalid_cursor"),  # type: ignore[arg-type]
    ("/search", {"q": "surf", "cursor": "x" * 5000}, "invalid_cursor"),
    ("/search/suggest", {}, "invalid_query"),
    ("/search/suggest", {"q": " "}, "invalid_query"),
    ("/search/suggest", {"q": "x" * 201}, "query_too_long"),
    ("/search/suggest", {"q": "surf", "tag": "x"}, "unknown_parameter"),
    ("/search/suggest", {"q": "surf", "limit": "21"}, "invalid_limit"),
    ("/videos/v-exact/similar", {"limit": "999"}, "invalid_limit"),
    ("/videos/v-exact/similar", {"q": "surf"}, "unknown_parameter"),
]


@pytest.mark.parametrize(("path", "params", "code"), BAD_SEARCHES, ids=lambda v: str(v)[:30])
def test_bad_input_answers_400_with_its_code(http: Any, path: str, params: dict[str, str], code: str) -> None:
    """GIVEN a bad parameter WHEN the route is called THEN 400 with the parameter's code and a message."""
    status, body, _ = _get(http, path, **params)

    assert (status, body["code"]) == (400, code), body
    assert body["message"]


def test_a_repeated_parameter_is_refused(http: Any) -> None:
    """GIVEN q twice WHEN searching THEN 400 repeated_parameter (which one would count is ambiguous)."""
    response = http.get("/search?q=a&q=b", headers={"Authorization": "Bearer alice"})
    assert (response.status_code, response.json_body["code"]) == (400, "repeated_parameter")


def test_a_cursor_of_another_search_or_tampered_is_refused(http: Any) -> None:
    """GIVEN the cursor of a "surfing" search, and a "kayak" cursor with edited sort values
    WHEN either is used to page "kayak" THEN 400 invalid_cursor."""
    for cursor in (_another_search_cursor(http), _tampered_cursor(http)):
        status, body, _ = _get(http, "/search", q="kayak", cursor=cursor)
        assert (status, body["code"]) == (400, "invalid_cursor")
    # the same cursor with a tag filter is another search too
    status, body, _ = _get(http, "/search", q="surfing", tag="ocean", cursor=_another_search_cursor(http))
    assert (status, body["code"]) == (400, "invalid_cursor")


def test_similar_for_a_video_not_in_the_index_is_404(http: Any) -> None:
    """GIVEN an id the index does not hold WHEN asking similar videos THEN 404 video_not_found."""
    for video_id in ("v-missing", quote("../_search", safe=""), "x" * 300):
        status, body, _ = _get(http, f"/videos/{video_id}/similar")
        assert (status, body["code"]) == (404, "video_not_found"), video_id


SPECIAL_TEXTS = [
    '"quoted" text',
    "'single",
    "slash/and\\backslash",
    "[brackets] {braces} (parens) <angle>",
    "AND OR NOT",
    "surfing AND NOT",
    "*?~^:",
    "title:surfing OR author:ana",
    "a\\",
    "%00%27",
    "ünïcödé café",
    "日本語のタイトル",
    "🏄‍♀️🌊",
    "DROP TABLE videos; --",
    "x" * 200,
]


@pytest.mark.parametrize("text", SPECIAL_TEXTS)
def test_any_text_is_just_searched(http: Any, text: str) -> None:
    """GIVEN text with query syntax, unicode or emoji WHEN searched and suggested THEN 200."""
    status, body, _ = _get(http, "/search", q=text)
    assert status == 200 and isinstance(body["items"], list), body
    status, body, _ = _get(http, "/search/suggest", q=text)
    assert status == 200 and isinstance(body["suggestions"], list), body


def test_an_unreachable_engine_answers_503_with_retry_after(
    api: ModuleType, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the search service pointed at a closed port WHEN each search route is called
    THEN 503 search_unavailable with the settings' Retry-After, and nothing of the inside in the body."""
    down = _service(f"http://127.0.0.1:{free_port('127.0.0.1')}", timeout=1)
    monkeypatch.setattr(api, "_search", lambda: down)

    for path, params in (
        ("/search", {"q": "surfing"}),
        ("/search/suggest", {"q": "surf"}),
        ("/videos/v-exact/similar", {}),
    ):
        status, body, headers = _get(http, path, **params)
        assert (status, body["code"]) == (503, "search_unavailable"), path
        assert headers["Retry-After"] == str(RETRY_AFTER)
        assert "127.0.0.1" not in json.dumps(body)


def test_an_engine_that_does_not_answer_in_time_answers_503(
    api: ModuleType, http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an endpoint that accepts connections and never answers, and a 1 s timeout
    WHEN searching THEN 503 search_unavailable with Retry-After, within the timeout and its one retry."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        slow = _service(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=1)
        monkeypatch.setattr(api, "_search", lambda: slow)
        started = time.monotonic()

        status, body, headers = _get(http, "/search", q="surfing")

    assert (status, body["code"], headers["Retry-After"]) == (503, "search_unavailable", str(RETRY_AFTER))
    assert time.monotonic() - started < 5


def test_the_engine_refusing_our_request_is_an_internal_error_not_an_outage(
    http: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a search body the engine refuses as malformed (a bug of ours, simulated)
    WHEN searching THEN 500 internal_error, not 503 (retrying would not help)."""
    monkeypatch.setattr(search_module, "search_body", lambda *a, **k: {"query": {"no_such_query": {}}})

    status, body, headers = _get(http, "/search", q="surfing")

    assert (status, body["code"]) == (500, "internal_error")
    assert "Retry-After" not in headers
