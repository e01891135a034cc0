"""`<state_dir>/cloud.json`: how tools and tests find a running local cloud. This module owns its
schema (`describe`) and writes it atomically.

Schema (all URLs without a trailing slash):
  ready (bool), pid, started_at, startup_seconds, template, state_dir, logs_dir, region, account_id,
  credentials {aws_access_key_id, aws_secret_access_key}, aws_endpoint, api_url, redis_url,
  search_url (str|null: the OpenSearch node, when the template declares a search domain), control_url, issuer, jwks_url, audience, user_pool_id, client_id, signing_key,
  visibility_timeout_cap (int|null), pids {cloud, redis, search},
  resources {logical_id: {type, name, arn?, url?, stream_arn?, id?}},
  routes [{method, path, function}], event_sources [{function, queue_arn, batch_size}],
  schedules [{name, logical_id, expression, enabled}], sagemaker_endpoints [name], unsupported [text]
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelstack_tools.localcloud.local_env import ACCESS_KEY_ID, ACCOUNT_ID, REGION, SECRET_ACCESS_KEY

if TYPE_CHECKING:
    from reelstack_tools.localcloud.api_routes import Route
    from reelstack_tools.localcloud.scheduler import ScheduleSpec
    from reelstack_tools.localcloud.sqs_poller import SqsMapping
    from reelstack_tools.localcloud.stack import Stack
    from reelstack_tools.tokens import IssuerState

CLOUD_FILE = "cloud.json"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$REELSTACK_STATE_DIR`, else `.reelstack` in the working directory (`reelstack up` and its clients)."""
    env = os.environ if env is None else env
    return Path(env.get("REELSTACK_STATE_DIR") or ".reelstack")


def path(state_dir: Path) -> Path:
    return state_dir / CLOUD_FILE


def write(state_dir: Path, info: dict[str, Any]) -> Path:
    target = path(state_dir)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(temporary, target)
    return target


def read(state_dir: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def describe(
    *,
    stack: Stack,
    state_dir: Path,
    logs_dir: Path,
    aws_endpoint: str,
    api_url: str,
    redis_url: str,
    redis_pid: int | None,
    search_url: str | None,
    search_pid: int | None,
    issuer: IssuerState,
    visibility_timeout_cap: int | None,
    routes: Sequence[Route],
    mappings: Sequence[SqsMapping],
    schedules: Sequence[ScheduleSpec],
    model_endpoints: Sequence[str],
    unsupported: Sequence[str],
) -> dict[str, Any]:
    """The content of cloud.json for a cloud that is about to be ready (`ready` is set by the caller)."""
    resources = {
        logical_id: stack.describe(logical_id)
        for logical_id in stack.template.resources
        if stack.active(logical_id)
    }
    return {
        "ready": False,
        "pid": os.getpid(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "template": str(stack.template.path),
        "state_dir": str(state_dir),
        "logs_dir": str(logs_dir),
        "region": REGION,
        "account_id": ACCOUNT_ID,
        "credentials": {"aws_access_key_id": ACCESS_KEY_ID, "aws_secret_access_key": SECRET_ACCESS_KEY},
        "aws_endpoint": aws_endpoint,
        "api_url": api_url,
        "redis_url": redis_url,
        "search_url": search_url,
        "control_url": f"{aws_endpoint}/_localcloud",
        "issuer": issuer.issuer,
        "jwks_url": f"{issuer.issuer}/.well-known/jwks.json",
        "audience": issuer.audience,
        "user_pool_id": issuer.user_pool_id,
        "client_id": issuer.client_id,
        "signing_key": str(issuer.signing_key),
        "visibility_timeout_cap": visibility_timeout_cap,
        "pids": {"cloud": os.getpid(), "redis": redis_pid, "search": search_pid},
        "resources": resources,
        "routes": [
            {"method": route.method, "path": route.path, "function": route.function} for route in routes
        ],
        "event_sources": [
            {"function": mapping.function, "queue_arn": mapping.queue_arn, "batch_size": mapping.batch_size}
            for mapping in mappings
        ],
        "schedules": [
            {
                "name": spec.name,
                "logical_id": spec.logical_id,
                "expression": spec.expression,
                "enabled": spec.enabled,
            }
            for spec in schedules
        ],
        "sagemaker_endpoints": list(model_endpoints),
        "unsupported": list(unsupported),
    }
