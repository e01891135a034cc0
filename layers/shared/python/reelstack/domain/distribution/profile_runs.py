"""The nightly profile run as data: its plan, the rows the Spark job writes, and the switch rule.

A run (one execution of the profiles state machine, named by its run id) has a `version`: a number
that grows with every run (the planning second, UTC), under which everything it produces is loaded
(Redis keys, DynamoDB items, OpenSearch external versions). Readers follow the one `current` pointer,
which the switch moves only after every part of the run is loaded, so they never see half a night's
results; a failed run leaves the pointer, and so the previous version, where it was.

The switch refuses a run whose output collapsed (fewer profiles than `min_ratio` of the serving
version's, e.g. a lake prefix that was empty or half-written): the previous version keeps serving
and the run fails loudly for an operator, instead of emptying every viewer's interests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reelstack.errors import InvalidRequest

TABLES = ("profiles", "neighbours")  # what the loader carries into the stores
# The lake's lasting daily stats per video (plays, likes, watched fractions), rewritten for the window's
# dates by every run; the ROI engine's play predictor trains on them (`reelstack roi train --lake`).
DAILY_STATS_PREFIX = "lake/daily_stats/v1"
MARKER = "_SUCCESS_MARKER.json"
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_profile_run")


@dataclass(frozen=True)
class JobSettings:
    """The profile job's knobs (the contract in jobs/profile_job/job.py)."""

    days: int = 30
    top_tags: int = 20
    top_neighbours: int = 20
    min_support: int = 2
    half_life_days: float = 7.0
    history_cap: int = 200


