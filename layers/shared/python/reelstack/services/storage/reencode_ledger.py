"""The re-encode budget's ledger: the nights' spend and uploads, and the margin the next night uses.

One small JSON object, `reports/tiering/pacing.json`:
`{"margin": m, "nights": [{"run_id", "spent_usd", "uploads_twins_usd"}, ...]}` (the last
`window_days` nights, oldest first). Each tiering page reads the margin (`margin`); the run's summary
appends its night and writes the next margin (`record_night`, `domain.storage.reencode_pacing`).
A dry run records nothing. A second summary of the same run replaces its night rather than adding
it twice, so the margin moves once per run.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from reelstack.domain.storage.reencode_pacing import ReencodePacing, budget, next_margin
from reelstack.errors import NotFound

LEDGER_KEY = "reports/tiering/pacing.json"


class LedgerStore(Protocol):
    def read(self, key: str) -> bytes: ...  # NotFound when there is no such object
    def put_bytes(self, key: str, body: bytes, content_type: str) -> None: ...


class ReencodeLedger:
    def __init__(self, store: LedgerStore, pacing: ReencodePacing, initial_margin: float = 0.0) -> None:
        self.store = store
        self.pacing = pacing
        self.initial_margin = initial_margin

    def state(self) -> dict[str, Any]:
        """The stored ledger, or an empty one (the initial margin: the break-even) before the first night."""
        try:
            state: dict[str, Any] = json.loads(self.store.read(LEDGER_KEY))
        except NotFound:
            return {"margin": self.initial_margin, "nights": []}
        state["margin"] = float(state.get("margin", self.initial_margin))
        state["nights"] = list(state.get("nights", []))
        return state

    def margin(self) -> float:
        """Tonight's `RoiPolicy.reencode_margin`."""
        return float(self.state()["margin"])

    def record_night(self, run_id: str, spent_usd: float, uploads_twins_usd: float) -> dict[str, Any]:
        """Add the night (or replace it, for a repeated summary) and set the next margin; the new state."""
        state = self.state()
        nights = [n for n in state["nights"] if n.get("run_id") != run_id]
        repeated = len(nights) != len(state["nights"])
        previous = (
            float(state.get("previous_margin", state["margin"])) if repeated else float(state["margin"])
        )
        nights.append(
            {
                "run_id": run_id,
                "spent_usd": round(spent_usd, 6),
                "uploads_twins_usd": round(uploads_twins_usd, 6),
            }
        )
        nights = nights[-self.pacing.window_days :]
        spent = sum(float(n["spent_usd"]) for n in nights)
        allowed = budget(self.pacing, sum(float(n["uploads_twins_usd"]) for n in nights))
        new = {
            "margin": next_margin(previous, spent, allowed, self.pacing),
            "previous_margin": previous,
            "window_spent_usd": round(spent, 6),
            "window_budget_usd": round(allowed, 6),
            "nights": nights,
        }
        self.store.put_bytes(LEDGER_KEY, json.dumps(new, indent=1).encode(), "application/json")
        return new
