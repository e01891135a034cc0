"""The API's OpenAPI document (reelstack.api_contract) against the Chalice app's route table: the same
operations both ways, the same public routes, a 429 wherever a token bucket is taken, every error in
the `{code, message}` shape, and a valid OpenAPI 3 document served at GET /openapi.json."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from reelstack.api_contract import PUBLIC_ROUTES, openapi_document
from tests.support.modules import load_module

API_APP = Path(__file__).resolve().parents[3] / "functions" / "api" / "app.py"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Routes whose service takes the caller's token (like, play, follow, comment, share), not `endpoint`.
LIMITED_IN_SERVICES = {
    ("/videos/{video_id}/like", "POST"),
    ("/videos/{video_id}/like", "DELETE"),
    ("/videos/{video_id}/plays", "POST"),
    ("/users/{user_id}/follow", "POST"),
    ("/users/{user_id}/follow", "DELETE"),
    ("/videos/{video_id}/comments", "POST"),
    ("/videos/{video_id}/share", "POST"),
}


@pytest.fixture(scope="module")
def api() -> ModuleType:
    return load_module("reelstack_api_app_under_contract_test", API_APP)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method.upper()): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _views(api: ModuleType) -> dict[tuple[str, str], Any]:
    return {
        (path, method.upper()): entry.view_function
        for path, methods in api.app.routes.items()
        for method, entry in methods.items()
    }


def test_the_document_describes_every_route_the_app_serves_and_no_other(
    api: ModuleType, document: dict[str, Any]
) -> None:
    """GIVEN the document and Chalice's route table WHEN both are read as (path, METHOD) pairs
    THEN they are equal both ways."""
    documented, served = set(_operations(document)), set(_views(api))

    assert sorted(served - documented) == [], "routes the app serves but the document does not describe"
    assert sorted(documented - served) == [], "operations the document describes but the app does not serve"


def test_the_document_is_a_valid_openapi_3_document(document: dict[str, Any]) -> None:
    """GIVEN the document WHEN checked against the OpenAPI 3.0 specification THEN it is valid."""
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_public_operations_are_the_routes_the_app_leaves_unauthenticated(
    api: ModuleType, document: dict[str, Any]
) -> None:
    """GIVEN each route's `endpoint(public=...)` WHEN compared with the operations that waive the
    bearer (`security: []`) THEN they are the same routes, none of them answers 401, and every other
    operation answers 401."""
    public_views = {route for route, view in _views(api).items() if view.public}
    operations = _operations(document)
    waived = {route for route, operation in operations.items() if operation.get("security") == []}

    assert public_views == waived == PUBLIC_ROUTES
    for route, operation in operations.items():
        assert ("401" in operation["responses"]) == (route not in PUBLIC_ROUTES), route


def test_every_route_that_takes_a_token_bucket_documents_429_with_retry_after(
    api: ModuleType, document: dict[str, Any]
) -> None:
    """GIVEN the routes whose endpoint or service takes a token from the caller's bucket
    WHEN their operations are read THEN exactly those document 429, with a Retry-After header."""
    limited = {route for route, view in _views(api).items() if view.rate_bucket} | LIMITED_IN_SERVICES
    operations = _operations(document)
    documented = {route for route, operation in operations.items() if "429" in operation["responses"]}

    assert documented == limited
    for route in limited:
        assert operations[route]["responses"]["429"]["headers"]["Retry-After"]["required"] is True


def test_every_route_behind_a_feature_flag_documents_404(api: ModuleType, document: dict[str, Any]) -> None:
    """GIVEN the routes whose endpoint names a feature flag WHEN their operations are read THEN each
    documents the 404 (`feature_disabled`) a caller outside the rollout gets."""
    flagged = {route for route, view in _views(api).items() if view.feature}
    operations = _operations(document)

    assert flagged, "no route is behind a feature flag"
    for route in flagged:
        assert "404" in operations[route]["responses"], route


def test_every_error_answer_is_the_error_shape(document: dict[str, Any]) -> None:
    """GIVEN every operation WHEN its 4xx and 5xx answers are read THEN each is JSON `Error`, which
    requires `code` and `message`; every operation documents 413 (the body cap) and 500."""
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    for route, operation in _operations(document).items():
        errors = {status: answer for status, answer in operation["responses"].items() if int(status) >= 400}
        assert {"413", "500"} <= set(errors), route
        for status, answer in errors.items():
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (route, status)


def test_every_path_parameter_is_declared_once_per_operation(document: dict[str, Any]) -> None:
    """GIVEN each operation WHEN its path template's `{names}` are compared with its path parameters
    THEN they are the same names (no template name left undeclared, none declared twice)."""
    for (path, method), operation in _operations(document).items():
        in_path = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        declared = [param["name"] for param in operation["parameters"] if param["in"] == "path"]
        assert sorted(declared) == sorted(in_path), (path, method)


def test_get_openapi_json_answers_the_document_without_a_token(api: ModuleType) -> None:
    """GIVEN the app WHEN GET /openapi.json is asked without a token THEN 200 with the document."""
    with Client(api.app) as client:
        answer = client.http.get("/openapi.json")

    assert answer.status_code == 200
    assert json.loads(answer.body) == openapi_document()
