"""A template bound to the local context: parameters, pseudo parameters, conditions, names, resolution.

`Stack.properties(logical_id)` gives a resource's properties with every intrinsic resolved;
`Stack.record(...)` stores values only known after provisioning (a table's real stream ARN), which
later Ref/GetAtt answers then use.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from reelstack_tools.localcloud.intrinsics import IntrinsicError, Resolver
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, LOG, PARTITION, REGION, arn
from reelstack_tools.localcloud.naming import NAME_PROPERTIES, Naming
from reelstack_tools.localcloud.template import Resource, Template

log = logging.getLogger(LOG)

STACK_NAME = "reelstack"
EVENT_OWNERS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")


@dataclass(frozen=True)
class SourceEvent:
    """One entry of a SAM function's or state machine's `Events`, resolved."""

    owner: Resource
    owner_name: str
    owner_arn: str
    event_id: str
    type: str
    properties: dict[str, Any]


class Stack:
    def __init__(self, template: Template, naming: Naming) -> None:
        self.template = template
        self.naming = naming
        # Deterministic, so names built from it (e.g. a bucket suffix) stay the same across restarts.
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"reelstack-local:{naming.stack_name}")
        self.stack_id = arn("cloudformation", f"stack/{naming.stack_name}/{stack_uuid}")
        self.resolver = Resolver(
            ref=self.ref,
            get_att=self.get_att,
            mappings=template.mappings,
            conditions=template.conditions,
        )
        self._names: dict[str, str] = {}
        self._properties: dict[str, dict[str, Any]] = {}
        self._recorded: dict[str, dict[str, Any]] = {}
        self._warned: set[str] = set()

    # -- what exists -----------------------------------------------------------------------------------

    def active(self, logical_id: str) -> bool:
        condition = self.template.resources[logical_id].condition
        return condition is None or self.resolver.condition(condition)

    def resources(self, *types: str) -> list[Resource]:
        return [resource for resource in self.template.of_type(*types) if self.active(resource.logical_id)]

    def events(self, *types: str) -> list[SourceEvent]:
        """The `Events` of every SAM function and state machine, of the given types, in template order."""
        found: list[SourceEvent] = []
        for resource in self.resources(*EVENT_OWNERS):
            for event_id, event in (self.properties(resource.logical_id).get("Events") or {}).items():
                if not types or event.get("Type") in types:
                    found.append(
                        SourceEvent(
                            owner=resource,
                            owner_name=self.physical_name(resource.logical_id),
                            owner_arn=str(self.get_att(resource.logical_id, "Arn")),
                            event_id=str(event_id),
                            type=str(event.get("Type")),
                            properties=dict(event.get("Properties") or {}),
                        )
                    )
        return found

    def resource(self, logical_id: str) -> Resource:
        try:
            return self.template.resources[logical_id]
        except KeyError:
            raise IntrinsicError(f"unknown resource {logical_id!r}") from None

    # -- names and values -----------------------------------------------------------------------------

    def physical_name(self, logical_id: str) -> str:
        if logical_id not in self._names:
            resource = self.resource(logical_id)
            name_property = NAME_PROPERTIES.get(resource.type)
            explicit = resource.properties.get(name_property) if name_property else None
            if explicit is not None:
                self._names[logical_id] = str(self.resolver.resolve(explicit))
            else:
                self._names[logical_id] = self.naming.default_name(
                    logical_id, resource.type, resource.properties
                )
        return self._names[logical_id]

    def properties(self, logical_id: str) -> dict[str, Any]:
        if logical_id not in self._properties:
            resolved = self.resolver.resolve(self.resource(logical_id).properties)
            self._properties[logical_id] = resolved if isinstance(resolved, dict) else {}
        return self._properties[logical_id]

    def resolve(self, node: Any) -> Any:
        return self.resolver.resolve(node)

    def record(self, logical_id: str, **attributes: Any) -> None:
        self._recorded.setdefault(logical_id, {}).update(attributes)

    def ref(self, name: str) -> Any:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.template.parameters:
            return self.template.parameters[name]
        if name in self.template.document.get("Parameters", {}):
            raise IntrinsicError(f"parameter {name} has no Default and no override")
        if name not in self.template.resources:
            alias = self.template.alias_owner(name)
            if alias is not None:
                # SAM's alias (AutoPublishAlias): locally one version runs, so the alias is the function;
                # its ARN keeps the qualifier, which the Lambda API accepts as AWS does.
                function, alias_name = alias
                return f"{self.get_att(function, 'Arn')}:{alias_name}"
            return self._placeholder(name)
        recorded = self._recorded.get(name, {})
        if "Ref" in recorded:
            return recorded["Ref"]
        resource = self.resource(name)
        return self.naming.ref(resource.type, self.physical_name(name), name)

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.template.resources:
            return self._placeholder(f"{logical_id}.{attribute}")
        recorded = self._recorded.get(logical_id, {})
        if attribute in recorded:
            return recorded[attribute]
        resource = self.resource(logical_id)
        return self.naming.attribute(resource.type, self.physical_name(logical_id), logical_id, attribute)

    def describe(self, logical_id: str) -> dict[str, Any]:
        """The entry of cloud.json's `resources` map."""
        resource = self.resource(logical_id)
        entry: dict[str, Any] = {"type": resource.type, "name": self.physical_name(logical_id)}
        attributes = self.naming.attributes(resource.type, entry["name"])
        recorded = self._recorded.get(logical_id, {})
        for key in ("Arn", "TopicArn"):
            if key in recorded or key in attributes:
                entry["arn"] = recorded.get(key, attributes.get(key))
                break
        if resource.type == "AWS::SQS::Queue":
            entry["url"] = self.ref(logical_id)
        if resource.type == "AWS::EMRServerless::Application":
            entry["id"] = self.ref(logical_id)  # the Ref: EMR Serverless names applications by id
        if "StreamArn" in recorded:
            entry["stream_arn"] = recorded["StreamArn"]
        return entry

    def _pseudo(self, name: str) -> Any:
        values: dict[str, Any] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.naming.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        return values.get(name)

    def _placeholder(self, name: str) -> str:
        if name not in self._warned:
            self._warned.add(name)
            log.warning("template refers to %s, which it does not declare; using a placeholder", name)
        return f"{self.naming.stack_name}-{name.replace('.', '-')}-local"
