"""How a request finds its route among the template's Api events."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack_tools.localcloud.api_routes import MethodNotAllowed, Route, RouteTable, routes_from_stack
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template

TABLE = RouteTable(
    [
        Route("/uploads", "POST", "Api", "Api"),
        Route("/uploads/{upload_id}", "GET", "Api", "Api"),
        Route("/uploads/{upload_id}", "DELETE", "Api", "Api"),
        Route("/uploads/{upload_id}/complete", "POST", "Api", "Api"),
        Route("/uploads/latest", "GET", "Latest", "Api"),
        Route("/files/{proxy+}", "ANY", "Files", "Api"),
        Route("/", "GET", "Root", "Api"),
    ]
)


def test_literal_segments_beat_parameters() -> None:
    match = TABLE.match("GET", "/uploads/latest")
    assert match is not None
    assert (match.route.function, match.path_parameters) == ("Latest", {})
    match = TABLE.match("GET", "/uploads/u-1")
    assert match is not None
    assert (match.route.path, match.path_parameters) == ("/uploads/{upload_id}", {"upload_id": "u-1"})


def test_greedy_parameters_take_the_rest_of_the_path() -> None:
    match = TABLE.match("PATCH", "/files/a/b%20c.txt")
    assert match is not None
    assert (match.route.function, match.path_parameters) == ("Files", {"proxy": "a/b c.txt"})
    assert TABLE.match("GET", "/files") is None


def test_trailing_slashes_and_the_root() -> None:
    match = TABLE.match("POST", "/uploads/u1/complete/")
    assert match is not None and match.route.function == "Api"
    root = TABLE.match("GET", "/")
    assert root is not None and root.route.function == "Root"


def test_unknown_paths_and_wrong_methods() -> None:
    assert TABLE.match("GET", "/nowhere") is None
    with pytest.raises(MethodNotAllowed) as raised:
        TABLE.match("PUT", "/uploads/u1")
    assert raised.value.allowed == {"GET", "DELETE"}


def test_routes_come_from_the_template(tmp_path: Path) -> None:
    # GIVEN one function with an event on an explicit Api and one on the implicit API
    (tmp_path / "template.yaml").write_text(
        """
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1, Cors: "'*'", BinaryMediaTypes: [image~1png]}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.app
      CodeUri: .
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/items/{id}", Method: get}}
        Any: {Type: Api, Properties: {Path: /legacy, Method: any}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
"""
    )
    stack = Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))
    routes, apis = routes_from_stack(stack)
    assert [(route.method, route.path, route.api) for route in routes] == [
        ("GET", "/items/{id}", "Api"),
        ("ANY", "/legacy", "ServerlessRestApi"),
    ]
    assert apis["Api"].stage == "v1"
    assert apis["Api"].binary_media_types == ("image/png",)
    assert apis["Api"].cors is not None and apis["Api"].cors.allow_origin == "*"
    assert apis["ServerlessRestApi"].stage == "Prod"
