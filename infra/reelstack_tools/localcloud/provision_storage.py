"""Create DynamoDB tables and S3 buckets from their CloudFormation properties (idempotently)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource

_TABLE_KEYS = (
    "KeySchema",
    "AttributeDefinitions",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
)


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(tag["Key"]), "Value": str(tag["Value"])} for tag in props.get("Tags") or []]


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_table(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = dict(stack.properties(resource.logical_id))
    name = stack.physical_name(resource.logical_id)
    if resource.type == "AWS::Serverless::SimpleTable":
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        attribute_type = {"String": "S", "Number": "N", "Binary": "B"}[str(key["Type"])]
        props = {
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": attribute_type}],
            "BillingMode": "PROVISIONED" if props.get("ProvisionedThroughput") else "PAY_PER_REQUEST",
            **props,
        }
    request: dict[str, Any] = {"TableName": name, **{key: props[key] for key in _TABLE_KEYS if key in props}}
    request["BillingMode"] = props.get("BillingMode") or (
        "PROVISIONED" if props.get("ProvisionedThroughput") else "PAY_PER_REQUEST"
    )
    if request["BillingMode"] == "PROVISIONED":
        request["ProvisionedThroughput"] = props.get("ProvisionedThroughput") or {
            "ReadCapacityUnits": 5,
            "WriteCapacityUnits": 5,
        }
    indexes = []
    for index in props.get("GlobalSecondaryIndexes") or []:
        index = {key: value for key, value in index.items() if key != "ContributorInsightsSpecification"}
        if request["BillingMode"] == "PROVISIONED":
            index.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        indexes.append(index)
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    sse = props.get("SSESpecification")
    if sse:
        request["SSESpecification"] = {
            "Enabled": str(sse.get("SSEEnabled", False)).lower() == "true",
            **{key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse},
        }
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if props.get("Tags"):
        request["Tags"] = _tags(props)
    dynamodb = clients.get("dynamodb")
    try:
        table = dynamodb.create_table(**request)["TableDescription"]
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
        table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and str(ttl.get("Enabled")).lower() == "true":
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    stack.record(resource.logical_id, Arn=table["TableArn"])
    if table.get("LatestStreamArn"):
        stack.record(resource.logical_id, StreamArn=table["LatestStreamArn"])


def create_bucket(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    name = stack.physical_name(resource.logical_id)
    s3 = clients.get("s3")
    try:
        s3.create_bucket(Bucket=name)
    except ClientError as error:
        if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    if props.get("VersioningConfiguration"):
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if cors:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in cors]})
    lifecycle = (props.get("LifecycleConfiguration") or {}).get("Rules")
    if lifecycle:
        rules = [_lifecycle_rule(rule) for rule in lifecycle]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    encryption = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration")
    if encryption:
        rules = [
            {
                "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                **({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {}),
            }
            for rule in encryption
            if "ServerSideEncryptionByDefault" in rule
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if props.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
        )
    if props.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(props)})
    notifications = notification_configuration(props.get("NotificationConfiguration") or {})
    if notifications:
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=notifications)


def notification_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration in the S3 API's shape (Lambda targets are not delivered)."""
    result: dict[str, Any] = {}
    queues = [
        {"QueueArn": item["Queue"], "Events": [item["Event"]], **_filter(item)}
        for item in cfn.get("QueueConfigurations") or []
    ]
    topics = [
        {"TopicArn": item["Topic"], "Events": [item["Event"]], **_filter(item)}
        for item in cfn.get("TopicConfigurations") or []
    ]
    if queues:
        result["QueueConfigurations"] = queues
    if topics:
        result["TopicConfigurations"] = topics
    if cfn.get("EventBridgeConfiguration"):
        result["EventBridgeConfiguration"] = {}
    return result


def _filter(item: dict[str, Any]) -> dict[str, Any]:
    rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    if not rules:
        return {}
    return {
        "Filter": {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}
    }


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    mapping = {
        "AllowedHeaders": "AllowedHeaders",
        "AllowedMethods": "AllowedMethods",
        "AllowedOrigins": "AllowedOrigins",
        "ExposedHeaders": "ExposeHeaders",
        "Id": "ID",
        "MaxAge": "MaxAgeSeconds",
    }
    return {
        api: (int(rule[cfn]) if api == "MaxAgeSeconds" else rule[cfn])
        for cfn, api in mapping.items()
        if cfn in rule
    }


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if "Id" in rule:
        result["ID"] = rule["Id"]
    result["Filter"] = {"Prefix": rule.get("Prefix", "")}
    if "ExpirationInDays" in rule:
        result["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    transitions = list(rule.get("Transitions") or [])
    if rule.get("Transition"):
        transitions.append(rule["Transition"])
    if transitions:
        result["Transitions"] = [
            {"Days": int(item["TransitionInDays"]), "StorageClass": item["StorageClass"]}
            for item in transitions
            if "TransitionInDays" in item
        ]
    if rule.get("AbortIncompleteMultipartUpload"):
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        result["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    if "NoncurrentVersionExpirationInDays" in rule:
        result["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
        }
    return result
