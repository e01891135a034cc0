"""The repo's own template.yaml comes up whole in the session's local cloud."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_every_declared_queue_table_bucket_and_state_machine_exists(local_cloud: Any) -> None:
    # GIVEN what cloud.json says was created from template.yaml
    resources = local_cloud.resources

    def named(*types: str) -> set[str]:
        return {entry["name"] for entry in resources.values() if entry["type"] in types}

    # THEN the AWS APIs of the local cloud list exactly those
    queues = {url.rsplit("/", 1)[1] for url in local_cloud.client("sqs").list_queues().get("QueueUrls", [])}
    tables = set(local_cloud.client("dynamodb").list_tables()["TableNames"])
    buckets = {bucket["Name"] for bucket in local_cloud.client("s3").list_buckets()["Buckets"]}
    machines = {
        machine["name"]
        for machine in local_cloud.client("stepfunctions").list_state_machines()["stateMachines"]
    }
    assert named("AWS::SQS::Queue") <= queues
    assert named("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable") <= tables
    assert named("AWS::S3::Bucket") <= buckets
    assert named("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine") <= machines
    assert local_cloud.info["routes"], "the template declares API routes"
