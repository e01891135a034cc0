"""The Step Functions definitions (statemachines/*.asl.json) are well formed and follow our rules:
every Task retries transient errors and catches the rest, substitutions match the template both ways,
every transition lands on a state, and every state can be reached."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from template_support import TEMPLATE_PATH, load_cfn_yaml, resources_of_type

STATE_MACHINE_NAMES = sorted(resources_of_type(load_cfn_yaml(TEMPLATE_PATH), "AWS::Serverless::StateMachine"))
# Workflows that carry one video's document from stage to stage (the tiering run carries pages, the
# profile run its plan and the part files of its Spark job).
RUN_WORKFLOWS = {"TieringStateMachine", "ProfilesStateMachine"}
DOCUMENT_WORKFLOWS = [name for name in STATE_MACHINE_NAMES if name not in RUN_WORKFLOWS]
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
LAMBDA_TRANSIENT_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
TERMINAL_TYPES = {"Succeed", "Fail"}


def _states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state, including those nested in Parallel branches and Map iterators, by name."""
    found: dict[str, dict[str, Any]] = {}

    def walk(machine: dict[str, Any]) -> None:
        for name, state in machine["States"].items():
            assert name not in found, f"state name {name!r} is used twice"
            found[name] = state
            for branch in state.get("Branches", []):
                walk(branch)
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    walk(state[key])

    walk(asl)
    return found


def _targets(state: dict[str, Any]) -> list[str]:
    targets = [state["Next"]] if "Next" in state else []
    targets += [catcher["Next"] for catcher in state.get("Catch", [])]
    targets += [choice["Next"] for choice in state.get("Choices", [])]
    if "Default" in state:
        targets.append(state["Default"])
    return targets


@pytest.fixture(params=STATE_MACHINE_NAMES)
def machine(request: pytest.FixtureRequest, state_machines: dict[str, Any]) -> dict[str, Any]:
    assert request.param in state_machines, f"template has no state machine {request.param}"
    return state_machines[request.param]


def test_every_definition_uri_is_a_file(state_machines: dict[str, Any]) -> None:
    """GIVEN the template's state machines WHEN their DefinitionUri is read THEN each names an ASL file."""
    assert state_machines
    for name, entry in state_machines.items():
        assert entry["path"].is_file(), name
        assert entry["asl"]["StartAt"] in entry["asl"]["States"], name


def test_moto_step_functions_engine_reads_the_definition_as_written(machine: dict[str, Any]) -> None:
    """GIVEN the ASL file
    WHEN the local cloud's engine (moto's ASL parser) parses it
    THEN it starts where the file says, has every top-level state with its type, and runs each Task
    with as many retriers and catchers as the file declares (none dropped or misread)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    asl = machine["asl"]
    program, _ = AmazonStateLanguageParser.parse(json.dumps(asl))

    assert program.start_at.start_at_name == asl["StartAt"]
    engine_states = program.states.states
    assert {name: state.state_type.name for name, state in engine_states.items()} == {
        name: state["Type"] for name, state in asl["States"].items()
    }
    for name, state in asl["States"].items():
        if state["Type"] != "Task":
            continue
        engine_task = engine_states[name]
        assert engine_task.retry is not None and engine_task.catch is not None, name
        assert len(engine_task.retry.retriers) == len(state["Retry"]), name
        assert len(engine_task.catch.catchers) == len(state["Catch"]), name


def test_every_task_retries_transient_errors_and_catches_everything(machine: dict[str, Any]) -> None:
    """GIVEN each Task state
    WHEN its Retry and Catch are read
    THEN it retries Lambda's transient errors (for lambda:invoke) and catches States.ALL."""
    tasks = {name: state for name, state in _states(machine["asl"]).items() if state["Type"] == "Task"}

    assert tasks
    for name, task in tasks.items():
        retried = {error for retrier in task.get("Retry", []) for error in retrier["ErrorEquals"]}
        caught = {error for catcher in task.get("Catch", []) for error in catcher["ErrorEquals"]}
        assert "States.ALL" in caught, f"{name} has no Catch for States.ALL"
        if task["Resource"].startswith("arn:aws:states:::lambda:invoke"):
            assert retried >= LAMBDA_TRANSIENT_ERRORS, f"{name} does not retry Lambda's transient errors"
            assert "DependencyFailed" in retried, f"{name} does not retry DependencyFailed"
        for retrier in task.get("Retry", []):
            assert retrier.get("MaxAttempts", 3) >= 1 and retrier.get("BackoffRate", 2.0) >= 1, name


