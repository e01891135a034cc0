"""SQS event source mappings: poll a queue, invoke the function with Lambda's SQS event, delete what
succeeded.

As Lambda does: batches of up to BatchSize gathered within MaximumBatchingWindowInSeconds; on
success every message is deleted, or with ReportBatchItemFailures every message but the reported
ones; on a function error none is (they come back after the visibility timeout, and the queue's
redrive policy moves them to the dead-letter queue after maxReceiveCount). FilterCriteria drop
(delete) messages that match no filter, without invoking.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.eventbridge import compile_pattern, parse_pattern
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, LOG, REGION
from reelstack_tools.localcloud.naming import function_name
from reelstack_tools.localcloud.pool import CloudStopping, InvokeResult
from reelstack_tools.localcloud.runtime import LambdaRuntime
from reelstack_tools.localcloud.stack import Stack

log = logging.getLogger(LOG)

POLL_WAIT_SECONDS = 1
FILL_INTERVAL = 0.05  # seconds between short polls in the last second of a batching window
DEFAULT_POLLERS = 2


@dataclass(frozen=True)
class SqsMapping:
    function: str
    queue_arn: str
    batch_size: int = 10
    window_seconds: float = 0.0
    report_batch_item_failures: bool = False
    pollers: int = DEFAULT_POLLERS
    enabled: bool = True
    filters: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[1]


VISIBILITY_MARGIN_SECONDS = 0.5


def batch_window(window_s: float, visibility_s: float) -> float:
    """How long a batch may keep filling: the mapping's window, but never until its first message
    could be received again. The template keeps visibility >= 6 x timeout + window, as Lambda asks;
    the test cloud caps visibility at 2 s (quick retries), which would otherwise hand a message of a
    forming batch to a second batch."""
    return max(0.0, min(window_s, visibility_s - VISIBILITY_MARGIN_SECONDS))


def newest_receipts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per message, its newest receipt kept. A message can come back *within* a batching
    window when its visibility timeout is shorter than the window (the test cloud caps visibility
    timeouts at 2 s); Lambda would not hand one message twice in one batch, so neither do we."""
    newest: dict[str, dict[str, Any]] = {}
    for message in messages:
        newest.pop(message["MessageId"], None)
        newest[message["MessageId"]] = message
    return list(newest.values())


def _mapping(function: str, props: dict[str, Any], queue_arn: str) -> SqsMapping:
    scaling = props.get("ScalingConfig") or {}
    filters = tuple(
        parse_pattern(item.get("Pattern"))
        for item in (props.get("FilterCriteria") or {}).get("Filters") or []
    )
    return SqsMapping(
        function=function,
        queue_arn=queue_arn,
        batch_size=int(props.get("BatchSize", 10)),
        window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
        report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        pollers=max(1, min(int(scaling.get("MaximumConcurrency", DEFAULT_POLLERS)), DEFAULT_POLLERS)),
        enabled=props.get("Enabled", True) not in (False, "false", "False"),
        filters=filters,
    )


def sqs_mappings(stack: Stack) -> list[SqsMapping]:
    mappings: list[SqsMapping] = []
    for event in stack.events("SQS"):
        mappings.append(_mapping(event.owner_name, event.properties, str(event.properties["Queue"])))
    for resource in stack.resources("AWS::Lambda::EventSourceMapping"):
        props = stack.properties(resource.logical_id)
        source = str(props.get("EventSourceArn", ""))
        if source.startswith("arn:aws:sqs:"):
            mappings.append(_mapping(function_name(str(props["FunctionName"])), props, source))
    return mappings


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of Lambda's SQS event, from a ReceiveMessage result."""
    attributes = dict(message.get("Attributes") or {})
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        message_attributes[name] = entry
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_ids(result: InvokeResult, message_ids: set[str], report_failures: bool) -> set[str]:
    """Which messages of the batch stay on the queue after this invocation."""
    if result.error_type:
        return set(message_ids)
    if not report_failures:
        return set()
    try:
        response = result.json()
    except ValueError:
        return set(message_ids)
    if not isinstance(response, dict):
        return set()
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    failed = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in message_ids:
            return set(message_ids)  # Lambda treats a malformed report as a failure of the whole batch
        failed.add(identifier)
    return failed