@dataclass(frozen=True)
class RunPlan:
    run_id: str
    version: int
    as_of: str  # YYYY-MM-DD, the last day of the window
    events_uri: str
    out_uri: str
    out_prefix: str  # the output's key prefix in the lake bucket, ending in "/"
    arguments: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "version": self.version,
            "as_of": self.as_of,
            "events_uri": self.events_uri,
            "out_uri": self.out_uri,
            "out_prefix": self.out_prefix,
            "arguments": list(self.arguments),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RunPlan:
        if not isinstance(data, Mapping):
            raise _invalid("a run plan is an object")
        try:
            return cls(
                run_id=str(data["run_id"]),
                version=int(data["version"]),
                as_of=str(data["as_of"]),
                events_uri=str(data["events_uri"]),
                out_uri=str(data["out_uri"]),
                out_prefix=str(data["out_prefix"]),
                arguments=tuple(str(value) for value in data["arguments"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _invalid(f"a run plan needs run_id, version, as_of, uris and arguments: {error}") from None


def as_of_day(requested: Any, now: datetime) -> str:
    """The window's last day: the one asked for (YYYY-MM-DD, not in the future), else yesterday (UTC)."""
    today = now.astimezone(UTC).date()
    if requested in (None, ""):
        return (today - timedelta(days=1)).isoformat()
    try:
        day = date.fromisoformat(str(requested))
    except ValueError:
        raise _invalid(f"as_of must be a date YYYY-MM-DD, not {requested!r}") from None
    if day > today:
        raise _invalid(f"as_of {day} is in the future")
    return day.isoformat()


def plan_run(
    run_id: str,
    now: datetime,
    bucket: str,
    events_prefix: str,
    runs_prefix: str,
    settings: JobSettings,
    as_of: Any = None,
    *,
    daily_stats_prefix: str = DAILY_STATS_PREFIX,
) -> RunPlan:
    """Where the run reads and writes, and the job's command line (the contract's arguments)."""
    if not _RUN_ID.match(run_id):
        raise _invalid("the run id (the execution name) must be 1-80 letters, digits, '-' or '_'")
    day = as_of_day(as_of, now)
    out_prefix = f"{runs_prefix.rstrip('/')}/{run_id}/"
    events_uri = f"s3://{bucket}/{events_prefix.rstrip('/')}"
    out_uri = f"s3://{bucket}/{out_prefix.rstrip('/')}"
    arguments = (
        "--events", events_uri,
        "--out", out_uri,
        "--as-of", day,
        "--days", str(settings.days),
        "--top-tags", str(settings.top_tags),
        "--top-neighbours", str(settings.top_neighbours),
        "--min-support", str(settings.min_support),
        "--half-life-days", str(settings.half_life_days),
        "--history-cap", str(settings.history_cap),
        "--daily-stats", f"s3://{bucket}/{daily_stats_prefix.strip('/')}",
    )  # fmt: skip
    version = int(now.astimezone(UTC).timestamp())
    return RunPlan(run_id, version, day, events_uri, out_uri, out_prefix, arguments)


@dataclass(frozen=True)
class Part:
    """One part file of one output table, loaded by one Map iteration."""

    table: str
    key: str

    def to_dict(self) -> dict[str, str]:
        return {"table": self.table, "key": self.key}

    @classmethod
    def from_dict(cls, data: Any) -> Part:
        if not isinstance(data, Mapping) or data.get("table") not in TABLES or not data.get("key"):
            raise _invalid(f"a part is {{table: one of {TABLES}, key}}")
        return cls(str(data["table"]), str(data["key"]))


def parts_of(out_prefix: str, keys: Sequence[str]) -> list[Part]:
    """The part files of the tables to load, in a stable order (Spark's `part-*` files; the rest skipped)."""
    parts: list[Part] = []
    for table in TABLES:
        folder = f"{out_prefix}{table}/"
        for key in sorted(keys):
            name = key[len(folder) :] if key.startswith(folder) else ""
            if name.startswith("part-") and not name.endswith(".crc"):
                parts.append(Part(table, key))
    return parts


@dataclass(frozen=True)
class InterestProfile:
    """A viewer's long-term interests, as the job computed them."""

    user_id: str
    tags: tuple[tuple[str, float], ...]  # best first
    region: str | None
    device: str | None
    activity: int
    last_active: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "tags": [{"tag": tag, "weight": weight} for tag, weight in self.tags],
            "region": self.region,
            "device": self.device,
            "activity": self.activity,
            "last_active": self.last_active,
        }


@dataclass(frozen=True)
class Neighbours:
    """A video's co-watch neighbours (item-based CF), best first."""

    video_id: str
    items: tuple[tuple[str, float, int], ...]  # (video_id, score, support)

    def to_dict(self) -> dict[str, Any]:
        return {
            "video_id": self.video_id,
            "neighbours": [
                {"video_id": other, "score": score, "support": support}
                for other, score, support in self.items
            ],
        }


def profile_from_row(row: Any) -> InterestProfile:
    if not isinstance(row, Mapping) or not isinstance(row.get("user_id"), str) or not row["user_id"]:
        raise _invalid("a profile row needs a user_id")
    tags = tuple((str(item["tag"]), float(item["weight"])) for item in row.get("tags") or [])
    return InterestProfile(
        user_id=row["user_id"],
        tags=tags,
        region=row.get("region"),
        device=row.get("device"),
        activity=int(row.get("activity") or 0),
        last_active=row.get("last_active"),
    )


def neighbours_from_row(row: Any) -> Neighbours:
    if not isinstance(row, Mapping) or not isinstance(row.get("video_id"), str) or not row["video_id"]:
        raise _invalid("a neighbours row needs a video_id")
    items = tuple(
        (str(item["video_id"]), float(item["score"]), int(item["support"]))
        for item in row.get("neighbours") or []
    )
    return Neighbours(row["video_id"], items)


@dataclass(frozen=True)
class SwitchDecision:
    switch: bool
    reason: str


def switch_decision(
    expected: Mapping[str, int],
    loaded: Mapping[str, int],
    serving_profiles: int | None,
    min_ratio: float,
) -> SwitchDecision:
    """Switch only to a whole run (every row the job wrote was loaded) that did not collapse."""
    for table in TABLES:
        if int(loaded.get(table, 0)) != int(expected.get(table, 0)):
            return SwitchDecision(
                False,
                f"{table}: {loaded.get(table, 0)} rows loaded of the {expected.get(table, 0)} the job wrote",
            )
    new = int(expected.get("profiles", 0))
    if serving_profiles and new < serving_profiles * min_ratio:
        return SwitchDecision(
            False,
            f"{new} profiles, fewer than {min_ratio:.0%} of the {serving_profiles} serving now: refused",
        )
    return SwitchDecision(True, "complete")


RANKER_CODE_KEY = "models/ranker/code/latest/sourcedir.tar.gz"  # written by `reelstack rank train --platform`
RANKER_TRAINED_PREFIX = "models/ranker/trained"


def training_job_name(run_id: str) -> str:
    """SageMaker's job names: letters, digits and single hyphens, at most 63 characters."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9]", "-", f"ranker-{run_id}")).strip("-")
    return cleaned[:63].rstrip("-")


def training_plan(plan: RunPlan, bucket: str, code_published: bool) -> dict[str, Any]:
    """What the nightly training step runs, or that it is skipped (no ranker code published yet)."""
    return {
        "train": code_published,
        "job_name": training_job_name(plan.run_id),
        "examples_uri": f"s3://{bucket}/{plan.out_prefix}examples/",
        "code_uri": f"s3://{bucket}/{RANKER_CODE_KEY}",
        "output_uri": f"s3://{bucket}/{RANKER_TRAINED_PREFIX}",
    }
