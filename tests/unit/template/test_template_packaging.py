"""What `sam build` and `sam deploy` read besides the template: the shared layer and samconfig.toml."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from packaging.requirements import Requirement
from template_support import REPO_ROOT


def _pins(lines: list[str]) -> dict[str, str]:
    """name -> specifier, extras ignored (the layer may ask for an extra the project does not)."""
    pins = {}
    for line in lines:
        requirement = Requirement(line)
        pins[requirement.name.lower()] = str(requirement.specifier)
    return pins


def test_layer_requirements_pin_the_project_dependencies() -> None:
    """GIVEN layers/shared/requirements.txt and pyproject's runtime dependencies
    WHEN their pins are compared THEN they are the same packages at the same exact versions."""
    text = (REPO_ROOT / "layers" / "shared" / "requirements.txt").read_text(encoding="utf-8")
    layer = _pins([line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")])
    project = _pins(
        tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    )

    assert layer == project
    assert all(specifier.startswith("==") for specifier in layer.values())


def test_every_function_runs_on_what_the_layer_supports(template: dict[str, Any]) -> None:
    """GIVEN the shared layer and the functions' Globals WHEN compared
    THEN the layer supports their runtime and architecture, and holds the reelstack package."""
    layer = template["Resources"]["SharedLayer"]
    globals_ = template["Globals"]["Function"]

    assert globals_["Runtime"] in layer["Properties"]["CompatibleRuntimes"]
    assert set(globals_["Architectures"]) <= set(layer["Properties"]["CompatibleArchitectures"])
    assert layer["Metadata"]["BuildArchitecture"] in globals_["Architectures"]
    assert globals_["Layers"] == [{"Ref": "SharedLayer"}]
    content = REPO_ROOT / layer["Properties"]["ContentUri"]
    assert (content / "python" / "reelstack" / "__init__.py").is_file()


def test_samconfig_overrides_only_declared_parameters(template: dict[str, Any]) -> None:
    """GIVEN samconfig.toml WHEN each environment's parameter_overrides are read
    THEN they name template parameters only, with values those parameters allow."""
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    parameters = template["Parameters"]

    environments = [name for name in config if name != "version"]
    assert "default" in environments
    for environment in environments:
        for command, section in config[environment].items():
            overrides = section.get("parameters", {}).get("parameter_overrides")
            if overrides is None:
                continue
            for key, value in re.findall(r'(\w+)="([^"]*)"', overrides):
                assert key in parameters, (environment, command, key)
                allowed = parameters[key].get("AllowedValues")
                assert allowed is None or value in allowed, (environment, command, key, value)
                pattern = parameters[key].get("AllowedPattern")
                assert pattern is None or re.fullmatch(pattern, value), (environment, command, key, value)
