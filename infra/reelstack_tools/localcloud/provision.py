"""Provision what the template declares, in dependency order, against the local AWS endpoint.

Types provisioned here are created in moto; types other parts of the local cloud serve (functions,
APIs, schedules, the identity provider, SageMaker endpoints, the cache) are known; everything else is
reported as not provisioned, in one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from reelstack_tools.localcloud import (
    appconfig,
    emr_serverless,
    provision_cdn,
    provision_messaging,
    provision_storage,
    provision_workflows,
)
from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.custom_resources import is_custom_resource
from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource

log = logging.getLogger(LOG)

Provisioner = Callable[[Stack, Clients, Resource], None]

# Served by other parts of the local cloud (not created in moto, but they work locally).
SERVED_ELSEWHERE = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Lambda::Function",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Serverless::Api",
        "AWS::Scheduler::Schedule",
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolDomain",  # the local issuer's sign-in pages stand in for the hosted UI
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ElastiCache::CacheCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::ServerlessCache",
        "AWS::OpenSearchService::Domain",
        "AWS::CloudFront::PublicKey",  # the local CDN checks signatures with them (provision_cdn.trusted_keys)
        "AWS::CloudFront::KeyGroup",
        "AWS::OpenSearchServerless::Collection",
        # Origin access is not enforced by the local S3.
        "AWS::CloudFront::OriginAccessControl",
    }
)


# Function event types the local cloud delivers.
SUPPORTED_EVENT_TYPES = frozenset(
    {"Api", "SQS", "Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"}
)


def unsupported_parts(stack: Stack) -> list[str]:
    """Pieces of supported resources that are not delivered locally (function events, S3 -> Lambda)."""
    found: list[str] = []
    for event in stack.events():
        if event.type not in SUPPORTED_EVENT_TYPES:
            found.append(f"{event.owner.logical_id}.{event.event_id} (event type {event.type})")
    for resource in stack.resources("AWS::S3::Bucket"):
        notifications = resource.properties.get("NotificationConfiguration") or {}
        if notifications.get("LambdaConfigurations"):
            found.append(f"{resource.logical_id} (S3 -> Lambda notifications; use a queue)")
    return found


class ProvisionError(RuntimeError):
    """A declared resource could not be created locally."""


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def provision(stack: Stack, clients: Clients, visibility_timeout_cap: int | None = None) -> ProvisionReport:
    def queue(stack: Stack, clients: Clients, resource: Resource) -> None:
        provision_messaging.create_queue(stack, clients, resource, visibility_timeout_cap)

    provisioners: dict[str, Provisioner] = {
        "AWS::DynamoDB::Table": provision_storage.create_table,
        "AWS::Serverless::SimpleTable": provision_storage.create_table,
        "AWS::S3::Bucket": provision_storage.create_bucket,
        "AWS::SQS::Queue": queue,
        "AWS::SNS::Topic": provision_messaging.create_topic,
        "AWS::SNS::Subscription": provision_messaging.create_subscription,
        "AWS::Events::EventBus": provision_messaging.create_event_bus,
        "AWS::Events::Rule": provision_messaging.create_pattern_rule,
        "AWS::Serverless::StateMachine": provision_workflows.create_state_machine,
        "AWS::StepFunctions::StateMachine": provision_workflows.create_state_machine,
        "AWS::CloudFront::Distribution": provision_cdn.serve_distribution,
        "AWS::EMRServerless::Application": emr_serverless.create_application,
        **appconfig.PROVISIONERS,
    }
    report = ProvisionReport()
    active = [logical_id for logical_id in stack.template.resources if stack.active(logical_id)]
    for logical_id in stack.template.order(active):
        resource = stack.template.resources[logical_id]
        provisioner = provisioners.get(resource.type)
        if provisioner is not None:
            try:
                provisioner(stack, clients, resource)
            except (provision_messaging.UnsupportedTarget, provision_cdn.UnservableDistribution) as error:
                report.unsupported.append(f"{logical_id} ({error})")
                continue
            except Exception as error:
                raise ProvisionError(f"cannot create {logical_id} ({resource.type}): {error}") from error
            report.created.append(logical_id)
        elif resource.type not in SERVED_ELSEWHERE and not is_custom_resource(resource.type):
            report.unsupported.append(f"{logical_id} ({resource.type})")
    report.unsupported += unsupported_parts(stack)
    if report.unsupported:
        log.info("not provisioned locally: %s", ", ".join(report.unsupported))
    return report
