"""The API's routes are declared twice: as Chalice routes in functions/api/app.py and as Api events in the
template (API Gateway only forwards the routes it knows). The two sets must be equal."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest
from template_support import REPO_ROOT

API_DIR = REPO_ROOT / "functions" / "api"
SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared" / "python"


def _import_api_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import functions/api/app.py under a unique module name (every function has an `app.py`)."""
    monkeypatch.syspath_prepend(str(SHARED_LAYER_DIR))
    monkeypatch.syspath_prepend(str(API_DIR))
    spec = importlib.util.spec_from_file_location("reelstack_api_function_app", API_DIR / "app.py")
    assert spec is not None and spec.loader is not None, f"cannot load {API_DIR / 'app.py'}"
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def _template_routes(template: dict[str, Any]) -> set[tuple[str, str]]:
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    return {
        (event["Properties"]["Path"], event["Properties"]["Method"].upper())
        for event in events.values()
        if event["Type"] == "Api"
    }


def test_template_api_events_equal_the_chalice_routes(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the Chalice app and the template's Api events of ApiFunction
    WHEN both are read as (path, METHOD) pairs
    THEN every route the app serves is declared in the template, and every declared route is served."""
    module = _import_api_module(monkeypatch)
    app_routes = {(path, method.upper()) for path, methods in module.app.routes.items() for method in methods}

    declared = _template_routes(template)

    assert sorted(app_routes - declared) == [], "routes the app serves but API Gateway would not forward"
    assert sorted(declared - app_routes) == [], "routes API Gateway forwards but the app does not serve"


def test_api_events_all_go_through_the_one_api(template: dict[str, Any]) -> None:
    """GIVEN the template's Api events WHEN their RestApiId is read THEN each names the `Api` resource."""
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]

    assert events
    for name, event in events.items():
        assert event["Type"] == "Api", name
        assert event["Properties"]["RestApiId"] == {"Ref": "Api"}, name


def _method_caps(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """API Gateway's method throttling: (path, METHOD) -> its entry ("/~1a~1b" is the path /a/b); the
    stage-wide entry ("/*", "*") is under ("*", "*")."""
    settings = template["Resources"]["Api"]["Properties"]["MethodSettings"]
    return {
        (entry["ResourcePath"][1:].replace("~1", "/") or "*", entry["HttpMethod"]): entry
        for entry in settings
    }


RATE_LIMITED_ROUTES = {
    "like": [("/videos/{video_id}/like", "POST"), ("/videos/{video_id}/like", "DELETE")],
    "play": [("/videos/{video_id}/plays", "POST")],
    "read": [
        ("/uploads/{upload_id}", "GET"),
        ("/videos", "GET"),
        ("/videos/{video_id}", "GET"),
        ("/moderation/queue", "GET"),
        ("/notifications", "GET"),
        ("/me/likes", "GET"),
        ("/search", "GET"),
        ("/search/suggest", "GET"),
        ("/videos/{video_id}/similar", "GET"),
        ("/feed", "GET"),
        ("/videos/{video_id}/not-interested", "POST"),
        ("/users/{user_id}", "GET"),
        ("/users/{user_id}/followers", "GET"),
        ("/users/{user_id}/following", "GET"),
        ("/feed/following", "GET"),
        ("/videos/{video_id}/comments", "GET"),
        ("/moderation/comments", "GET"),
        ("/ops/executions", "GET"),
        ("/ops/feed-health", "GET"),
    ],
    "playback": [("/videos/{video_id}/playback", "GET")],
    "upload": [("/uploads", "POST"), ("/me/avatar", "POST")],
    "presign": [("/uploads/{upload_id}/parts", "POST")],
    "complete": [("/uploads/{upload_id}/complete", "POST")],
    "archive": [("/videos/{video_id}/archive", "POST")],
    "follow": [("/users/{user_id}/follow", "POST"), ("/users/{user_id}/follow", "DELETE")],
    "comment": [("/videos/{video_id}/comments", "POST")],
    "share": [("/videos/{video_id}/share", "POST")],
}
TAKEN_IN_SERVICES = ("like", "play", "follow", "comment", "share")


def test_rate_limited_routes_have_api_gateway_caps_above_one_users_bucket(template: dict[str, Any]) -> None:
    """GIVEN the per-user token buckets (RateLimits's default) and the stage's method throttling
    WHEN each limited route is looked up THEN API Gateway caps it, and no lower than one user's bucket
    (else a single user would meet the stage cap before their own 429 with Retry-After)."""
    from reelstack.domain.engagement.rate_limits import parse_rate_limits

    buckets = parse_rate_limits(template["Parameters"]["RateLimits"]["Default"])
    caps = _method_caps(template)
    routes = _template_routes(template)

    assert set(buckets) == set(RATE_LIMITED_ROUTES)
    for route, endpoints in RATE_LIMITED_ROUTES.items():
        for endpoint in endpoints:
            assert endpoint in routes, endpoint
            cap = caps.get(endpoint, caps[("*", "*")])  # a route of its own, or the stage-wide cap
            assert cap["ThrottlingRateLimit"] >= buckets[route].rate_per_s, endpoint
            assert cap["ThrottlingBurstLimit"] >= buckets[route].burst, endpoint


def test_every_get_route_and_the_upload_and_archive_routes_take_their_bucket_in_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN the Chalice app's routes WHEN the bucket each route's `endpoint` takes is read THEN it is
    the one RATE_LIMITED_ROUTES names (like, play, follow, comment and share take theirs in their
    services), every GET route but the public ones (/health, the API's document, a share link) has one, and no route takes
    a bucket the table does not list."""
    module = _import_api_module(monkeypatch)
    taken = {
        (path, method.upper()): getattr(entry.view_function, "rate_bucket", None)
        for path, methods in module.app.routes.items()
        for method, entry in methods.items()
    }
    expected = {
        endpoint: route
        for route, endpoints in RATE_LIMITED_ROUTES.items()
        if route not in TAKEN_IN_SERVICES
        for endpoint in endpoints
    }

    assert {endpoint: bucket for endpoint, bucket in taken.items() if bucket} == expected
    unlimited_gets = [endpoint for endpoint, bucket in taken.items() if endpoint[1] == "GET" and not bucket]
    assert unlimited_gets == [("/health", "GET"), ("/openapi.json", "GET"), ("/s/{token}", "GET")]


def test_the_rate_limits_default_is_the_settings_default(template: dict[str, Any]) -> None:
    """GIVEN the template parameter and the settings model WHEN compared THEN they agree (the local
    cloud and a deployment start from the same limits as a bare `ApiSettings`)."""
    from reelstack.settings import RateLimitSettings

    assert template["Parameters"]["RateLimits"]["Default"] == RateLimitSettings().rate_limits