class SqsPoller:
    def __init__(self, mapping: SqsMapping, runtime: LambdaRuntime, clients: Clients) -> None:
        self.mapping = mapping
        self._runtime = runtime
        self._sqs = clients.get("sqs")
        self._queue_url = f"{clients.endpoint}/{ACCOUNT_ID}/{mapping.queue_name}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._patterns = [compile_pattern(pattern) for pattern in mapping.filters]
        self._visibility_s: float | None = None
        self._paused = threading.Event()

    @property
    def function(self) -> str:
        return self.mapping.function

    def pause(self) -> None:
        """Stop receiving (an in-flight batch finishes): the queue's messages wait, as with a disabled
        event source mapping."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def start(self) -> None:
        for index in range(self.mapping.pollers):
            thread = threading.Thread(
                target=self._loop, name=f"sqs-{self.mapping.queue_name}-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _release(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    def _visibility(self) -> float:
        """The queue's visibility timeout (read once; queues do not change it at run time here)."""
        if self._visibility_s is None:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._queue_url, AttributeNames=["VisibilityTimeout"]
            )["Attributes"]
            self._visibility_s = float(attributes.get("VisibilityTimeout", 30))
        return self._visibility_s

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=max(1, min(count, 10)),
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages") or [])

    def _fill(self, count: int, remaining: float) -> list[dict[str, Any]]:
        """One more receive inside the batching window. WaitTimeSeconds is whole seconds: long-poll while a
        second is left, then short polls spaced FILL_INTERVAL apart (not a zero-wait spin that starves moto)."""
        if remaining >= 1.0:
            return self._receive(count, int(min(POLL_WAIT_SECONDS, remaining)))
        if self._stop.wait(min(FILL_INTERVAL, max(0.0, remaining))):
            return []
        return self._receive(count, 0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(0.2)
                continue
            try:
                batch = self._receive(self.mapping.batch_size, POLL_WAIT_SECONDS)
                if not batch:
                    continue
                if self._paused.is_set():  # paused during the long poll: the messages go back
                    self._release(batch)
                    continue
                closes = time.monotonic() + batch_window(self.mapping.window_seconds, self._visibility())
                while (
                    len(batch) < self.mapping.batch_size
                    and time.monotonic() < closes
                    and not self._stop.is_set()
                ):
                    batch = newest_receipts(
                        batch + self._fill(self.mapping.batch_size - len(batch), closes - time.monotonic())
                    )
                self._process(batch)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception(
                    "poller for %s -> %s failed; retrying", self.mapping.queue_name, self.mapping.function
                )
                self._stop.wait(1.0)

    def _process(self, messages: list[dict[str, Any]]) -> None:
        records = [sqs_record(message, self.mapping.queue_arn) for message in messages]
        if self._patterns:
            kept = [record for record in records if self._passes_filters(record)]
            self._delete([record for record in records if record not in kept])
            records = kept
            if not records:
                return
        try:
            result = self._runtime.invoke(self.mapping.function, json.dumps({"Records": records}))
        except CloudStopping:
            return  # the cloud is stopping; the messages come back after their visibility timeout
        stay = failed_ids(
            result, {record["messageId"] for record in records}, self.mapping.report_batch_item_failures
        )
        if result.error_type:
            log.info(
                "%s failed on a batch of %d (%s)", self.mapping.function, len(records), result.error_type
            )
        self._delete([record for record in records if record["messageId"] not in stay])

    def _passes_filters(self, record: dict[str, Any]) -> bool:
        document = dict(record)
        with contextlib.suppress(ValueError):
            document["body"] = json.loads(record["body"])
        return any(pattern.matches_event(document) for pattern in self._patterns)

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                for index, record in enumerate(records[start : start + 10])
            ]
            answer = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            for failure in answer.get("Failed") or []:
                log.warning(
                    "could not delete a processed message from %s (%s: %s); it will be delivered again",
                    self.mapping.queue_name,
                    failure.get("Code"),
                    failure.get("Message"),
                )
