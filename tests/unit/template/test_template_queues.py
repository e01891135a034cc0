"""Queues and the S3 -> SQS -> Lambda path: partial batch failures, redrive to a DLQ, and an S3
notification the queue policy admits."""

from __future__ import annotations

from typing import Any

from template_support import queue_logical_id, resources_of_type

SIX_TIMES = 6


def _sqs_event_sources(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    sources = []
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for event_name, event in function["Properties"].get("Events", {}).items():
            if event["Type"] == "SQS":
                sources.append((name, event_name, event["Properties"]))
    return sources


def test_every_sqs_event_source_reports_batch_item_failures(template: dict[str, Any]) -> None:
    """GIVEN each SQS event source WHEN its properties are read THEN it reports partial batch failures."""
    sources = _sqs_event_sources(template)

    assert sources
    for function, event, properties in sources:
        assert properties.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], (function, event)


def test_every_consumed_queue_redrives_to_a_dead_letter_queue(template: dict[str, Any]) -> None:
    """GIVEN each queue a function consumes
    WHEN its RedrivePolicy is read
    THEN it names another queue of the template, which keeps messages longer than the source does."""
    queues = resources_of_type(template, "AWS::SQS::Queue")
    for function, event, properties in _sqs_event_sources(template):
        source_id = queue_logical_id(properties["Queue"])
        source = queues[source_id]["Properties"]
        redrive = source.get("RedrivePolicy")
        assert redrive, f"{source_id} (consumed by {function}.{event}) has no RedrivePolicy"
        dlq_id = queue_logical_id(redrive["deadLetterTargetArn"])
        assert dlq_id in queues and dlq_id != source_id
        assert int(redrive["maxReceiveCount"]) >= 1
        dlq = queues[dlq_id]["Properties"]
        # A message keeps its first enqueue time in the DLQ: the DLQ must keep it longer.
        assert dlq["MessageRetentionPeriod"] > source.get("MessageRetentionPeriod", 345600), dlq_id


def test_visibility_timeout_covers_six_function_timeouts(template: dict[str, Any]) -> None:
    """GIVEN each consumed queue and its consumer WHEN their timeouts are compared
    THEN the queue hides a message for at least six times the function timeout plus the batching
    window (Lambda's guidance: else a message still in a forming batch is handed out again)."""
    global_timeout = template["Globals"]["Function"]["Timeout"]
    queues = resources_of_type(template, "AWS::SQS::Queue")
    functions = resources_of_type(template, "AWS::Serverless::Function")
    for function, _event, properties in _sqs_event_sources(template):
        timeout = functions[function]["Properties"].get("Timeout", global_timeout)
        queue = queues[queue_logical_id(properties["Queue"])]["Properties"]
        window = properties.get("MaximumBatchingWindowInSeconds", 0)
        assert queue["VisibilityTimeout"] >= SIX_TIMES * timeout + window, function


def test_every_queue_is_encrypted(template: dict[str, Any]) -> None:
    """GIVEN each queue WHEN its properties are read THEN SQS-managed SSE (or a KMS key) is on."""
    for name, queue in resources_of_type(template, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, name


def test_new_originals_and_avatar_uploads_notify_their_queues(template: dict[str, Any]) -> None:
    """GIVEN the media bucket WHEN its notifications are read
    THEN every object created under originals/ is sent to IngestQueue and under avatar-uploads/ to
    AvatarQueue, after the queues' policies exist."""
    bucket = template["Resources"]["MediaBucket"]
    notifications = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]

    routed = {
        notification["Filter"]["S3Key"]["Rules"][0]["Value"]: queue_logical_id(notification["Queue"])
        for notification in notifications
    }
    assert all(notification["Event"] == "s3:ObjectCreated:*" for notification in notifications)
    assert all(len(notification["Filter"]["S3Key"]["Rules"]) == 1 for notification in notifications)
    assert routed == {"originals/": "IngestQueue", "avatar-uploads/": "AvatarQueue"}
    assert {"IngestQueuePolicy", "AvatarQueuePolicy"} <= set(bucket["DependsOn"])


def test_queue_policy_admits_exactly_the_media_bucket(template: dict[str, Any]) -> None:
    """GIVEN the bucket's explicit name and the queue policy's aws:SourceArn
    WHEN both are compared (the policy cannot Ref the bucket: that would be circular)
    THEN the ARN is built from the same name expression, and the account is pinned."""
    bucket_name = template["Resources"]["MediaBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    for queue in ("IngestQueue", "AvatarQueue"):
        policy = template["Resources"][f"{queue}Policy"]["Properties"]
        (statement,) = policy["PolicyDocument"]["Statement"]
        source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]

        assert policy["Queues"] == [{"Ref": queue}]
        assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        assert source_arn[0] == "arn:${AWS::Partition}:s3:::" + bucket_name[0]
        assert source_arn[1] == bucket_name[1]
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
