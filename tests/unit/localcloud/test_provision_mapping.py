"""CloudFormation property shapes translated to the AWS API shapes, and state machine substitutions."""

from __future__ import annotations

import json

from reelstack_tools.localcloud.provision_storage import notification_configuration
from reelstack_tools.localcloud.provision_workflows import substitute


def test_bucket_notifications_use_the_s3_api_names() -> None:
    cfn = {
        "QueueConfigurations": [
            {
                "Event": "s3:ObjectCreated:*",
                "Queue": "arn:aws:sqs:us-east-1:123456789012:ingest",
                "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "originals/"}]}},
            }
        ],
        "LambdaConfigurations": [{"Event": "s3:ObjectCreated:*", "Function": "arn:aws:lambda:..."}],
    }
    assert notification_configuration(cfn) == {
        "QueueConfigurations": [
            {
                "QueueArn": "arn:aws:sqs:us-east-1:123456789012:ingest",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "originals/"}]}},
            }
        ]
    }


def test_definition_substitutions_replace_only_declared_names() -> None:
    text = json.dumps({"Resource": "${FnArn}", "Comment": "${Unknown} stays", "Quote": "${Q}"})
    result = json.loads(
        substitute(text, {"FnArn": "arn:aws:lambda:us-east-1:123456789012:function:F", "Q": 'say "hi"'})
    )
    assert result == {
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:F",
        "Comment": "${Unknown} stays",
        "Quote": 'say "hi"',
    }
