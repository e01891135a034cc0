"""boto3 clients, built lazily and cached per service, with the process's timeouts and retry budget.

No endpoint is named here: in AWS the SDK's defaults apply; the local cloud sets `AWS_ENDPOINT_URL`,
which boto3 reads by itself. How long a call may wait and how often it is tried come from
`SdkSettings` (the template sets them per function family: the API fails fast, workers are patient).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from reelstack.settings import SdkSettings, sdk_settings


def client_config(settings: SdkSettings) -> Config:
    """Connect and read timeouts and a standard-mode retry budget (`total_max_attempts`: first try included)."""
    return Config(
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": settings.sdk_max_attempts},
        connect_timeout=settings.sdk_connect_timeout_seconds,
        read_timeout=settings.sdk_read_timeout_seconds,
        # Checksums only where the caller asks (presigned PUTs carry their own SHA-256).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


@cache
def client(service: str) -> Any:
    """A cached client for `service` (thread-safe to share once built)."""
    return boto3.session.Session().client(service, config=client_config(sdk_settings()))


@cache
def accelerated_s3_client() -> Any:
    """An S3 client whose URLs name S3 Transfer Acceleration's endpoint (`<bucket>.s3-accelerate.amazonaws.com`):
    a client far from the bucket's region sends its bytes to the nearest edge location, which carries
    them over AWS's network. Only for presigning: the bucket must have acceleration enabled."""
    config = client_config(sdk_settings()).merge(Config(s3={"use_accelerate_endpoint": True}))
    return boto3.session.Session().client("s3", config=config)


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, or '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