@pytest.fixture(params=DOCUMENT_WORKFLOWS)
def workflow(request: pytest.FixtureRequest, state_machines: dict[str, Any]) -> dict[str, Any]:
    return state_machines[request.param]


def test_stage_failures_are_recorded_before_failing(workflow: dict[str, Any]) -> None:
    """GIVEN each Task's Catch (RecordFailure's own excepted)
    WHEN followed
    THEN it keeps the input (ResultPath $.error), names its stage, then reaches RecordFailure."""
    states = _states(workflow["asl"])
    for name, state in states.items():
        if state["Type"] != "Task" or name == "RecordFailure":
            continue
        for catcher in state["Catch"]:
            assert catcher["ResultPath"] == "$.error", name
            namer = states[catcher["Next"]]
            assert namer["Type"] == "Pass", name
            # The stage a failure names is the state itself, or the stage it is a variant of
            # (TranscodeWithFfmpeg / TranscodeWithMediaConvert / TranscodeWithGpu fail as "Transcode").
            assert namer["ResultPath"] == "$.failed_stage" and name.startswith(namer["Result"]), name
            assert namer["Next"] == "RecordFailure", name
    record = states["RecordFailure"]
    assert record["Parameters"]["Payload"] == {
        "stage.$": "$.failed_stage",
        "error.$": "$.error",
        "document.$": "$",
    }
    assert [catcher["Next"] for catcher in record["Catch"]] == [record["Next"]]
    assert states[record["Next"]]["Type"] == "Fail"


def test_placeholders_and_definition_substitutions_match(machine: dict[str, Any]) -> None:
    """GIVEN the ASL text and the template's DefinitionSubstitutions
    WHEN the `${...}` placeholders are collected
    THEN each has a substitution and each substitution is used."""
    placeholders = set(PLACEHOLDER.findall(machine["path"].read_text(encoding="utf-8")))
    substitutions = set(machine["resource"]["Properties"].get("DefinitionSubstitutions", {}))

    assert placeholders
    assert sorted(placeholders - substitutions) == [], "placeholders without a substitution"
    assert sorted(substitutions - placeholders) == [], "substitutions no placeholder uses"


def test_every_transition_lands_on_a_state_and_every_state_is_reachable(machine: dict[str, Any]) -> None:
    """GIVEN the state graph
    WHEN walked from StartAt along Next, Default, Choices and Catch
    THEN every target exists, every state is reached, and only terminal states lack a Next."""
    asl = machine["asl"]
    states = _states(asl)
    for name, state in states.items():
        for target in _targets(state):
            assert target in states, f"{name} -> {target!r}, which does not exist"
        ends = state.get("End") is True or state["Type"] in TERMINAL_TYPES
        assert ends or "Next" in state or state["Type"] == "Choice", f"{name} neither ends nor goes on"

    def reachable(machine_def: dict[str, Any]) -> set[str]:
        seen: set[str] = set()
        pending = [machine_def["StartAt"]]
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            state = machine_def["States"][name]
            pending.extend(target for target in _targets(state) if target in machine_def["States"])
            for branch in state.get("Branches", []):
                seen |= reachable(branch)
            for key in ("Iterator", "ItemProcessor"):
                if key in state:
                    seen |= reachable(state[key])
        return seen

    assert sorted(set(states) - reachable(asl)) == [], "unreachable states"


def test_lambda_tasks_pass_the_document_and_return_the_enriched_document(workflow: dict[str, Any]) -> None:
    """GIVEN each Lambda stage Task (RecordFailure excepted) WHEN its input and output paths are read
    THEN it sends the whole workflow document (alone, or as `document` beside other fields) and
    passes on what the function returns; a task-token wait keeps the document and adds its result."""
    for name, state in _states(workflow["asl"]).items():
        if state["Type"] != "Task" or name == "RecordFailure" or "lambda:invoke" not in state["Resource"]:
            continue
        parameters = state["Parameters"]
        assert parameters.get("Payload.$") == "$" or parameters["Payload"]["document.$"] == "$", name
        if state["Resource"].endswith(".waitForTaskToken"):
            assert parameters["Payload"]["task_token.$"] == "$$.Task.Token", name
            assert state["ResultPath"] == "$.outputs" and "OutputPath" not in state, name
            assert state["TimeoutSeconds"] > 0, name
        else:
            assert state["OutputPath"] == "$.Payload", name
