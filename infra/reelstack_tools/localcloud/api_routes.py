"""The REST API's routes, read from the template's `Type: Api` events, and how a request finds one.

Path templates use `{name}` for one segment and `{name+}` for the rest of the path. Among the routes
whose path matches, the most specific wins (a literal segment beats `{param}`, which beats
`{proxy+}`); a path that matches only routes of other methods is `405`, one that matches none `404`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from reelstack_tools.localcloud.naming import rest_api_id
from reelstack_tools.localcloud.stack import Stack

IMPLICIT_API = "ServerlessRestApi"


@dataclass(frozen=True)
class Cors:
    allow_origin: str = "*"
    allow_methods: str | None = None
    allow_headers: str | None = None
    max_age: str | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class ApiSettings:
    logical_id: str
    api_id: str
    stage: str = "Prod"
    stage_variables: dict[str, str] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    cors: Cors | None = None
    default_authorizer: str | None = None
    cognito_authorizers: dict[str, str] = field(default_factory=dict)  # name -> identity header
    other_authorizers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    path: str
    method: str  # upper case, or ANY
    function: str
    api: str  # logical id of the API
    authorizer: str | None = None  # None: the API's default; "NONE": open

    @property
    def segments(self) -> tuple[str, ...]:
        return _segments(self.path)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class MethodNotAllowed(LookupError):
    def __init__(self, allowed: set[str]) -> None:
        super().__init__(", ".join(sorted(allowed)))
        self.allowed = allowed


def _segments(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.strip("/").split("/") if part)


def _match(template: tuple[str, ...], path: tuple[str, ...]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """Specificity score and path parameters if the path fits the template."""
    parameters: dict[str, str] = {}
    score: list[int] = []
    for index, part in enumerate(template):
        if part.startswith("{") and part.endswith("+}"):
            rest = path[index:]
            if not rest or index != len(template) - 1:
                return None
            parameters[part[1:-2]] = "/".join(rest)
            score.append(0)
            return tuple(score), parameters
        if index >= len(path):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = path[index]
            score.append(1)
        elif part == path[index]:
            score.append(2)
        else:
            return None
    if len(template) != len(path):
        return None
    return tuple(score), parameters


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for this request; None if no route's path fits; MethodNotAllowed if only others' do."""
        segments = tuple(unquote(part) for part in _segments(path))
        candidates = []
        for route in self.routes:
            found = _match(route.segments, segments)
            if found is not None:
                candidates.append((found[0], route, found[1]))
        if not candidates:
            return None
        candidates.sort(key=lambda item: item[0], reverse=True)
        for _, route, parameters in candidates:
            if route.method in (method.upper(), "ANY"):
                return RouteMatch(route, parameters)
        raise MethodNotAllowed({route.method for _, route, _ in candidates})

    def routes_for(self, path: str) -> list[Route]:
        segments = tuple(unquote(part) for part in _segments(path))
        return [route for route in self.routes if _match(route.segments, segments) is not None]

    def methods_for(self, path: str) -> set[str]:
        return {route.method for route in self.routes_for(path)}


def _unquote_sam(value: Any) -> str:
    """SAM's CORS values are quoted strings ("'*'")."""
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _cors(value: Any) -> Cors | None:
    if not value:
        return None
    if isinstance(value, str):
        return Cors(allow_origin=_unquote_sam(value))
    return Cors(
        allow_origin=_unquote_sam(value.get("AllowOrigin", "'*'")),
        allow_methods=_unquote_sam(value["AllowMethods"]) if "AllowMethods" in value else None,
        allow_headers=_unquote_sam(value["AllowHeaders"]) if "AllowHeaders" in value else None,
        max_age=_unquote_sam(value["MaxAge"]) if "MaxAge" in value else None,
        allow_credentials=bool(value.get("AllowCredentials", False)),
    )


def _settings(logical_id: str, api_id: str, props: dict[str, Any]) -> ApiSettings:
    auth = props.get("Auth") or {}
    cognito: dict[str, str] = {}
    others: list[str] = []
    for name, authorizer in (auth.get("Authorizers") or {}).items():
        if "UserPoolArn" in authorizer:
            cognito[name] = str((authorizer.get("Identity") or {}).get("Header", "Authorization"))
        else:
            others.append(name)
    return ApiSettings(
        logical_id=logical_id,
        api_id=api_id,
        stage=str(props.get("StageName", "Prod")),
        stage_variables={str(key): str(value) for key, value in (props.get("Variables") or {}).items()},
        binary_media_types=tuple(
            str(item).replace("~1", "/") for item in props.get("BinaryMediaTypes") or []
        ),
        cors=_cors(props.get("Cors")),
        default_authorizer=auth.get("DefaultAuthorizer"),
        cognito_authorizers=cognito,
        other_authorizers=tuple(others),
    )


def routes_from_stack(stack: Stack) -> tuple[list[Route], dict[str, ApiSettings]]:
    """Routes of every `Type: Api` event, and the settings of each API they belong to."""
    apis = {
        resource.logical_id: _settings(
            resource.logical_id, stack.ref(resource.logical_id), stack.properties(resource.logical_id)
        )
        for resource in stack.resources("AWS::Serverless::Api")
    }
    by_id = {settings.api_id: logical_id for logical_id, settings in apis.items()}
    routes: list[Route] = []
    for event in stack.events("Api"):
        props = event.properties
        api = by_id.get(str(props.get("RestApiId")), IMPLICIT_API) if props.get("RestApiId") else IMPLICIT_API
        if api == IMPLICIT_API and api not in apis:
            apis[api] = ApiSettings(logical_id=api, api_id=rest_api_id(api))
        method = str(props.get("Method", "ANY")).upper()
        authorizer = (props.get("Auth") or {}).get("Authorizer")
        routes.append(Route(str(props["Path"]), method, event.owner_name, api, authorizer))
    return routes, apis
