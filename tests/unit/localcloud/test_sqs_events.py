"""Lambda's SQS event records, and which messages stay on the queue after an invocation."""

from __future__ import annotations

import json

from reelstack_tools.localcloud.pool import InvokeResult
from reelstack_tools.localcloud.sqs_poller import batch_window, failed_ids, newest_receipts, sqs_record

ARN = "arn:aws:sqs:us-east-1:123456789012:work"


def test_a_record_has_lambdas_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "rh",
        "Body": "hello",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "s",
            "ApproximateFirstReceiveTimestamp": "2",
        },
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": "x"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x01"},
        },
        "MD5OfMessageAttributes": "abc",
    }
    record = sqs_record(message, ARN)
    assert (record["messageId"], record["receiptHandle"], record["body"]) == ("m1", "rh", "hello")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "x",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["raw"]["binaryValue"] == "AQ=="
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        ARN,
        "us-east-1",
    )
    assert record["md5OfMessageAttributes"] == "abc"


def result(payload: object, error_type: str | None = None) -> InvokeResult:
    return InvokeResult(json.dumps(payload).encode(), "r", error_type)


def test_which_messages_stay() -> None:
    ids = {"a", "b", "c"}
    # a function error keeps the whole batch; success without reporting deletes all
    assert failed_ids(result({"errorType": "X"}, "X"), ids, True) == ids
    assert failed_ids(result(None), ids, False) == set()
    # partial failures keep only the reported ones; an empty report is full success
    assert failed_ids(result({"batchItemFailures": [{"itemIdentifier": "b"}]}), ids, True) == {"b"}
    assert failed_ids(result({"batchItemFailures": []}), ids, True) == set()
    assert failed_ids(result(None), ids, True) == set()
    # a malformed report (unknown or empty id) fails the whole batch, as Lambda does
    assert failed_ids(result({"batchItemFailures": [{"itemIdentifier": "zzz"}]}), ids, True) == ids
    assert failed_ids(result({"batchItemFailures": [{"itemIdentifier": ""}]}), ids, True) == ids


def test_a_message_received_twice_in_one_window_is_in_the_batch_once_with_its_newest_receipt() -> None:
    # GIVEN a window's receives where m1 came back (visibility shorter than the window)
    received = [
        {"MessageId": "m1", "ReceiptHandle": "old"},
        {"MessageId": "m2", "ReceiptHandle": "r2"},
        {"MessageId": "m1", "ReceiptHandle": "new"},
    ]
    # WHEN the batch is formed THEN each message is in it once, m1 with the receipt that can delete it
    assert newest_receipts(received) == [
        {"MessageId": "m2", "ReceiptHandle": "r2"},
        {"MessageId": "m1", "ReceiptHandle": "new"},
    ]


def test_a_batch_stops_filling_before_its_first_message_could_come_back() -> None:
    # GIVEN a 5 s batching window WHEN the queue hides messages for 185 s THEN the window is whole;
    # WHEN it hides them for 2 s (the test cloud's cap) THEN the batch closes half a second before
    assert batch_window(5.0, 185.0) == 5.0
    assert batch_window(5.0, 2.0) == 1.5
    assert batch_window(0.0, 2.0) == 0.0
    assert batch_window(5.0, 0.0) == 0.0
