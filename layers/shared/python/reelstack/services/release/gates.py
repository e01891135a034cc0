"""Per-request feature gates: a flag's value for this user in this region (`domain.release.flags`).

Evaluated on every request, never remembered per user: a rollout's change (or its rollback) applies to
the first request after the store's cache lets the new document in.
"""

from __future__ import annotations

from typing import Any, Protocol

from reelstack.domain.release.flags import evaluation_context, flag
from reelstack.errors import NotFound


class Store(Protocol):
    def evaluate(self, name: str, context: dict[str, Any], default: Any) -> Any: ...


class FeatureGate:
    def __init__(self, store: Store | None) -> None:
        self.store = store  # None: no flag store configured, every flag released

    def value(self, flag_name: str, user_id: str, region: str | None) -> Any:
        released = flag(flag_name).released
        if self.store is None:
            return released
        return self.store.evaluate(flag_name, evaluation_context(flag_name, user_id, region), released)

    def enabled(self, flag_name: str, user_id: str, region: str | None) -> bool:
        return bool(self.value(flag_name, user_id, region))

    def require(self, flag_name: str, user_id: str, region: str | None) -> None:
        """Refuse a route whose flag is off for this user: 404, as if it did not exist yet."""
        if not self.enabled(flag_name, user_id, region):
            raise NotFound("this feature is not available to you yet", code="feature_disabled")
