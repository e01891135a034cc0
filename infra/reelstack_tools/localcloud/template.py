"""The SAM template as data: parameters, conditions, resources with SAM `Globals` merged in.

Nothing here talks to AWS: `Template.load` parses the file, `Template.order` sorts resources so that
each comes after what it refers to (the order CloudFormation would create them in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud import cfn_yaml
from reelstack_tools.localcloud.intrinsics import is_intrinsic, references

# SAM Globals section -> the resource type it applies to.
GLOBAL_SECTIONS: Mapping[str, str] = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
    "LayerVersion": "AWS::Serverless::LayerVersion",
}


class TemplateError(ValueError):
    """The template cannot run locally as written."""


@dataclass
class Resource:
    logical_id: str
    type: str
    properties: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    condition: str | None = None


@dataclass
class Template:
    path: Path
    document: dict[str, Any]
    resources: dict[str, Resource]
    parameters: dict[str, Any]

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.document.get("Conditions") or {})

    @property
    def mappings(self) -> dict[str, Any]:
        return dict(self.document.get("Mappings") or {})

    @classmethod
    def load(cls, path: Path, parameter_overrides: Mapping[str, str] | None = None) -> Template:
        path = path.resolve()
        if not path.is_file():
            raise TemplateError(f"template not found: {path}")
        return cls.from_document(cfn_yaml.load(path), path, parameter_overrides)

    @classmethod
    def from_document(
        cls, document: dict[str, Any], path: Path, parameter_overrides: Mapping[str, str] | None = None
    ) -> Template:
        raw_resources = document.get("Resources")
        if not isinstance(raw_resources, dict) or not raw_resources:
            raise TemplateError("the template declares no Resources")
        global_sections = document.get("Globals") or {}
        resources: dict[str, Resource] = {}
        for logical_id, body in raw_resources.items():
            if not isinstance(body, dict) or "Type" not in body:
                raise TemplateError(f"resource {logical_id} has no Type")
            resource_type = str(body["Type"])
            properties = dict(body.get("Properties") or {})
            for section, section_type in GLOBAL_SECTIONS.items():
                if section_type == resource_type and section in global_sections:
                    properties = merge_globals(global_sections[section], properties)
            depends_on = body.get("DependsOn") or []
            resources[logical_id] = Resource(
                logical_id=logical_id,
                type=resource_type,
                properties=properties,
                metadata=dict(body.get("Metadata") or {}),
                depends_on=[depends_on] if isinstance(depends_on, str) else list(depends_on),
                condition=body.get("Condition"),
            )
        return cls(
            path=path,
            document=document,
            resources=resources,
            parameters=_parameter_values(document.get("Parameters") or {}, parameter_overrides or {}),
        )

    def alias_owner(self, name: str) -> tuple[str, str] | None:
        """(function, alias) when `name` is SAM's `<Function>Alias<alias>` of a function with that
        `AutoPublishAlias` (Globals included), or SAM's `<Function>.Alias`; else None."""
        if name.endswith(".Alias"):
            owner = self.resources.get(name.removesuffix(".Alias"))
            alias = owner.properties.get("AutoPublishAlias") if owner else None
            return (owner.logical_id, str(alias)) if owner and isinstance(alias, str) else None
        for resource in self.of_type("AWS::Serverless::Function"):
            alias = resource.properties.get("AutoPublishAlias")
            if isinstance(alias, str) and name == f"{resource.logical_id}Alias{alias}":
                return resource.logical_id, alias
        return None

    def of_type(self, *types: str) -> list[Resource]:
        return [resource for resource in self.resources.values() if resource.type in types]

    def order(self, logical_ids: Iterable[str]) -> list[str]:
        """Topological order of the given resources (dependencies first; ties keep template order)."""
        wanted = [logical_id for logical_id in self.resources if logical_id in set(logical_ids)]
        edges = {
            logical_id: {
                dependency
                for dependency in map(
                    self._owner_of,
                    references(_created_with(self.resources[logical_id]))
                    | set(self.resources[logical_id].depends_on),
                )
                if dependency in wanted and dependency != logical_id
            }
            for logical_id in wanted
        }
        ordered: list[str] = []
        done: set[str] = set()
        while len(ordered) < len(wanted):
            ready = [
                logical_id for logical_id in wanted if logical_id not in done and edges[logical_id] <= done
            ]
            if not ready:
                cycle = sorted(set(wanted) - done)
                raise TemplateError(f"circular dependency between {', '.join(cycle)}")
            ordered.extend(ready)
            done.update(ready)
        return ordered

    def _owner_of(self, name: str) -> str:
        """The resource a reference depends on: a SAM alias (`<Function>Aliaslive`) depends on its function."""
        owner = self.alias_owner(name) if name not in self.resources else None
        return owner[0] if owner else name


# Properties SAM moves to resources of their own, which depend on the function rather than the other
# way round: a function's rollback alarms watch the function (CodeDeploy's deployment group names them).
_MOVED_BY_SAM: Mapping[str, tuple[str, ...]] = {"AWS::Serverless::Function": ("DeploymentPreference",)}


def _created_with(resource: Resource) -> dict[str, Any]:
    """The properties a resource needs when it is created (what SAM moves elsewhere left out)."""
    moved = _MOVED_BY_SAM.get(resource.type, ())
    return {key: value for key, value in resource.properties.items() if key not in moved}


def merge_globals(global_value: Any, resource_value: Any) -> Any:
    """SAM's Globals rule: maps merge (resource wins), lists concatenate, anything else the resource wins."""
    if isinstance(global_value, dict) and isinstance(resource_value, dict):
        if is_intrinsic(global_value) or is_intrinsic(resource_value):
            return resource_value
        merged = dict(global_value)
        for key, value in resource_value.items():
            merged[key] = merge_globals(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(resource_value, list):
        return [*global_value, *resource_value]
    return resource_value


def _parameter_values(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"unknown parameters: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            continue
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = value if isinstance(value, list) else [item.strip() for item in str(value).split(",")]
        elif isinstance(value, bool):
            value = "true" if value else "false"
        else:
            value = str(value)
        allowed = spec.get("AllowedValues")
        if allowed and not isinstance(value, list) and value not in [str(item) for item in allowed]:
            raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
        values[name] = value
    return values
