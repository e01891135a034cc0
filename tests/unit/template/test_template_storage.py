"""The media bucket and the tables: private, encrypted, recoverable, and cleaned of abandoned uploads."""

from __future__ import annotations

from typing import Any

from template_support import resources_of_type


def test_media_bucket_is_private_and_encrypted(template: dict[str, Any]) -> None:
    """GIVEN the media bucket WHEN its access settings are read
    THEN public access is blocked, ACLs are off, objects are encrypted at rest."""
    properties = template["Resources"]["MediaBucket"]["Properties"]
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]

    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


def test_media_bucket_denies_plain_http(template: dict[str, Any]) -> None:
    """GIVEN the bucket policy WHEN read THEN requests without TLS are denied on the bucket and its objects."""
    policy = template["Resources"]["MediaBucketPolicy"]["Properties"]
    (statement,) = [
        s for s in policy["PolicyDocument"]["Statement"] if s.get("Sid") == "DenyInsecureTransport"
    ]

    assert policy["Bucket"] == {"Ref": "MediaBucket"}
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [
        {"Fn::GetAtt": ["MediaBucket", "Arn"]},
        {"Fn::Sub": "${MediaBucket.Arn}/*"},
    ]


def test_abandoned_uploads_are_cleaned_up(template: dict[str, Any]) -> None:
    """GIVEN the bucket lifecycle WHEN its rules are read
    THEN incomplete multipart uploads are aborted after a day and staged chunks expire after two."""
    rules = template["Resources"]["MediaBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_id = {rule["Id"]: rule for rule in rules}

    abort = by_id["AbortIncompleteMultipartUploads"]
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "Prefix" not in abort and "Filter" not in abort
    staging = by_id["ExpireStagedChunks"]
    assert staging["Prefix"] == "staging/" and staging["ExpirationInDays"] == 2
    assert all(rule["Status"] == "Enabled" for rule in rules)


def test_browsers_can_put_chunks_and_read_their_etags(template: dict[str, Any]) -> None:
    """GIVEN the bucket CORS rule WHEN read THEN PUT is allowed and ETag is exposed (multipart completion)."""
    (rule,) = template["Resources"]["MediaBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]

    assert {"PUT", "GET", "HEAD"} <= set(rule["AllowedMethods"])
    assert "ETag" in rule["ExposedHeaders"]


def test_tables_are_on_demand_encrypted_and_recoverable(template: dict[str, Any]) -> None:
    """GIVEN each table WHEN read THEN it is PAY_PER_REQUEST with SSE and point-in-time recovery."""
    tables = resources_of_type(template, "AWS::DynamoDB::Table")

    assert set(tables) == {
        "UploadsTable",
        "VideosTable",
        "WaitingTasksTable",
        "NotificationsTable",
        "LikesTable",
        "LikeCountersTable",
        "PlayDailyStatsTable",
        "InterestsTable",
        "UsersTable",
        "FollowsTable",
        "SocialCountersTable",
        "CommentsTable",
        "SharesTable",
    }
    for name, table in tables.items():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST", name
        assert properties["SSESpecification"] == {"SSEEnabled": True}, name
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name


def test_table_keys_and_indexes(template: dict[str, Any]) -> None:
    """GIVEN the tables WHEN their keys are read
    THEN uploads are keyed by upload_id and expire by TTL; videos are keyed by video_id and listed by
    owner, the published ones by partition, and those with an event in the outbox by due time."""
    uploads = template["Resources"]["UploadsTable"]["Properties"]
    videos = template["Resources"]["VideosTable"]["Properties"]
    index, published, outbox = videos["GlobalSecondaryIndexes"]

    assert uploads["KeySchema"] == [{"AttributeName": "upload_id", "KeyType": "HASH"}]
    assert uploads["TimeToLiveSpecification"] == {"AttributeName": "expires_at_epoch", "Enabled": True}
    assert videos["KeySchema"] == [{"AttributeName": "video_id", "KeyType": "HASH"}]
    assert index["IndexName"] == "owner-created-index"
    assert index["KeySchema"] == [
        {"AttributeName": "owner", "KeyType": "HASH"},
        {"AttributeName": "created_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    # Published videos, 16 partitions by video (the nightly tiering pages through them).
    assert published["IndexName"] == "published-index"
    assert published["KeySchema"] == [
        {"AttributeName": "published_bucket", "KeyType": "HASH"},
        {"AttributeName": "published_at", "KeyType": "RANGE"},
    ]
    # The outbox (sparse): only videos with an event to deliver, keys only (the sweeper reads the item).
    assert outbox["IndexName"] == "outbox-index"
    assert outbox["KeySchema"] == [
        {"AttributeName": "outbox_shard", "KeyType": "HASH"},
        {"AttributeName": "outbox_due", "KeyType": "RANGE"},
    ]
    assert outbox["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    for properties in (uploads, videos):
        declared = {
            attribute["AttributeName"]: attribute["AttributeType"]
            for attribute in properties["AttributeDefinitions"]
        }
        keys = {key["AttributeName"] for key in properties["KeySchema"]}
        keys |= {
            key["AttributeName"]
            for gsi in properties.get("GlobalSecondaryIndexes", [])
            for key in gsi["KeySchema"]
        }
        assert set(declared) == keys and set(declared.values()) == {"S"}
