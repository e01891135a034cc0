"""The nightly profile run's steps around the Spark job (the profiles state machine's Lambda tasks).

prepare  -> the run's plan: window, input and output URIs, the job's arguments, its version
(the Spark job runs on EMR Serverless: `emr-serverless:startJobRun.sync`)
parts    -> the part files the job wrote, after checking its success marker
load     -> one part file into DynamoDB, Redis and OpenSearch under the run's version (a Map
            iteration; idempotent, so a retried iteration rewrites the same items)
switch   -> the pointer moves to the new version, only when every row the job wrote is loaded and
            the output did not collapse (`domain.distribution.profile_runs.switch_decision`)
fail     -> a failed run is logged and counted; the pointer never moved, the previous night serves
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from reelstack.domain.distribution.profile_runs import (
    DAILY_STATS_PREFIX,
    MARKER,
    RANKER_CODE_KEY,
    InterestProfile,
    JobSettings,
    Neighbours,
    Part,
    RunPlan,
    neighbours_from_row,
    parts_of,
    plan_run,
    profile_from_row,
    switch_decision,
    training_plan,
)
from reelstack.errors import DependencyFailed, NotFound, ReelstackError
from reelstack.observability import logger


class RunRefused(ReelstackError):
    """The run's output is incomplete or collapsed: it must not be switched to."""

    code = "profile_run_refused"


class LakeObjects(Protocol):
    def list_keys(self, prefix: str) -> list[str]: ...

    def read(self, key: str) -> bytes: ...


class VersionedStore(Protocol):
    def put_profiles(self, version: int, profiles: Sequence[InterestProfile]) -> int: ...

    def put_neighbours(self, version: int, lists: Sequence[Neighbours]) -> int: ...


class PointerTable(VersionedStore, Protocol):
    def switch(self, version: int, profiles: int) -> bool: ...

    def serving_profiles(self) -> int | None: ...


class PointerCache(VersionedStore, Protocol):
    def switch(self, version: int) -> None: ...


class ProfileSearch(Protocol):
    def write(self, version: int, profiles: Sequence[InterestProfile]) -> int: ...

    def prune(self, version: int) -> int: ...


def json_lines(data: bytes, key: str) -> Iterator[Any]:
    """Rows of a Spark JSON part file (gzip when the name says so)."""
    text = (gzip.decompress(data) if key.endswith(".gz") else data).decode("utf-8")
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


class ProfileRuns:
    def __init__(
        self,
        lake: LakeObjects,
        table: PointerTable,
        cache: PointerCache,
        search: ProfileSearch,
        *,
        bucket: str,
        events_prefix: str,
        runs_prefix: str,
        daily_stats_prefix: str = DAILY_STATS_PREFIX,
        job: JobSettings | None = None,
        min_ratio: float = 0.5,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.lake = lake
        self.table = table
        self.cache = cache
        self.search = search
        self.bucket = bucket
        self.events_prefix = events_prefix
        self.runs_prefix = runs_prefix
        self.daily_stats_prefix = daily_stats_prefix
        self.job = job or JobSettings()
        self.min_ratio = min_ratio
        self.clock = clock or (lambda: datetime.now(UTC))

    def prepare(self, run_id: str, as_of: Any = None) -> RunPlan:
        plan = plan_run(
            run_id,
            self.clock(),
            self.bucket,
            self.events_prefix,
            self.runs_prefix,
            self.job,
            as_of,
            daily_stats_prefix=self.daily_stats_prefix,
        )
        logger.info("profile run planned", extra=plan.to_dict())
        return plan

    def _marker(self, plan: RunPlan) -> dict[str, int]:
        key = f"{plan.out_prefix}{MARKER}"
        try:
            marker = json.loads(self.lake.read(key))
        except (ValueError, KeyError, NotFound) as error:
            raise RunRefused(f"the job left no readable success marker at {key}: {error}") from error
        counts = marker.get("counts") if isinstance(marker, Mapping) else None
        if not isinstance(counts, Mapping):
            raise RunRefused(f"the success marker {key} has no counts")
        return {str(table): int(rows) for table, rows in counts.items()}

    def parts(self, plan: RunPlan) -> list[Part]:
        self._marker(plan)  # no marker: the job did not finish, nothing is loaded
        return parts_of(plan.out_prefix, self.lake.list_keys(plan.out_prefix))

    def load(self, plan: RunPlan, part: Part) -> dict[str, Any]:
        rows = list(json_lines(self.lake.read(part.key), part.key))
        if part.table == "profiles":
            profiles = [profile_from_row(row) for row in rows]
            self.table.put_profiles(plan.version, profiles)
            self.cache.put_profiles(plan.version, profiles)
            self.search.write(plan.version, profiles)
        else:
            lists = [neighbours_from_row(row) for row in rows]
            self.table.put_neighbours(plan.version, lists)
            self.cache.put_neighbours(plan.version, lists)
        return {"table": part.table, "key": part.key, "rows": len(rows)}

    def switch(self, plan: RunPlan, loaded: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        expected = self._marker(plan)
        totals: dict[str, int] = {}
        for item in loaded:
            totals[str(item.get("table"))] = totals.get(str(item.get("table")), 0) + int(
                item.get("rows") or 0
            )
        decision = switch_decision(expected, totals, self.table.serving_profiles(), self.min_ratio)
        if not decision.switch:
            raise RunRefused(f"run {plan.run_id} not switched to: {decision.reason}")
        if not self.table.switch(plan.version, expected.get("profiles", 0)):
            logger.warning("a newer profile version serves already", extra={"run_id": plan.run_id})
            return {"run_id": plan.run_id, "version": plan.version, "switched": False, "reason": "superseded"}
        self.cache.switch(plan.version)
        pruned = 0
        try:
            pruned = self.search.prune(plan.version)
        except DependencyFailed as error:  # the next night prunes them; the pointer moved already
            logger.warning("old profiles not pruned from search", extra={"error": str(error)})
        logger.info(
            "profile version switched", extra={"run_id": plan.run_id, "version": plan.version, **expected}
        )
        return {
            "run_id": plan.run_id,
            "version": plan.version,
            "switched": True,
            "counts": expected,
            "pruned": pruned,
        }

    def training(self, plan: RunPlan) -> dict[str, Any]:
        """The nightly ranker training's parameters; skipped until `rank train --platform` shipped code."""
        published = RANKER_CODE_KEY in self.lake.list_keys(RANKER_CODE_KEY)
        if not published:
            logger.info("no ranker code published yet: the nightly training is skipped")
        return training_plan(plan, self.bucket, published)
