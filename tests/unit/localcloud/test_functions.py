"""Function specs from the template, and the environment their sandboxes get."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack_tools.localcloud.functions import (
    LOCAL_SDK_READ_TIMEOUT_FLOOR_SECONDS,
    function_specs,
    sandbox_environment,
)
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template, TemplateError

TEMPLATE = """
Globals:
  Function:
    Runtime: python3.11
    MemorySize: 256
    Layers: [!Ref Shared]
Resources:
  Shared: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layers/shared/}}
  Failures: {Type: AWS::SQS::Queue}
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/api/
      Handler: app.handler
      Timeout: 29
      ReservedConcurrentExecutions: 2
      Environment:
        Variables:
          {REDIS_URL: redis://example:6379, POWERTOOLS_SERVICE_NAME: api, FLAG: true, SDK_READ_TIMEOUT_SECONDS: "4"}
  Merge:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/merge/
      Handler: app.handler
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Failures.Arn}
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: "def handler(event, context):\\n    return event\\n"
"""


@pytest.fixture
def specs(tmp_path: Path):
    for folder in ("functions/api", "functions/merge", "layers/shared/python"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    stack = Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))
    return function_specs(stack, tmp_path / "scratch")


def test_specs_carry_code_limits_layers_and_destinations(specs, tmp_path: Path) -> None:
    api, merge, inline = specs["Api"], specs["Merge"], specs["Inline"]
    assert (api.code_dir, api.handler, api.timeout, api.memory_mb) == (
        tmp_path / "functions/api",
        "app.handler",
        29,
        256,
    )
    assert api.python_path == (tmp_path / "layers/shared/python",)
    assert api.reserved_concurrency == 2
    assert api.environment["FLAG"] == "true"
    assert merge.timeout == 3  # SAM's default
    assert merge.max_retry_attempts == 1
    assert merge.on_failure is not None
    assert (merge.on_failure.kind, merge.on_failure.arn) == (
        "SQS",
        "arn:aws:sqs:us-east-1:123456789012:Failures",
    )
    assert (inline.code_dir / "index.py").read_text().startswith("def handler")


def test_the_sandbox_environment(specs) -> None:
    # GIVEN a function declaring REDIS_URL and its own service name, and one declaring neither
    env = sandbox_environment(
        specs["Api"],
        aws_endpoint="http://127.0.0.1:4566",
        redis_url="redis://127.0.0.1:6390/0",
        extra_python_path="/infra",
    )
    other = sandbox_environment(
        specs["Merge"],
        aws_endpoint="http://127.0.0.1:4566",
        redis_url="redis://127.0.0.1:6390/0",
        extra_python_path="/infra",
    )
    # THEN REDIS_URL points at the local redis only where declared, endpoints and credentials are local
    assert env["REDIS_URL"] == "redis://127.0.0.1:6390/0"
    assert "REDIS_URL" not in other
    assert env["POWERTOOLS_SERVICE_NAME"] == "api"
    assert other["POWERTOOLS_SERVICE_NAME"] == "Merge"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_REGION"], env["REELSTACK_LOCAL"]) == (
        "testing",
        "us-east-1",
        "1",
    )
    assert (
        env["AWS_LAMBDA_FUNCTION_NAME"],
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        env["AWS_LAMBDA_FUNCTION_TIMEOUT"],
    ) == (
        "Api",
        "256",
        "29",
    )
    assert (env["POWERTOOLS_TRACE_DISABLED"], env["POWERTOOLS_DEV"]) == ("true", "false")
    # AND a tight SDK read timeout declared for AWS is raised to the local floor (moto can be slow), an
    # undeclared one stays the settings' default
    assert float(env["SDK_READ_TIMEOUT_SECONDS"]) == LOCAL_SDK_READ_TIMEOUT_FLOOR_SECONDS
    assert "SDK_READ_TIMEOUT_SECONDS" not in other


def test_a_remote_code_uri_cannot_run_locally(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: {Bucket: b, Key: k}}\n"
    )
    stack = Stack(Template.load(tmp_path / "template.yaml"), Naming("reelstack", "http://127.0.0.1:4566"))
    with pytest.raises(TemplateError, match="local directory"):
        function_specs(stack, tmp_path / "scratch")
