"""Create Step Functions state machines from the real ASL, with `DefinitionSubstitutions` applied.

The definition comes from `DefinitionUri` (a JSON or YAML file next to the template), an inline
`Definition`, or `DefinitionString`. `${Name}` placeholders named in DefinitionSubstitutions are
replaced in the definition text, as CloudFormation does; others are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.intrinsics import to_text
from reelstack_tools.localcloud.local_env import ACCOUNT_ID
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource, TemplateError

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
LOCAL_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/reelstack-local-state-machine"


def substitute(definition_text: str, substitutions: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in substitutions:
            return match.group(0)
        return json.dumps(to_text(substitutions[name]))[1:-1]

    return _PLACEHOLDER.sub(replace, definition_text)


def definition(stack: Stack, resource: Resource) -> dict[str, Any]:
    props = stack.properties(resource.logical_id)
    uri = props.get("DefinitionUri")
    if isinstance(uri, str):
        path = stack.template.directory / uri
        if not path.is_file():
            raise TemplateError(f"{resource.logical_id}: DefinitionUri {uri} not found")
        text = json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")))
    elif uri is not None:
        raise TemplateError(f"{resource.logical_id}: DefinitionUri must be a local file to run locally")
    elif "Definition" in props:
        text = json.dumps(props["Definition"])
    elif "DefinitionString" in props:
        text = str(props["DefinitionString"])
    else:
        raise TemplateError(f"{resource.logical_id}: no Definition, DefinitionUri or DefinitionString")
    document = json.loads(substitute(text, props.get("DefinitionSubstitutions") or {}))
    if not isinstance(document, dict):
        raise TemplateError(f"{resource.logical_id}: the state machine definition is not an object")
    return document


def create_state_machine(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    name = stack.physical_name(resource.logical_id)
    machine_type = str(props.get("Type") or props.get("StateMachineType") or "STANDARD")
    sfn = clients.get("stepfunctions")
    body = json.dumps(definition(stack, resource))
    existing = {
        machine["name"]: machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]
    }
    if name in existing:
        sfn.update_state_machine(stateMachineArn=existing[name], definition=body)
        stack.record(resource.logical_id, Ref=existing[name], Arn=existing[name])
        return
    role = props.get("Role") or props.get("RoleArn") or LOCAL_ROLE
    created = sfn.create_state_machine(name=name, definition=body, roleArn=str(role), type=machine_type)
    stack.record(resource.logical_id, Ref=created["stateMachineArn"], Arn=created["stateMachineArn"])
