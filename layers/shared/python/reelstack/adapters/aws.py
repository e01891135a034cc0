"""boto3 clients, built lazily and cached per service.

No endpoint is named here: in AWS the SDK's defaults apply; the local cloud sets `AWS_ENDPOINT_URL`,
which boto3 reads by itself.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    signature_version="s3v4",
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=5,
    read_timeout=60,
    # Checksums only where the caller asks (presigned PUTs carry their own SHA-256).
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)


@cache
def client(service: str) -> Any:
    """A cached client for `service` (thread-safe to share once built)."""
    return boto3.session.Session().client(service, config=_CONFIG)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
