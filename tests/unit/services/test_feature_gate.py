"""The feature gate: a flag's value for one request, the released value without a store or when the
store has no answer, and a 404 for a route not rolled out to the caller."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.release.flags import bucket_of
from reelstack.errors import NotFound
from reelstack.services.release.gates import FeatureGate


class TenPercent:
    """A store whose document rolls every flag out to the lowest 10 % of buckets."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []

    def evaluate(self, name: str, context: dict[str, Any], default: Any) -> Any:
        self.contexts.append(context)
        return context["bucket"] < 1000


def test_without_a_store_every_flag_is_released() -> None:
    # GIVEN no flag store WHEN flags are read THEN each has its released value
    gate = FeatureGate(None)
    assert gate.enabled("comments", "alice", None)
    assert gate.value("ranker_version", "alice", "BR") == ""


def test_a_route_outside_the_callers_rollout_is_refused_as_not_found() -> None:
    # GIVEN a 10 % rollout and users on either side of it
    store = TenPercent()
    gate = FeatureGate(store)
    inside = next(f"u{n}" for n in range(10_000) if bucket_of("shares", f"u{n}") < 1000)
    outside = next(f"u{n}" for n in range(10_000) if bucket_of("shares", f"u{n}") >= 1000)
    # WHEN each asks for the route THEN only the one outside is refused, with its code
    gate.require("shares", inside, "DE")
    with pytest.raises(NotFound) as refused:
        gate.require("shares", outside, "DE")
    assert refused.value.code == "feature_disabled"
    # AND the store saw the user's bucket for that flag and the region
    assert store.contexts[0] == {"user_id": inside, "bucket": bucket_of("shares", inside), "region": "DE"}
