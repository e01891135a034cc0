"""The web app's files and configuration on the API's port, beside the API's own routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.api_routes import ApiSettings, Route, RouteTable
from reelstack_tools.localcloud.api_server import ApiGateway
from reelstack_tools.localcloud.pool import InvokeResult
from reelstack_tools.localcloud.web_site import WebSite, local_config
from tests.unit.localcloud.stub_runtime import StubRuntime

API = ApiSettings(logical_id="Api", api_id="abc123")
ROUTES = RouteTable([Route("/feed", "GET", "ApiFunction", "Api")])


def call(app: Any, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    environ = EnvironBuilder(path=path, method=method).get_environ()
    answer: dict[str, Any] = {}

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=line, headers=dict(headers))

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


def gateway(site: WebSite) -> ApiGateway:
    feed = StubRuntime(InvokeResult(b'{"statusCode": 200, "body": "{\\"items\\": []}"}', "r"))
    return ApiGateway(ROUTES, {"Api": API}, feed, None, [site])  # type: ignore[arg-type]


def test_the_app_is_served_at_the_root_and_the_api_keeps_its_routes(tmp_path: Path) -> None:
    # GIVEN the gateway with the built app mounted beside a /feed route
    app = gateway(WebSite(dist=built(tmp_path)))
    # WHEN the page, an asset, the configuration and the API are asked for
    page = call(app, "/")
    asset = call(app, "/assets/index-abc123.js")
    config = call(app, "/config.json")
    feed = call(app, "/feed")
    # THEN the page is never cached, the hashed asset for a year, and the API answers as before
    assert (page[0], page[1]["Cache-Control"], page[2]) == (
        "200 OK",
        "no-cache",
        b"<!doctype html><title>app</title>",
    )
    assert page[1]["Content-Type"] == "text/html; charset=utf-8"
    assert asset[1]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset[1]["Content-Type"]
    assert json.loads(config[2]) == local_config()
    assert (feed[0], json.loads(feed[2])) == ("200 OK", {"items": []})


def test_only_the_apps_own_paths_are_its_own(tmp_path: Path) -> None:
    # GIVEN the site over a build
    site = WebSite(dist=built(tmp_path))
    # THEN a top-level file of the build is the site's, a missing one or any other path is the API's
    assert site.matches(EnvironBuilder(path="/favicon.svg").get_environ())
    assert not site.matches(EnvironBuilder(path="/robots.txt").get_environ())
    assert not site.matches(EnvironBuilder(path="/feed").get_environ())
    assert not site.matches(EnvironBuilder(path="/", method="POST").get_environ())
    # AND no path climbs out of the build
    status, _, _ = call(site, "/assets/..%2F..%2Fetc%2Fpasswd")
    assert status == "404 Not Found"


def test_a_missing_build_says_how_to_make_it(tmp_path: Path) -> None:
    # GIVEN no build at all
    status, headers, body = call(WebSite(dist=tmp_path / "dist"), "/")
    # THEN the page says to run `make web`
    assert status == "503 Service Unavailable"
    assert b"make web" in body
    assert headers["Content-Type"].startswith("text/html")


def test_head_answers_the_length_without_the_body(tmp_path: Path) -> None:
    status, headers, body = call(WebSite(dist=built(tmp_path)), "/index.html", method="HEAD")
    assert (status, headers["Content-Length"], body) == ("200 OK", "33", b"")


def test_a_browser_asking_for_favicon_ico_gets_the_apps_icon(tmp_path: Path) -> None:
    # GIVEN the gateway with the built app (its icon is favicon.svg)
    app = gateway(WebSite(dist=built(tmp_path)))
    # WHEN a browser asks for /favicon.ico (on a page that names no icon)
    status, headers, body = call(app, "/favicon.ico")
    # THEN the build's SVG icon answers, not the API's 404
    assert (status, headers["Content-Type"], body) == ("200 OK", "image/svg+xml", b"<svg/>")
    # AND without a build it stays the API's path
    assert not WebSite(dist=tmp_path / "missing").matches(EnvironBuilder(path="/favicon.ico").get_environ())
