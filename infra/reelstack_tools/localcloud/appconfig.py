"""AWS AppConfig on the AWS endpoint: the control plane (applications, environments, configuration
profiles, hosted configuration versions, deployment strategies, deployments) and the data plane
(`appconfigdata`: configuration sessions and GetLatestConfiguration), which is what Powertools'
`AppConfigStore` reads feature flags through.

moto knows some of the control plane but neither environments nor deployments nor the data plane, so
the local cloud answers every request signed for `appconfig` (both planes sign with that name) itself,
in memory, fresh with every start like moto's state. Differences from AWS, on purpose:
- A deployment completes at once, whatever its strategy (as a 0-minute AllAtOnce strategy does): the
  gradual part of a rollout is the flags' own per-user percentage, not AppConfig's per-host spread.
- The data plane serves the latest completed deployment of the session's environment and profile; an
  unchanged configuration comes back empty (the client keeps the one it has), and each poll token is
  good for one call, as in AWS.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource
from reelstack_tools.localcloud.wsgi import (
    Environ,
    StartResponse,
    header,
    json_response,
    read_body,
    respond,
)

_SCOPE_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/(?P<service>[^/]+)/aws4_request")
_APPS = r"^/applications/(?P<app>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/configurationsessions/?$"), "start_session"),
    ("GET", re.compile(r"^/configuration/?$"), "latest_configuration"),
    ("POST", re.compile(r"^/applications/?$"), "create_application"),
    ("GET", re.compile(r"^/applications/?$"), "list_applications"),
    ("POST", re.compile(_APPS + r"/environments/?$"), "create_environment"),
    ("GET", re.compile(_APPS + r"/environments/?$"), "list_environments"),
    ("POST", re.compile(_APPS + r"/configurationprofiles/?$"), "create_profile"),
    ("GET", re.compile(_APPS + r"/configurationprofiles/?$"), "list_profiles"),
    (
        "POST",
        re.compile(_APPS + r"/configurationprofiles/(?P<profile>[^/]+)/hostedconfigurationversions/?$"),
        "create_version",
    ),
    (
        "GET",
        re.compile(_APPS + r"/configurationprofiles/(?P<profile>[^/]+)/hostedconfigurationversions/?$"),
        "list_versions",
    ),
    (
        "GET",
        re.compile(
            _APPS
            + r"/configurationprofiles/(?P<profile>[^/]+)/hostedconfigurationversions/(?P<number>\d+)/?$"
        ),
        "get_version",
    ),
    ("POST", re.compile(r"^/deploymentstrategies/?$"), "create_strategy"),
    ("POST", re.compile(_APPS + r"/environments/(?P<env>[^/]+)/deployments/?$"), "start_deployment"),
    ("GET", re.compile(_APPS + r"/environments/(?P<env>[^/]+)/deployments/?$"), "list_deployments"),
    (
        "GET",
        re.compile(_APPS + r"/environments/(?P<env>[^/]+)/deployments/(?P<number>\d+)/?$"),
        "get_deployment",
    ),
]
# AWS's predefined strategies, addressable by these ids without being created.
PREDEFINED_STRATEGIES = (
    "AppConfig.AllAtOnce",
    "AppConfig.Linear50PercentEvery30Seconds",
    "AppConfig.Canary10Percent20Minutes",
)


class AppConfigError(Exception):
    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def _new_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(7))


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class _Version:
    number: int
    content: bytes
    content_type: str
    description: str = ""
    label: str = ""


@dataclass
class _Profile:
    id: str
    name: str
    location_uri: str
    type: str
    versions: list[_Version] = field(default_factory=list)


@dataclass
class _Application:
    id: str
    name: str
    description: str = ""
    environments: dict[str, str] = field(default_factory=dict)  # id -> name
    profiles: dict[str, _Profile] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # environment id -> list


@dataclass
class _Session:
    app: str
    env: str
    profile: str
    served: int | None = None


class AppConfigState:
    """Applications, their environments, profiles, hosted versions and deployments; poll sessions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.applications: dict[str, _Application] = {}
        self.strategies: dict[str, str] = {name: name for name in PREDEFINED_STRATEGIES}  # id -> name
        self._sessions: dict[str, _Session] = {}

    # -- lookups (by id or by name, as the data plane's identifiers may be either) --------------------

    def app(self, identifier: str) -> _Application:
        for app in self.applications.values():
            if identifier in (app.id, app.name):
                return app
        raise AppConfigError(404, "ResourceNotFoundException", f"Application {identifier} not found")

    @staticmethod
    def env(app: _Application, identifier: str) -> str:
        for env_id, name in app.environments.items():
            if identifier in (env_id, name):
                return env_id
        raise AppConfigError(404, "ResourceNotFoundException", f"Environment {identifier} not found")

    @staticmethod
    def profile(app: _Application, identifier: str) -> _Profile:
        for profile in app.profiles.values():
            if identifier in (profile.id, profile.name):
                return profile
        raise AppConfigError(
            404, "ResourceNotFoundException", f"Configuration profile {identifier} not found"
        )

    # -- control plane --------------------------------------------------------------------------------

    def create_application(self, name: str, description: str = "") -> _Application:
        with self._lock:
            app = _Application(_new_id(), name, description)
            self.applications[app.id] = app
            return app

    def create_environment(self, app_id: str, name: str) -> str:
        with self._lock:
            app = self.app(app_id)
            env_id = _new_id()
            app.environments[env_id] = name
            app.deployments[env_id] = []
            return env_id

    def create_profile(self, app_id: str, name: str, location_uri: str, kind: str) -> _Profile:
        with self._lock:
            app = self.app(app_id)
            profile = _Profile(_new_id(), name, location_uri or "hosted", kind or "AWS.Freeform")
            app.profiles[profile.id] = profile
            return profile

    def create_version(
        self,
        app_id: str,
        profile_id: str,
        content: bytes,
        content_type: str,
        description: str,
        latest: int | None,
    ) -> _Version:
        with self._lock:
            profile = self.profile(self.app(app_id), profile_id)
            current = profile.versions[-1].number if profile.versions else 0
            if latest is not None and latest != current:
                raise AppConfigError(409, "ConflictException", f"latest version is {current}, not {latest}")
            version = _Version(current + 1, content, content_type or "application/octet-stream", description)
            profile.versions.append(version)
            return version

    def version(self, app_id: str, profile_id: str, number: int) -> _Version:
        profile = self.profile(self.app(app_id), profile_id)
        for version in profile.versions:
            if version.number == number:
                return version
        raise AppConfigError(404, "ResourceNotFoundException", f"Version {number} not found")

    def start_deployment(self, app_id: str, env_id: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            app = self.app(app_id)
            env = self.env(app, env_id)
            profile = self.profile(app, str(request.get("ConfigurationProfileId", "")))
            wanted = str(request.get("DeploymentStrategyId", ""))
            strategy = next((i for i, name in self.strategies.items() if wanted in (i, name)), None)
            if strategy is None:
                raise AppConfigError(
                    404, "ResourceNotFoundException", f"Deployment strategy {wanted} not found"
                )
            number = int(str(request.get("ConfigurationVersion", "0")) or 0)
            if not any(v.number == number for v in profile.versions):
                raise AppConfigError(404, "ResourceNotFoundException", f"Version {number} not found")
            history = app.deployments[env]
            deployment = {
                "ApplicationId": app.id,
                "EnvironmentId": env,
                "DeploymentStrategyId": strategy,
                "ConfigurationProfileId": profile.id,
                "DeploymentNumber": len(history) + 1,
                "ConfigurationName": profile.name,
                "ConfigurationLocationUri": profile.location_uri,
                "ConfigurationVersion": str(number),
                "Description": str(request.get("Description", "")),
                "State": "COMPLETE",
                "PercentageComplete": 100.0,
                "StartedAt": _now(),
                "CompletedAt": _now(),
            }
            history.append(deployment)
            return deployment

    def deployments(self, app_id: str, env_id: str) -> list[dict[str, Any]]:
        app = self.app(app_id)
        return list(app.deployments[self.env(app, env_id)])

    # -- data plane -----------------------------------------------------------------------------------

    def start_session(self, app_id: str, env_id: str, profile_id: str) -> str:
        with self._lock:
            app = self.app(app_id)
            session = _Session(app.id, self.env(app, env_id), self.profile(app, profile_id).id)
            token = secrets.token_urlsafe(24)
            self._sessions[token] = session
            return token

    def latest(self, token: str) -> tuple[str, _Version | None]:
        """(the next token, the deployed version if it changed since this session's last answer)."""
        with self._lock:
            session = self._sessions.pop(token, None)
            if session is None:
                raise AppConfigError(400, "BadRequestException", "the configuration token is invalid or used")
            app = self.applications[session.app]
            deployed = [
                d for d in app.deployments[session.env] if d["ConfigurationProfileId"] == session.profile
            ]
            version = None
            if deployed:
                number = int(deployed[-1]["ConfigurationVersion"])
                if number != session.served:
                    version = next(v for v in app.profiles[session.profile].versions if v.number == number)
                    session.served = number
            next_token = secrets.token_urlsafe(24)
            self._sessions[next_token] = session
            return next_token, version


class AppConfigApi:
    """Every request signed for `appconfig` (the control plane and appconfigdata)."""

    def __init__(self, state: AppConfigState) -> None:
        self.state = state

    @staticmethod
    def matches(environ: Environ) -> bool:
        scope = _SCOPE_SERVICE.search(header(environ, "Authorization") or "")
        return scope is not None and scope.group("service") == "appconfig"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        path = str(environ.get("PATH_INFO") or "/")
        for route_method, pattern, operation in _ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                try:
                    return getattr(self, operation)(environ, start_response, **match.groupdict())
                except AppConfigError as error:
                    return json_response(
                        start_response,
                        error.status,
                        {"Message": error.message},
                        [("x-amzn-ErrorType", error.kind)],
                    )
                except (ValueError, KeyError) as error:
                    return json_response(
                        start_response,
                        400,
                        {"Message": str(error)},
                        [("x-amzn-ErrorType", "BadRequestException")],
                    )
        return json_response(
            start_response,
            404,
            {"Message": f"{method} {path}"},
            [("x-amzn-ErrorType", "ResourceNotFoundException")],
        )

    @staticmethod
    def _json(environ: Environ) -> dict[str, Any]:
        body = read_body(environ)
        document = json.loads(body) if body else {}
        if not isinstance(document, dict):
            raise ValueError("the request body is not a JSON object")
        return document

    # -- data plane -----------------------------------------------------------------------------------

    def start_session(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = self._json(environ)
        token = self.state.start_session(
            str(request["ApplicationIdentifier"]),
            str(request["EnvironmentIdentifier"]),
            str(request["ConfigurationProfileIdentifier"]),
        )
        return json_response(start_response, 201, {"InitialConfigurationToken": token})

    def latest_configuration(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        query = parse_qs(str(environ.get("QUERY_STRING") or ""))
        token = (query.get("configuration_token") or [""])[0]
        next_token, version = self.state.latest(token)
        headers = [("Next-Poll-Configuration-Token", next_token), ("Next-Poll-Interval-In-Seconds", "15")]
        if version is None:
            return respond(start_response, 200, b"", headers)
        headers += [("Content-Type", version.content_type), ("Version-Label", str(version.number))]
        return respond(start_response, 200, version.content, headers)

    # -- control plane --------------------------------------------------------------------------------

    def create_application(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = self._json(environ)
        app = self.state.create_application(str(request["Name"]), str(request.get("Description", "")))
        return json_response(
            start_response, 201, {"Id": app.id, "Name": app.name, "Description": app.description}
        )

    def list_applications(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        items = [{"Id": a.id, "Name": a.name} for a in self.state.applications.values()]
        return json_response(start_response, 200, {"Items": items})

    def create_environment(
        self, environ: Environ, start_response: StartResponse, app: str
    ) -> Iterable[bytes]:
        request = self._json(environ)
        env_id = self.state.create_environment(app, str(request["Name"]))
        owner = self.state.app(app)
        document = {
            "ApplicationId": owner.id,
            "Id": env_id,
            "Name": request["Name"],
            "State": "READY_FOR_DEPLOYMENT",
        }
        return json_response(start_response, 201, document)

    def list_environments(self, environ: Environ, start_response: StartResponse, app: str) -> Iterable[bytes]:
        owner = self.state.app(app)
        items = [
            {"ApplicationId": owner.id, "Id": env_id, "Name": name, "State": "READY_FOR_DEPLOYMENT"}
            for env_id, name in owner.environments.items()
        ]
        return json_response(start_response, 200, {"Items": items})

    @staticmethod
    def _profile_document(app_id: str, profile: _Profile) -> dict[str, Any]:
        return {
            "ApplicationId": app_id,
            "Id": profile.id,
            "Name": profile.name,
            "LocationUri": profile.location_uri,
            "Type": profile.type,
        }

    def create_profile(self, environ: Environ, start_response: StartResponse, app: str) -> Iterable[bytes]:
        request = self._json(environ)
        profile = self.state.create_profile(
            app, str(request["Name"]), str(request.get("LocationUri", "hosted")), str(request.get("Type", ""))
        )
        return json_response(start_response, 201, self._profile_document(self.state.app(app).id, profile))

    def list_profiles(self, environ: Environ, start_response: StartResponse, app: str) -> Iterable[bytes]:
        owner = self.state.app(app)
        items = [self._profile_document(owner.id, profile) for profile in owner.profiles.values()]
        return json_response(start_response, 200, {"Items": items})

    def _version_answer(
        self, start_response: StartResponse, status: int, app: str, profile: str, version: _Version
    ) -> Iterable[bytes]:
        owner = self.state.app(app)
        headers = [
            ("Application-Id", owner.id),
            ("Configuration-Profile-Id", self.state.profile(owner, profile).id),
            ("Version-Number", str(version.number)),
            ("Content-Type", version.content_type),
        ]
        if version.description:
            headers.append(("Description", version.description))
        return respond(start_response, status, version.content, headers)

    def create_version(
        self, environ: Environ, start_response: StartResponse, app: str, profile: str
    ) -> Iterable[bytes]:
        latest = header(environ, "Latest-Version-Number")
        version = self.state.create_version(
            app,
            profile,
            read_body(environ),
            str(environ.get("CONTENT_TYPE") or ""),
            header(environ, "Description") or "",
            int(latest) if latest else None,
        )
        return self._version_answer(start_response, 201, app, profile, version)

    def get_version(
        self, environ: Environ, start_response: StartResponse, app: str, profile: str, number: str
    ) -> Iterable[bytes]:
        version = self.state.version(app, profile, int(number))
        return self._version_answer(start_response, 200, app, profile, version)

    def list_versions(
        self, environ: Environ, start_response: StartResponse, app: str, profile: str
    ) -> Iterable[bytes]:
        owner = self.state.app(app)
        found = self.state.profile(owner, profile)
        items = [
            {
                "ApplicationId": owner.id,
                "ConfigurationProfileId": found.id,
                "VersionNumber": version.number,
                "Description": version.description,
                "ContentType": version.content_type,
            }
            for version in reversed(found.versions)
        ]
        return json_response(start_response, 200, {"Items": items})

    def create_strategy(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = self._json(environ)
        strategy_id = _new_id()
        self.state.strategies[strategy_id] = str(request["Name"])
        return json_response(start_response, 201, {**request, "Id": strategy_id})

    def start_deployment(
        self, environ: Environ, start_response: StartResponse, app: str, env: str
    ) -> Iterable[bytes]:
        return json_response(start_response, 201, self.state.start_deployment(app, env, self._json(environ)))

    def list_deployments(
        self, environ: Environ, start_response: StartResponse, app: str, env: str
    ) -> Iterable[bytes]:
        items = list(reversed(self.state.deployments(app, env)))
        return json_response(start_response, 200, {"Items": items})

    def get_deployment(
        self, environ: Environ, start_response: StartResponse, app: str, env: str, number: str
    ) -> Iterable[bytes]:
        for deployment in self.state.deployments(app, env):
            if deployment["DeploymentNumber"] == int(number):
                return json_response(start_response, 200, deployment)
        raise AppConfigError(404, "ResourceNotFoundException", f"Deployment {number} not found")


# -- provisioning the template's AppConfig resources (through the API above) ----------------------------


def create_application(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    created = clients.get("appconfig").create_application(Name=str(props["Name"]))
    stack.record(resource.logical_id, Ref=created["Id"], ApplicationId=created["Id"])


def create_environment(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    created = clients.get("appconfig").create_environment(
        ApplicationId=str(props["ApplicationId"]), Name=str(props["Name"])
    )
    stack.record(resource.logical_id, Ref=created["Id"], EnvironmentId=created["Id"])


def create_profile(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    created = clients.get("appconfig").create_configuration_profile(
        ApplicationId=str(props["ApplicationId"]),
        Name=str(props["Name"]),
        LocationUri=str(props.get("LocationUri", "hosted")),
        Type=str(props.get("Type", "AWS.Freeform")),
    )
    stack.record(resource.logical_id, Ref=created["Id"], ConfigurationProfileId=created["Id"])


def create_hosted_version(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    created = clients.get("appconfig").create_hosted_configuration_version(
        ApplicationId=str(props["ApplicationId"]),
        ConfigurationProfileId=str(props["ConfigurationProfileId"]),
        Content=str(props["Content"]).encode(),
        ContentType=str(props.get("ContentType", "application/json")),
        Description=str(props.get("Description", "")),
    )
    stack.record(
        resource.logical_id, Ref=str(created["VersionNumber"]), VersionNumber=created["VersionNumber"]
    )


def create_strategy(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    created = clients.get("appconfig").create_deployment_strategy(
        Name=str(props["Name"]),
        DeploymentDurationInMinutes=int(props.get("DeploymentDurationInMinutes", 0)),
        GrowthFactor=float(props.get("GrowthFactor", 100)),
        FinalBakeTimeInMinutes=int(props.get("FinalBakeTimeInMinutes", 0)),
        ReplicateTo=str(props.get("ReplicateTo", "NONE")),
    )
    stack.record(resource.logical_id, Ref=created["Id"], Id=created["Id"])


def start_deployment(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    clients.get("appconfig").start_deployment(
        ApplicationId=str(props["ApplicationId"]),
        EnvironmentId=str(props["EnvironmentId"]),
        DeploymentStrategyId=str(props["DeploymentStrategyId"]),
        ConfigurationProfileId=str(props["ConfigurationProfileId"]),
        ConfigurationVersion=str(props["ConfigurationVersion"]),
        Description=str(props.get("Description", "")),
    )


PROVISIONERS = {
    "AWS::AppConfig::Application": create_application,
    "AWS::AppConfig::Environment": create_environment,
    "AWS::AppConfig::ConfigurationProfile": create_profile,
    "AWS::AppConfig::HostedConfigurationVersion": create_hosted_version,
    "AWS::AppConfig::DeploymentStrategy": create_strategy,
    "AWS::AppConfig::Deployment": start_deployment,
}
