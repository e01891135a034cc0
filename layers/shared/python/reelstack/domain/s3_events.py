"""S3 event notifications (as SQS delivers them) read into the objects they announce as created (pure).

`s3:TestEvent` (sent when notifications are configured) and events other than ObjectCreated announce
nothing; keys arrive URL-encoded (`+` for a space) and are decoded here. Anything that is not an S3
notification is 400 `invalid_s3_event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from reelstack.errors import InvalidRequest


@dataclass(frozen=True)
class CreatedObject:
    bucket: str
    key: str
    size: int
    etag: str


def created_objects(body: Any) -> list[CreatedObject]:
    if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        return []
    records = body.get("Records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise InvalidRequest("not an S3 event notification", code="invalid_s3_event")
    created = []
    for record in records:
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        created.append(
            CreatedObject(
                bucket=s3["bucket"]["name"],
                key=unquote_plus(s3["object"]["key"]),
                size=int(s3["object"].get("size", 0)),
                etag=str(s3["object"].get("eTag", "")),
            )
        )
    return created
