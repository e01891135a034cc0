"""Evaluate CloudFormation intrinsic functions against a local context.

The resolver knows the functions; what a name means (`Ref`, `Fn::GetAtt`) comes from two callbacks, so
the same code serves parameters, pseudo parameters and resources. `Ref: AWS::NoValue` removes the key
or list item that holds it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from reelstack_tools.localcloud.local_env import REGION


class IntrinsicError(ValueError):
    """An intrinsic function is malformed or names something that does not exist."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

RefLookup = Callable[[str], Any]
GetAttLookup = Callable[[str, str], Any]

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def is_intrinsic(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in _FUNCTIONS


def to_text(value: Any) -> str:
    """CloudFormation's string form of a scalar (booleans lowercase)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise IntrinsicError(f"expected a string, got {value!r}")


class Resolver:
    """Resolve intrinsic functions in any template node."""

    def __init__(
        self,
        *,
        ref: RefLookup,
        get_att: GetAttLookup,
        mappings: Mapping[str, Any] | None = None,
        conditions: Mapping[str, Any] | None = None,
    ) -> None:
        self._ref = ref
        self._get_att = get_att
        self._mappings = mappings or {}
        self._conditions = conditions or {}
        self._condition_values: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if is_intrinsic(node):
                name, argument = next(iter(node.items()))
                return _FUNCTIONS[name](self, argument)
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        if isinstance(node, list):
            return [item for item in (self.resolve(value) for value in node) if item is not NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        if name in self._condition_values:
            return self._condition_values[name]
        if name not in self._conditions:
            raise IntrinsicError(f"unknown condition {name!r}")
        if name in self._evaluating:
            raise IntrinsicError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            value = self._truth(self._conditions[name])
        finally:
            self._evaluating.discard(name)
        self._condition_values[name] = value
        return value

    # -- helpers -------------------------------------------------------------------------------------

    def _truth(self, node: Any) -> bool:
        if isinstance(node, dict) and set(node) == {"Condition"}:
            return self.condition(str(node["Condition"]))
        value = self.resolve(node)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise IntrinsicError(f"a condition must be true or false, got {value!r}")

    def _list(self, node: Any, function: str) -> list[Any]:
        value = self.resolve(node)
        if not isinstance(value, list):
            raise IntrinsicError(f"{function} expects a list, got {value!r}")
        return value

    def _args(self, node: Any, function: str, count: int) -> list[Any]:
        if not isinstance(node, list) or len(node) != count:
            raise IntrinsicError(f"{function} expects {count} arguments, got {node!r}")
        return node

    # -- functions -----------------------------------------------------------------------------------

    def _fn_ref(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if not isinstance(name, str):
            raise IntrinsicError(f"Ref expects a name, got {name!r}")
        if name == "AWS::NoValue":
            return NO_VALUE
        return self._ref(name)

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        logical_id, attribute = self._args(argument, "Fn::GetAtt", 2)
        return self._get_att(str(logical_id), to_text(self.resolve(attribute)))

    def _fn_sub(self, argument: Any) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            text, raw_variables = self._args(argument, "Fn::Sub", 2)
            variables = self.resolve(raw_variables)
        else:
            text = argument
        if not isinstance(text, str):
            raise IntrinsicError(f"Fn::Sub expects a string, got {text!r}")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return to_text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return to_text(self._get_att(logical_id, attribute))
            value = self._ref(name)
            if isinstance(value, list):
                raise IntrinsicError(f"Fn::Sub cannot insert the list {name!r}")
            return to_text(value)

        return _SUB_VARIABLE.sub(replace, text)

    def _fn_join(self, argument: Any) -> str:
        delimiter, items = self._args(argument, "Fn::Join", 2)
        return to_text(self.resolve(delimiter)).join(to_text(item) for item in self._list(items, "Fn::Join"))

    def _fn_select(self, argument: Any) -> Any:
        index, items = self._args(argument, "Fn::Select", 2)
        values = self._list(items, "Fn::Select")
        position = int(to_text(self.resolve(index)))
        if not 0 <= position < len(values):
            raise IntrinsicError(f"Fn::Select index {position} is out of range for {values!r}")
        return values[position]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = self._args(argument, "Fn::Split", 2)
        return to_text(self.resolve(text)).split(to_text(self.resolve(delimiter)))

    def _fn_if(self, argument: Any) -> Any:
        name, when_true, when_false = self._args(argument, "Fn::If", 3)
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def _fn_equals(self, argument: Any) -> bool:
        left, right = self._args(argument, "Fn::Equals", 2)
        return _comparable(self.resolve(left)) == _comparable(self.resolve(right))

    def _fn_not(self, argument: Any) -> bool:
        (operand,) = self._args(argument, "Fn::Not", 1)
        return not self._truth(operand)

    def _fn_and(self, argument: Any) -> bool:
        if not isinstance(argument, list):
            raise IntrinsicError("Fn::And expects a list")
        return all(self._truth(item) for item in argument)

    def _fn_or(self, argument: Any) -> bool:
        if not isinstance(argument, list):
            raise IntrinsicError("Fn::Or expects a list")
        return any(self._truth(item) for item in argument)

    def _fn_find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise IntrinsicError(f"Fn::FindInMap expects 3 or 4 arguments, got {argument!r}")
        map_name, top, second = (to_text(self.resolve(item)) for item in argument[:3])
        try:
            return self.resolve(self._mappings[map_name][top][second])
        except KeyError:
            if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                return self.resolve(argument[3]["DefaultValue"])
            raise IntrinsicError(f"Fn::FindInMap found nothing at {map_name}/{top}/{second}") from None

    def _fn_get_azs(self, argument: Any) -> list[str]:
        region = to_text(self.resolve(argument)) or REGION
        return [f"{region}a", f"{region}b", f"{region}c"]

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(to_text(self.resolve(argument)).encode()).decode()

    def _fn_import_value(self, argument: Any) -> str:
        return f"local-import-{to_text(self.resolve(argument))}"

    def _fn_length(self, argument: Any) -> int:
        return len(self._list(argument, "Fn::Length"))

    def _fn_to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))

    def _fn_unsupported(self, argument: Any) -> Any:
        raise IntrinsicError(f"this intrinsic function is not supported locally: {argument!r}")


def _comparable(value: Any) -> Any:
    return to_text(value) if isinstance(value, (str, int, float, bool)) else value


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver._fn_ref,
    "Fn::GetAtt": Resolver._fn_get_att,
    "Fn::Sub": Resolver._fn_sub,
    "Fn::Join": Resolver._fn_join,
    "Fn::Select": Resolver._fn_select,
    "Fn::Split": Resolver._fn_split,
    "Fn::If": Resolver._fn_if,
    "Fn::Equals": Resolver._fn_equals,
    "Fn::Not": Resolver._fn_not,
    "Fn::And": Resolver._fn_and,
    "Fn::Or": Resolver._fn_or,
    "Fn::FindInMap": Resolver._fn_find_in_map,
    "Fn::GetAZs": Resolver._fn_get_azs,
    "Fn::Base64": Resolver._fn_base64,
    "Fn::ImportValue": Resolver._fn_import_value,
    "Fn::Length": Resolver._fn_length,
    "Fn::ToJsonString": Resolver._fn_to_json_string,
    "Fn::Cidr": Resolver._fn_unsupported,
    "Fn::Transform": Resolver._fn_unsupported,
}


def references(node: Any) -> set[str]:
    """Names a node refers to through Ref, Fn::GetAtt and Fn::Sub (for ordering resources)."""
    found: set[str] = set()
    if isinstance(node, dict):
        if len(node) == 1 and "Ref" in node and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        elif len(node) == 1 and "Fn::GetAtt" in node:
            target = node["Fn::GetAtt"]
            if isinstance(target, str):
                found.add(target.split(".", 1)[0])
            elif isinstance(target, list) and target and isinstance(target[0], str):
                found.add(target[0])
        elif len(node) == 1 and "Fn::Sub" in node:
            argument = node["Fn::Sub"]
            text = argument[0] if isinstance(argument, list) and argument else argument
            local = set(argument[1]) if isinstance(argument, list) and len(argument) > 1 else set()
            if isinstance(text, str):
                for match in _SUB_VARIABLE.finditer(text):
                    name = match.group(1).strip()
                    if not name.startswith("!") and name not in local:
                        found.add(name.split(".", 1)[0] if not name.startswith("AWS::") else name)
            if isinstance(argument, list) and len(argument) > 1:
                found |= references(argument[1])
        else:
            for value in node.values():
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found
