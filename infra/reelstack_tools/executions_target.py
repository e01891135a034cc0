"""Where `reelstack executions` reads from: the running local cloud (found through its cloud.json, as every
other subcommand finds it), or AWS when a stack or a state machine ARN is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.workflow_executions import ExecutionsError, explain
from reelstack.domain.workflow.execution_rows import region_of
from reelstack_tools.localcloud import cloudfile

INGEST_STATE_MACHINE = "IngestStateMachine"
# `--workflow NAME` -> the template's state machine: the video pipeline and the scheduled runs.
WORKFLOWS = {
    "ingest": INGEST_STATE_MACHINE,
    "heat": "HeatStateMachine",
    "tiering": "TieringStateMachine",
    "profiles": "ProfilesStateMachine",
}


class TargetError(Exception):
    """No state machine to read: no running local cloud, or one without the ingest state machine."""


@dataclass(frozen=True)
class Target:
    state_machine_arn: str
    where: str  # said in the header: which cloud this is
    endpoint_url: str | None = None
    region: str | None = None
    local: bool = False  # the local cloud: its endpoint with its fixed test credentials

    def client(self, service: str) -> Any:
        """A boto3 client for this target."""
        if self.local and self.endpoint_url:
            from reelstack_tools.localcloud.clients import make_client

            return make_client(service, self.endpoint_url)
        return aws_client(service, self.region, self.endpoint_url)


def aws_client(service: str, region: str | None, endpoint_url: str | None) -> Any:
    """A boto3 client with the caller's own credentials (profile, environment, role)."""
    import boto3

    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint_url)


def local_target(state_dir: Path, logical_id: str = INGEST_STATE_MACHINE) -> Target:
    """The state machine of the local cloud whose cloud.json is in `state_dir`."""
    info = cloudfile.read(state_dir)
    if info is None or not info.get("ready"):
        raise TargetError(
            f"no running local cloud in {state_dir} (start one with `reelstack up`, point --state-dir at it, "
            "or read AWS with --stack NAME or --state-machine ARN)"
        )
    resource = (info.get("resources") or {}).get(logical_id) or {}
    if not resource.get("arn"):
        raise TargetError(f"the local cloud in {state_dir} has no {logical_id}")
    endpoint = str(info["aws_endpoint"])
    return Target(
        state_machine_arn=str(resource["arn"]),
        where=f"local cloud {endpoint}",
        endpoint_url=endpoint,
        region=str(info.get("region") or "") or None,
        local=True,
    )


def arn_target(state_machine_arn: str, region: str | None, endpoint_url: str | None) -> Target:
    region = region or region_of(state_machine_arn)
    if not state_machine_arn.startswith("arn:") or ":stateMachine:" not in state_machine_arn:
        raise TargetError(f"not a state machine ARN: {state_machine_arn}")
    return Target(state_machine_arn, f"AWS {region or ''}".strip(), endpoint_url=endpoint_url, region=region)


def stack_target(
    stack: str, region: str | None, endpoint_url: str | None, logical_id: str = INGEST_STATE_MACHINE
) -> Target:
    """The stack's state machine `logical_id` (the ingest one by default), looked up in CloudFormation."""
    cloudformation = aws_client("cloudformation", region, endpoint_url)
    arn = stack_state_machine_arn(cloudformation, stack, logical_id)
    region = region or region_of(arn)
    return Target(arn, f"stack {stack} ({region})", endpoint_url=endpoint_url, region=region)


def stack_state_machine_arn(cloudformation: Any, stack: str, logical_id: str = "IngestStateMachine") -> str:
    """The ARN of a deployed stack's state machine (its physical id) from CloudFormation."""
    try:
        resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
    except (ClientError, BotoCoreError) as error:
        raise explain(error) from error
    arn = str(resource["StackResourceDetail"].get("PhysicalResourceId") or "")
    if not arn.startswith("arn:"):
        raise ExecutionsError(f"stack {stack}: {logical_id} has no state machine ARN yet ({arn or 'none'})")
    return arn
