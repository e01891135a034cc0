"""boto3 clients pointed at a local cloud's AWS endpoint, with its fake credentials."""

from __future__ import annotations

import threading
from typing import Any

from reelstack_tools.localcloud.local_env import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY


def make_client(service: str, endpoint: str, config: Any = None, **kwargs: Any) -> Any:
    """A new boto3 client for `service` (S3 clients sign with SigV4 and use path-style addressing)."""
    import boto3
    from botocore.config import Config

    if service == "s3":
        s3_config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        config = s3_config if config is None else s3_config.merge(config)
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=config,
        **kwargs,
    )


class Clients:
    """The cloud's own clients, one per service, created once and shared between threads."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                config = Config(
                    retries={"max_attempts": 2, "mode": "standard"}, read_timeout=910, max_pool_connections=64
                )
                self._clients[service] = make_client(service, self.endpoint, config)
            return self._clients[service]
