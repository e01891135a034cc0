"""Physical names, `Ref` values and `Fn::GetAtt` values of resources in the local cloud.

A resource keeps its explicit name property when the template gives one; otherwise it gets a
deterministic name from its logical id. Types the local cloud does not provision still answer Ref and
GetAtt with plausible placeholders, so templates that mention them resolve.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reelstack_tools.localcloud.local_env import ACCOUNT_ID, REGION, arn

USER_POOL_ID = f"{REGION}_local"
USER_POOL_CLIENT_ID = "reelstack-local-client"

# Resource type -> the property that carries an explicit physical name.
NAME_PROPERTIES: Mapping[str, str] = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
    "AWS::SageMaker::Model": "ModelName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::Api": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SSM::Parameter": "Name",
    "AWS::AppConfig::Application": "Name",
    "AWS::AppConfig::Environment": "Name",
    "AWS::AppConfig::ConfigurationProfile": "Name",
    "AWS::AppConfig::DeploymentStrategy": "Name",
}


@dataclass(frozen=True)
class Naming:
    """Computes names and attributes; `aws_endpoint` is the local AWS endpoint (for queue URLs)."""

    stack_name: str
    aws_endpoint: str
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    search_address: str = "127.0.0.1:9250"  # host:port of the local OpenSearch node

    def default_name(self, logical_id: str, resource_type: str, properties: Mapping[str, Any]) -> str:
        if resource_type == "AWS::S3::Bucket":
            return bucket_name(f"{self.stack_name}-{logical_id}")
        if resource_type == "AWS::SQS::Queue" and _true(properties.get("FifoQueue")):
            return f"{logical_id}.fifo"
        if resource_type == "AWS::SNS::Topic" and _true(properties.get("FifoTopic")):
            return f"{logical_id}.fifo"
        if resource_type == "AWS::Cognito::UserPool":
            return USER_POOL_ID
        if resource_type == "AWS::Cognito::UserPoolClient":
            return USER_POOL_CLIENT_ID
        if resource_type in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi", "AWS::Serverless::HttpApi"):
            return rest_api_id(logical_id)
        return logical_id

    def ref(self, resource_type: str, name: str, logical_id: str) -> Any:
        if resource_type == "AWS::SQS::Queue":
            return self.queue_url(name)
        by_type: dict[str, Callable[[], str]] = {
            "AWS::SNS::Topic": lambda: arn("sns", name),
            "AWS::Serverless::StateMachine": lambda: state_machine_arn(name),
            "AWS::StepFunctions::StateMachine": lambda: state_machine_arn(name),
            "AWS::Serverless::LayerVersion": lambda: arn("lambda", f"layer:{name}:1"),
            "AWS::Lambda::LayerVersion": lambda: arn("lambda", f"layer:{name}:1"),
            "AWS::SageMaker::Endpoint": lambda: arn("sagemaker", f"endpoint/{name.lower()}"),
            "AWS::SageMaker::EndpointConfig": lambda: arn("sagemaker", f"endpoint-config/{name.lower()}"),
            "AWS::SageMaker::Model": lambda: arn("sagemaker", f"model/{name.lower()}"),
            "AWS::IAM::ManagedPolicy": lambda: f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}",
        }
        if resource_type in by_type:
            return by_type[resource_type]()
        return name

    def attribute(self, resource_type: str, name: str, logical_id: str, attribute: str) -> Any:
        value = self.attributes(resource_type, name).get(attribute)
        if value is not None:
            return value
        if attribute == "Arn":
            service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "local"
            return arn(service, f"{logical_id}/{name}")
        return f"{name}-{attribute}"

    def queue_url(self, name: str) -> str:
        return f"{self.aws_endpoint}/{ACCOUNT_ID}/{name}"

    def provider_url(self) -> str:
        return f"{self.aws_endpoint}/cognito/{USER_POOL_ID}"

    def attributes(self, resource_type: str, name: str) -> dict[str, Any]:
        redis = {"Address": self.redis_host, "Port": str(self.redis_port)}
        tables = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
        functions = ("AWS::Serverless::Function", "AWS::Lambda::Function")
        machines = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
        if resource_type == "AWS::S3::Bucket":
            return {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{REGION}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{REGION}.amazonaws.com",
            }
        if resource_type in tables:
            table_arn = arn("dynamodb", f"table/{name}")
            return {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/local"}
        if resource_type == "AWS::SQS::Queue":
            return {"Arn": arn("sqs", name), "QueueName": name, "QueueUrl": self.queue_url(name)}
        if resource_type in functions:
            return {"Arn": function_arn(name)}
        if resource_type in machines:
            return {"Arn": state_machine_arn(name), "Name": name}
        if resource_type == "AWS::SNS::Topic":
            return {"TopicArn": arn("sns", name), "TopicName": name}
        if resource_type == "AWS::Events::EventBus":
            return {"Arn": arn("events", f"event-bus/{name}"), "Name": name}
        if resource_type == "AWS::Events::Rule":
            return {"Arn": arn("events", f"rule/{name}")}
        if resource_type == "AWS::Cognito::UserPool":
            return {
                "Arn": arn("cognito-idp", f"userpool/{name}"),
                "ProviderURL": self.provider_url(),
                "ProviderName": self.provider_url().split("://", 1)[1],
                "UserPoolId": name,
            }
        if resource_type == "AWS::Cognito::UserPoolClient":
            return {"ClientId": name, "ClientSecret": "local-client-secret", "Name": name}
        if resource_type == "AWS::IAM::Role":
            return {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "RoleId": f"AROA{_digest(name, 17)}"}
        if resource_type in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return {"RootResourceId": _digest(name, 10), "RestApiId": name}
        if resource_type == "AWS::SageMaker::Endpoint":
            return {"EndpointName": name}
        if resource_type == "AWS::SageMaker::EndpointConfig":
            return {"EndpointConfigName": name}
        if resource_type == "AWS::SageMaker::Model":
            return {"ModelName": name}
        if resource_type == "AWS::OpenSearchService::Domain":
            domain_arn = arn("es", f"domain/{name}")
            return {"Arn": domain_arn, "DomainArn": domain_arn, "DomainEndpoint": self.search_address}
        if resource_type == "AWS::OpenSearchServerless::Collection":
            return {
                "Arn": arn("aoss", f"collection/{name}"),
                "Id": name,
                "CollectionEndpoint": f"http://{self.search_address}",
            }
        if resource_type == "AWS::ElastiCache::CacheCluster":
            return {f"RedisEndpoint.{key}": value for key, value in redis.items()}
        if resource_type == "AWS::ElastiCache::ReplicationGroup":
            return {
                f"{group}.{key}": value
                for group in ("PrimaryEndPoint", "ReaderEndPoint")
                for key, value in redis.items()
            }
        if resource_type == "AWS::ElastiCache::ServerlessCache":
            return {
                f"{group}.{key}": value
                for group in ("Endpoint", "ReaderEndpoint")
                for key, value in redis.items()
            }
        return {}


def function_arn(name: str) -> str:
    return arn("lambda", f"function:{name}")


def function_name(name_or_arn: str) -> str:
    """A function's name from its name or its full or partial ARN, with or without a qualifier."""
    return name_or_arn.split(":function:")[-1].split(":")[0]


def event_bus_name(name_or_arn: Any) -> str:
    """An event bus's name from its name or ARN; no value is the default bus."""
    return str(name_or_arn or "default").split("event-bus/")[-1]


def state_machine_arn(name: str) -> str:
    return arn("states", f"stateMachine:{name}")


def bucket_name(text: str) -> str:
    """A valid S3 bucket name from any text: lowercase letters, digits and hyphens, 3..63 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)[:63].strip("-")
    return name if len(name) >= 3 else f"{name}-bucket"


def rest_api_id(logical_id: str) -> str:
    return _digest(logical_id, 10)


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")
