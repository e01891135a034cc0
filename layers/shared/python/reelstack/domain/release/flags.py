"""Feature flags for gray release: which user-visible changes exist, who gets each one, and the
AppConfig document (Powertools Feature Flags schema) that says so (pure).

**Buckets.** Each flag hashes the user id with its own name into one of 10,000 buckets (SHA-256, so a
user lands in the same bucket on every request, in every process, and the buckets of two flags are
independent). A rollout of p % takes the buckets below p x 100: raising the percentage keeps everyone
who already had the change, lowering it takes it back from the last ones in, and 0 gives it to nobody
on the next evaluation. Region rules narrow a rollout to viewers in the given countries (ISO 3166
alpha-2, from the viewer's `CloudFront-Viewer-Country`).

**The document.** A flag with no rollout in progress is just its `default`: the new value once
released everywhere, the old one (its `control`) before. A rollout in progress keeps `default` at the
control value and adds one rule, `rollout`, whose conditions are the bucket range (Powertools'
`MODULO_RANGE` on the context's `bucket`) and, if any, the regions (`KEY_IN_VALUE` on `region`);
`when_match` is the new value. Evaluation contexts are built by `evaluation_context`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reelstack.errors import InvalidRequest

BUCKETS = 10_000
ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ROLLOUT_RULE = "rollout"
# The flags' schema keys (Powertools Feature Flags): a flag's default, its rules, and whether its
# values are booleans (`boolean_type: false` for any other JSON value).
DEFAULT, RULES, BOOLEAN = "default", "rules", "boolean_type"


@dataclass(frozen=True)
class Flag:
    """A user-visible change behind a flag: `control` before it, `released` after it."""

    name: str
    description: str
    control: Any = False
    released: Any = True

    @property
    def boolean(self) -> bool:
        return isinstance(self.control, bool)


# Every user-visible change that can be rolled out by user and region. The routes of the social
# release each have one; the ranker's version names the SageMaker endpoint a viewer's feed is ranked
# by ("" = the stack's own ranker, RankerEndpointName).
FLAGS: dict[str, Flag] = {
    flag.name: flag
    for flag in (
        Flag(
            "ranker_version",
            "the SageMaker endpoint that ranks a viewer's home feed ('' = the stack's ranker)",
            control="",
            released="",
        ),
        Flag("following_feed", "GET /feed/following, the newest videos of the people a viewer follows"),
        Flag("comments", "posting and reading comments (POST and GET /videos/{id}/comments)"),
        Flag("shares", "share links (POST /videos/{id}/share)"),
    )
}


def flag(name: str) -> Flag:
    try:
        return FLAGS[name]
    except KeyError:
        raise InvalidRequest(
            f"no flag {name!r}: one of {', '.join(sorted(FLAGS))}", code="unknown_flag"
        ) from None


def bucket_of(flag_name: str, user_id: str) -> int:
    """The user's bucket for this flag, 0..9,999: stable, and independent between flags."""
    digest = hashlib.sha256(f"{flag_name}/{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def evaluation_context(flag_name: str, user_id: str, region: str | None) -> dict[str, Any]:
    """What a flag's rules see for one request."""
    return {"user_id": user_id, "bucket": bucket_of(flag_name, user_id), "region": region or ""}


@dataclass(frozen=True)
class Rollout:
    """Who gets a flag's new value: `percent` of users (0-100, steps of 0.01), in `regions` if any."""

    percent: float
    value: Any
    regions: tuple[str, ...] = ()

    @property
    def buckets(self) -> int:
        return round(self.percent * BUCKETS / 100)


def _regions(values: Iterable[str]) -> tuple[str, ...]:
    found = []
    for value in values:
        code = value.strip().upper()
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise InvalidRequest(f"{value!r} is not a two-letter region (ISO 3166)", code="invalid_region")
        found.append(code)
    return tuple(sorted(set(found)))


def rollout(flag_name: str, percent: float, *, value: Any = None, regions: Iterable[str] = ()) -> Rollout:
    """A validated rollout of `flag_name` (its released value unless `value` is given)."""
    chosen = flag(flag_name)
    if not 0 <= percent <= 100:
        raise InvalidRequest("a rollout percentage is between 0 and 100", code="invalid_percent")
    if percent == 0:
        return Rollout(0.0, chosen.control, _regions(regions))  # taken back: nobody gets a new value
    if value is None and not chosen.boolean:
        raise InvalidRequest(f"{flag_name} needs the value to roll out", code="invalid_value")
    target = chosen.released if value is None else value
    if chosen.boolean and not isinstance(target, bool):
        raise InvalidRequest(f"{flag_name} takes true or false", code="invalid_value")
    if not chosen.boolean and not (isinstance(target, str) and ENDPOINT_NAME.match(target)):
        raise InvalidRequest(
            f"{flag_name} takes a SageMaker endpoint name (<RankerEndpointName>-<version>)",
            code="invalid_value",
        )
    return Rollout(percent, target, _regions(regions))


def feature(flag_def: Flag, plan: Rollout | None = None) -> dict[str, Any]:
    """The flag's entry in the document for `plan` (None: the flag fully released)."""
    entry: dict[str, Any] = {DEFAULT: flag_def.released}
    if not flag_def.boolean:
        entry[BOOLEAN] = False
    if plan is None:
        return entry
    everyone = plan.buckets >= BUCKETS and not plan.regions
    if everyone:
        entry[DEFAULT] = plan.value
        return entry
    entry[DEFAULT] = flag_def.control
    if plan.buckets <= 0:
        return entry
    conditions: list[dict[str, Any]] = [
        {
            "action": "MODULO_RANGE",
            "key": "bucket",
            "value": {"BASE": BUCKETS, "START": 0, "END": min(plan.buckets, BUCKETS) - 1},
        }
    ]
    if plan.regions:
        conditions.append({"action": "KEY_IN_VALUE", "key": "region", "value": list(plan.regions)})
    entry[RULES] = {ROLLOUT_RULE: {"when_match": plan.value, "conditions": conditions}}
    return entry


def released_document() -> dict[str, Any]:
    """Every flag released to everyone: the document the stack deploys first."""
    return {name: feature(flag_def) for name, flag_def in FLAGS.items()}


def with_rollout(document: Mapping[str, Any], flag_name: str, plan: Rollout) -> dict[str, Any]:
    """`document` with `flag_name` set to `plan`; the other flags as they were."""
    updated = {name: dict(entry) for name, entry in document.items()}
    updated[flag_name] = feature(flag(flag_name), plan)
    return updated


def rollout_in(document: Mapping[str, Any], flag_name: str) -> Rollout:
    """The rollout a document describes for one flag (100 % of its default when it has no rule)."""
    entry = document.get(flag_name)
    if not isinstance(entry, Mapping):
        return Rollout(100.0, flag(flag_name).released)
    rule = (entry.get(RULES) or {}).get(ROLLOUT_RULE)
    if not isinstance(rule, Mapping):
        return Rollout(100.0, entry.get(DEFAULT))
    percent, regions = 100.0, tuple[str, ...]()
    for condition in rule.get("conditions") or []:
        if condition.get("action") == "MODULO_RANGE":
            span = condition["value"]
            percent = (int(span["END"]) - int(span["START"]) + 1) * 100 / int(span["BASE"])
        elif condition.get("action") == "KEY_IN_VALUE" and condition.get("key") == "region":
            regions = tuple(str(code) for code in condition.get("value") or ())
    return Rollout(percent, rule.get("when_match"), regions)


def describe(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per known flag: its value for the rollout, the share of users, the regions, the rest's value."""
    rows = []
    for name, flag_def in FLAGS.items():
        plan = rollout_in(document, name)
        entry = document.get(name)
        others = entry.get(DEFAULT) if isinstance(entry, Mapping) else flag_def.released
        rows.append(
            {
                "flag": name,
                "value": plan.value,
                "percent": plan.percent,
                "regions": list(plan.regions),
                "others": others,
                "description": flag_def.description,
            }
        )
    return rows


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
