"""One nightly tiering run over every published video, a page at a time, resumable.

The published-index has 16 partitions (`domain.videos.published_bucket`); the state machine maps over
them and, per partition, calls `page` until it returns no cursor. Each page tiers up to `page_size`
videos (`services.storage.tiering`), writes its rows to `reports/tiering/<run_id>/<bucket>/<page>.json` and
returns the cursor and its counts, so a run that stops anywhere resumes from the last cursor (and a
repeated page redoes nothing: the tiering is idempotent). `summarize` adds the pages up into
`reports/tiering/<run_id>/summary.json`.

The re-encode budget (`services.storage.reencode_ledger`): each page decides with the margin the
ledger holds; the summary adds the run's re-encode compute and its uploads' twins to the ledger,
which sets the next night's margin (a dry run leaves the ledger alone).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any, Protocol

from reelstack.adapters.repositories import VideoPage
from reelstack.domain.videos import PUBLISHED_BUCKETS
from reelstack.services.storage.reencode_ledger import ReencodeLedger
from reelstack.services.storage.tiering import TieringService

REPORTS = "reports/tiering"
# reencodes: REENCODE decisions; reencodes_started: heat executions this run started (not already there)
COUNTED = ("videos", "skipped", "moved_objects", "dropped_objects", "reencodes", "reencodes_started")
# the re-encode budget's spend (re-encodes started) and income (twins of the night's uploads), $
DOLLARS = ("reencode_compute_usd", "uploads_twins_usd")


class PublishedVideos(Protocol):
    def published_page(self, bucket: str, limit: int, cursor: str | None) -> VideoPage: ...


class Reports(Protocol):
    def put_bytes(self, key: str, body: bytes, content_type: str) -> None: ...
    def list_objects(self, prefix: str) -> Any: ...
    def read(self, key: str) -> bytes: ...


def buckets() -> list[str]:
    """Every published-index partition, for the state machine's Map."""
    return [f"published#{index:02d}" for index in range(PUBLISHED_BUCKETS)]


class TieringRun:
    def __init__(
        self,
        videos: PublishedVideos,
        tiering: TieringService,
        reports: Reports,
        page_size: int = 100,
        ledger: ReencodeLedger | None = None,
    ) -> None:
        self.videos = videos
        self.tiering = tiering
        self.reports = reports
        self.page_size = page_size
        self.ledger = ledger  # None: the policy's own margin, nothing recorded

    def page(
        self, run_id: str, bucket: str, cursor: str | None, page_number: int, dry_run: bool
    ) -> dict[str, Any]:
        """Tier one page of a partition: `{run_id, bucket, cursor, page, dry_run, counts}`."""
        page = self.videos.published_page(bucket, self.page_size, cursor)
        if self.ledger is not None:
            self.tiering.policy = replace(self.tiering.policy, reencode_margin=self.ledger.margin())
        rows = [self.tiering.run(video, dry_run=dry_run).to_dict() for video in page.videos]
        counts = {
            "videos": len(rows),
            "skipped": sum(1 for row in rows if row["skipped"]),
            "moved_objects": sum(row["moved_objects"] for row in rows),
            "dropped_objects": sum(row["dropped_objects"] for row in rows),
            "reencodes": sum(1 for row in rows if row["reencode"]),
            "reencodes_started": sum(1 for row in rows if row["reencode_started"]),
            "tiers": dict(Counter(row["tier"] for row in rows if row["tier"])),
            **{name: round(sum(float(row[name]) for row in rows), 6) for name in DOLLARS},
            "margin": self.tiering.policy.reencode_margin,
        }
        body = {
            "run_id": run_id,
            "bucket": bucket,
            "page": page_number,
            "dry_run": dry_run,
            "counts": counts,
            "videos": rows,
        }
        key = f"{REPORTS}/{run_id}/{bucket.replace('#', '-')}/{page_number:06d}.json"
        self.reports.put_bytes(key, json.dumps(body, indent=1).encode(), "application/json")
        return {
            "run_id": run_id,
            "bucket": bucket,
            "cursor": page.cursor,
            "page": page_number + 1,
            "dry_run": dry_run,
            "counts": counts,
        }

    def summarize(self, run_id: str, dry_run: bool) -> dict[str, Any]:
        """Every page's counts added up, written as the run's summary (what operators read)."""
        totals: Counter[str] = Counter()
        dollars = dict.fromkeys(DOLLARS, 0.0)
        tiers: Counter[str] = Counter()
        pages = 0
        for item in self.reports.list_objects(f"{REPORTS}/{run_id}/"):
            if item.key.endswith("/summary.json"):
                continue
            counts = json.loads(self.reports.read(item.key))["counts"]
            totals.update({name: int(counts.get(name, 0)) for name in COUNTED})
            tiers.update(counts.get("tiers", {}))
            for name in DOLLARS:
                dollars[name] += float(counts.get(name, 0.0))
            pages += 1
        summary = {
            "run_id": run_id,
            "dry_run": dry_run,
            "pages": pages,
            **{n: totals[n] for n in COUNTED},
            "tiers": dict(tiers),
            **{name: round(value, 6) for name, value in dollars.items()},
        }
        if self.ledger is not None and not dry_run:
            state = self.ledger.record_night(run_id, *(dollars[name] for name in DOLLARS))
            summary["pacing"] = {k: state[k] for k in ("margin", "window_spent_usd", "window_budget_usd")}
        key = f"{REPORTS}/{run_id}/summary.json"
        self.reports.put_bytes(key, json.dumps(summary, indent=1).encode(), "application/json")
        return {**summary, "report": key}
