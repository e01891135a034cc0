"""The feature flags document on AppConfig, as `reelstack flags` changes it: read what is deployed,
publish a new hosted version, deploy it (immediately: the stack's FeatureFlagsImmediate strategy), or
deploy an earlier version again (a rollback).

The same calls go to AWS (a deployed stack's outputs name the ids) or to the local cloud (which
answers the AppConfig API, and accepts names where AWS takes ids).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from reelstack.domain.release.flags import encode


@dataclass(frozen=True)
class FlagsLocation:
    application: str
    environment: str
    profile: str
    strategy: str


@dataclass(frozen=True)
class Deployed:
    version: int
    document: dict[str, Any]


class FlagDeployer:
    def __init__(
        self, where: FlagsLocation, client: Any, *, poll_s: float = 1.0, timeout_s: float = 120.0
    ) -> None:
        self.where = where
        self.client = client
        self.poll_s = poll_s
        self.timeout_s = timeout_s

    def deployments(self) -> list[dict[str, Any]]:
        """The environment's deployments of the flags profile, newest first."""
        items = self.client.list_deployments(
            ApplicationId=self.where.application, EnvironmentId=self.where.environment
        )["Items"]
        profile = self._profile_id()
        return [item for item in items if item.get("ConfigurationProfileId") in (profile, self.where.profile)]

    def current(self) -> Deployed:
        """The version the environment serves now, and its document."""
        done = [item for item in self.deployments() if item.get("State") == "COMPLETE"]
        if not done:
            raise LookupError("the feature flags have never been deployed to this environment")
        version = int(done[0]["ConfigurationVersion"])
        return Deployed(version, self.document(version))

    def document(self, version: int) -> dict[str, Any]:
        answer = self.client.get_hosted_configuration_version(
            ApplicationId=self.where.application,
            ConfigurationProfileId=self.where.profile,
            VersionNumber=version,
        )
        document = json.loads(answer["Content"].read())
        if not isinstance(document, dict):
            raise ValueError(f"version {version} of the flags is not a JSON object")
        return document

    def publish(self, document: dict[str, Any], description: str) -> int:
        """A new hosted version of `document`, deployed and complete: its version number."""
        created = self.client.create_hosted_configuration_version(
            ApplicationId=self.where.application,
            ConfigurationProfileId=self.where.profile,
            Content=encode(document),
            ContentType="application/json",
            Description=description[:1024],
        )
        version = int(created["VersionNumber"])
        self.deploy(version, description)
        return version

    def deploy(self, version: int, description: str) -> None:
        started = self.client.start_deployment(
            ApplicationId=self.where.application,
            EnvironmentId=self.where.environment,
            DeploymentStrategyId=self.where.strategy,
            ConfigurationProfileId=self.where.profile,
            ConfigurationVersion=str(version),
            Description=description[:1024],
        )
        number = started["DeploymentNumber"]
        deadline = time.monotonic() + self.timeout_s
        while started.get("State") != "COMPLETE":
            if started.get("State") == "ROLLED_BACK":
                raise RuntimeError(f"deployment {number} of version {version} was rolled back")
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {number} of version {version} did not complete")
            time.sleep(self.poll_s)
            started = self.client.get_deployment(
                ApplicationId=self.where.application,
                EnvironmentId=self.where.environment,
                DeploymentNumber=number,
            )

    def rollback(self) -> int:
        """Deploy again the version that was live before the current one: its number."""
        versions = [
            int(item["ConfigurationVersion"])
            for item in self.deployments()
            if item.get("State") == "COMPLETE"
        ]
        current = versions[0] if versions else None
        earlier = next((version for version in versions if version != current), None)
        if earlier is None:
            raise LookupError("no earlier version of the flags to go back to")
        self.deploy(earlier, f"rollback from version {current} to {earlier}")
        return earlier

    def _profile_id(self) -> str:
        for item in self.client.list_configuration_profiles(ApplicationId=self.where.application)["Items"]:
            if self.where.profile in (item["Id"], item["Name"]):
                return str(item["Id"])
        return self.where.profile
