"""What `sam build` and `sam deploy` read besides the template: the shared layer and samconfig.toml."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from packaging.requirements import Requirement
from template_support import REPO_ROOT, resources_of_type


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


def test_image_requirements_pin_their_extras() -> None:
    """GIVEN each container image's requirements.txt and pyproject's extra of the same name
    WHEN their pins are compared THEN the image pins every package of the extra at the extra's version
    (an image may pin the transitive ones too)."""
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for image, extra in (("moderation", "moderation"), ("roi", "roi"), ("text-moderation", "text")):
        text = (REPO_ROOT / "infra" / "containers" / image / "requirements.txt").read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        image_pins, extra_pins = _pins(lines), _pins(extras[extra])
        assert {name: image_pins.get(name) for name in extra_pins} == extra_pins, image


def test_every_zip_function_runs_on_what_the_layer_supports(template: dict[str, Any]) -> None:
    """GIVEN the shared layer and each zip-packaged function WHEN compared
    THEN the function uses the layer, whose runtime and architecture it supports, and which holds the
    reelstack package."""
    layer = template["Resources"]["SharedLayer"]
    architectures = template["Globals"]["Function"]["Architectures"]
    zip_functions = {
        name: resource["Properties"]
        for name, resource in resources_of_type(template, "AWS::Serverless::Function").items()
        if resource["Properties"].get("PackageType", "Zip") == "Zip"
    }

    assert zip_functions
    for name, properties in zip_functions.items():
        assert properties["Runtime"] in layer["Properties"]["CompatibleRuntimes"], name
        # The shared layer first; the interaction log writer adds the AWS SDK for pandas layer (pyarrow).
        extra = [{"Ref": "PandasLayerArn"}] if name == "InteractionLogFunction" else []
        assert properties["Layers"] == [{"Ref": "SharedLayer"}, *extra], name
    assert set(architectures) <= set(layer["Properties"]["CompatibleArchitectures"])
    assert layer["Metadata"]["BuildArchitecture"] in architectures
    content = REPO_ROOT / layer["Properties"]["ContentUri"]
    assert (content / "python" / "reelstack" / "__init__.py").is_file()


def test_image_functions_build_from_the_repository_and_run_locally(template: dict[str, Any]) -> None:
    """GIVEN each container-image function WHEN its build metadata is read
    THEN its Dockerfile exists in its build context, its handler module is on its local Python path,
    and it declares neither Runtime, Handler nor Layers (SAM refuses them on images)."""
    images = {
        name: resource
        for name, resource in resources_of_type(template, "AWS::Serverless::Function").items()
        if resource["Properties"].get("PackageType") == "Image"
    }

    assert images
    for name, resource in images.items():
        properties, metadata = resource["Properties"], resource["Metadata"]
        assert not {"Runtime", "Handler", "Layers", "CodeUri"} & set(properties), name
        context = REPO_ROOT / metadata["DockerContext"]
        assert (context / metadata["Dockerfile"]).is_file(), name
        module, _ = properties["ImageConfig"]["Command"][0].rsplit(".", 1)
        paths = [REPO_ROOT / p for p in metadata["LocalPythonPath"]]
        assert any((path / f"{module}.py").is_file() for path in paths), name
        assert any((path / "reelstack" / "__init__.py").is_file() for path in paths), name


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
