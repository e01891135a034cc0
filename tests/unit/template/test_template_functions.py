"""Each function in the template matches its code: the handler exists, and the environment the template
sets is the one its settings model reads (nothing required missing, nothing set that nobody reads)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from template_support import REPO_ROOT, resources_of_type

SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared" / "python"

# Function -> the settings model its handler builds (reelstack.settings).
SETTINGS_OF_FUNCTION = {
    "ApiFunction": "ApiSettings",
    "MergeFunction": "MergeSettings",
    "MergeSweeperFunction": "MergeSweeperSettings",
    "IngestSweeperFunction": "IngestSweeperSettings",
    "MediaReclaimFunction": "StorageSettings",
    "IngestTriggerFunction": "IngestTriggerSettings",
    "IngestAdmitFunction": "IngestSettings",
    "IngestFailFunction": "IngestSettings",
    "IngestProbeFunction": "IngestSettings",
    "IngestPlanFunction": "IngestSettings",
    "IngestTranscodeFunction": "IngestSettings",
    "IngestModerateFunction": "IngestSettings",
    "IngestPublishFunction": "IngestSettings",
    "IngestRejectFunction": "IngestSettings",
    "ReviewIntakeFunction": "ReviewSettings",
    "NotificationsFunction": "NotificationSettings",
    "CommentModerationFunction": "CommentModerationSettings",
    "AvatarFunction": "AvatarSettings",
    "LikesFunction": "LikesWorkerSettings",
    "PlaysFunction": "PlaysWorkerSettings",
    "TieringPageFunction": "TieringPageSettings",
    "TieringSummaryFunction": "TieringSettings",
    "TranscodeSubmitFunction": "TranscodeBackendSettings",
    "MediaConvertResumeFunction": "TranscodeBackendSettings",
    "HeatPlanFunction": "IngestSettings",
    "HeatEncodeFunction": "IngestSettings",
    "HeatUpdateMasterFunction": "IngestSettings",
    "HeatFailFunction": "IngestSettings",
    "SearchBootstrapFunction": "SearchSettings",
    "SearchIndexerFunction": "SearchIndexerSettings",
    "SearchCountsFunction": "SearchIndexerSettings",
    "ProfilePrepareFunction": "ProfileRunSettings",
    "ProfilePartsFunction": "ProfileRunSettings",
    "ProfileLoadFunction": "ProfileRunSettings",
    "ProfileSwitchFunction": "ProfileRunSettings",
    "ProfileFailFunction": "ProfileRunSettings",
    "ProfileTrainingFunction": "ProfileRunSettings",
    "JobFilesFunction": "SdkSettings",
    "InteractionLogFunction": "InteractionLogWriterSettings",
    "HotListFunction": "HotListSettings",
}
# Read by Powertools itself, or informational for operators.
NOT_SETTINGS = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_NAMESPACE",
    "REELSTACK_STAGE",
}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::Serverless::Function")


def _environment(template: dict[str, Any], name: str) -> dict[str, Any]:
    """Globals' variables merged with the function's own (SAM merges maps, the function wins)."""
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = _functions(template)[name]["Properties"].get("Environment", {}).get("Variables", {})
    return {**global_env, **own}


def _top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@pytest.fixture(scope="module")
def settings_module() -> Any:
    sys.path.insert(0, str(SHARED_LAYER_DIR))
    try:
        import reelstack.settings as settings
    finally:
        sys.path.remove(str(SHARED_LAYER_DIR))
    return settings


def test_every_function_is_mapped_to_its_settings(template: dict[str, Any]) -> None:
    """GIVEN the template's functions WHEN listed THEN each has a settings model in this test's table."""
    assert set(_functions(template)) == set(SETTINGS_OF_FUNCTION)


@pytest.mark.parametrize("name", sorted(SETTINGS_OF_FUNCTION))
def test_handler_is_defined_in_the_code(template: dict[str, Any], name: str) -> None:
    """GIVEN a function's handler `module.attribute` (Handler in CodeUri, or an image's Command on its
    local Python path) WHEN the module's source is parsed (not imported)
    THEN it defines that attribute at top level."""
    resource = _functions(template)[name]
    properties = resource["Properties"]
    if properties.get("PackageType") == "Image":
        module, attribute = properties["ImageConfig"]["Command"][0].rsplit(".", 1)
        code_dir = REPO_ROOT / resource["Metadata"]["LocalPythonPath"][0]
    else:
        module, attribute = properties["Handler"].rsplit(".", 1)
        code_dir = REPO_ROOT / properties["CodeUri"]
    source = code_dir / f"{module.replace('.', '/')}.py"

    assert source.is_file(), f"{name}: no {source.relative_to(REPO_ROOT)}"
    assert attribute in _top_level_names(source), f"{name}: {source.name} defines no {attribute!r}"


@pytest.mark.parametrize("name", sorted(SETTINGS_OF_FUNCTION))
def test_environment_matches_the_settings_model(
    template: dict[str, Any], settings_module: Any, name: str
) -> None:
    """GIVEN a function's environment (Globals merged) and its settings model
    WHEN both are compared by variable name
    THEN every required setting is set, and every variable set (but Powertools') is a setting."""
    model = getattr(settings_module, SETTINGS_OF_FUNCTION[name])
    fields = {
        (field.validation_alias if isinstance(field.validation_alias, str) else key).upper(): field
        for key, field in model.model_fields.items()
    }
    environment = set(_environment(template, name))

    required = {env_name for env_name, field in fields.items() if field.is_required()}
    assert sorted(required - environment) == [], f"{name}: required settings the template does not set"
    assert sorted(environment - NOT_SETTINGS - set(fields)) == [], f"{name}: variables no setting reads"


@pytest.mark.parametrize("name", sorted(SETTINGS_OF_FUNCTION))
def test_each_function_names_its_powertools_service(template: dict[str, Any], name: str) -> None:
    """GIVEN a function WHEN its environment is read THEN POWERTOOLS_SERVICE_NAME names it (logs, traces)."""
    environment = _environment(template, name)

    assert isinstance(environment.get("POWERTOOLS_SERVICE_NAME"), str)
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "reelstack"
    assert environment["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


def test_reviewer_group_is_the_group_the_api_checks(template: dict[str, Any], settings_module: Any) -> None:
    """GIVEN the Cognito reviewer group WHEN compared with the API's auth settings
    THEN its name is the group the API looks for in `cognito:groups`."""
    group = template["Resources"]["ReviewerGroup"]["Properties"]

    assert group["GroupName"] == settings_module.AuthSettings.model_fields["auth_reviewer_group"].default
    assert group["UserPoolId"] == {"Ref": "UserPool"}
