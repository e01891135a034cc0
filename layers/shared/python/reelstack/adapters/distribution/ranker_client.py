"""Scoring a viewer's candidates with the ranker (DeepFM) behind its SageMaker endpoint.

One InvokeEndpoint per page: the viewer's profile, the request's context, and every candidate (the
request format of infra/ranker/inference.py). The client has its own short timeouts and no retry:
the feed has a time budget, and a late or failed answer means the fallback order, not a wait.
Any failure (endpoint missing or down, throttled, timed out, a malformed answer) raises
`RankerUnavailable` with what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reelstack.errors import DependencyFailed


class RankerUnavailable(DependencyFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="ranker_unavailable")


def runtime_client(timeout_s: float) -> Any:
    """A sagemaker-runtime client that gives up after `timeout_s` and never retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    return boto3.client("sagemaker-runtime", config=config)


class RankerClient:
    def __init__(self, endpoint: str, *, timeout_s: float = 0.25, client: Any = None) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = runtime_client(self.timeout_s)
        return self._client

    def score(
        self, user: Mapping[str, Any], context: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[float]:
        """One probability per candidate, in their order."""
        if not candidates:
            return []
        body = json.dumps({"user": user, "context": context, "candidates": list(candidates)})
        try:
            answer = self.client.invoke_endpoint(
                EndpointName=self.endpoint,
                ContentType="application/json",
                Accept="application/json",
                Body=body,
            )
            scores = json.loads(answer["Body"].read())["scores"]
        except Exception as exc:  # the SDK's errors, timeouts, a bad answer: all mean "no ranking now"
            raise RankerUnavailable(f"ranker {self.endpoint}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(scores, list) or len(scores) != len(candidates):
            raise RankerUnavailable(
                f"ranker {self.endpoint} answered {len(scores)} scores for {len(candidates)}"
            )
        return [float(score) for score in scores]
