"""Feature flags: stable hash buckets, the rollout document, and its evaluation by Powertools Feature
Flags (the real evaluator, over the document held in memory)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from aws_lambda_powertools.utilities.feature_flags import FeatureFlags
from aws_lambda_powertools.utilities.feature_flags.base import StoreProvider
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator

from reelstack.domain.release.flags import (
    BUCKETS,
    FLAGS,
    bucket_of,
    describe,
    evaluation_context,
    released_document,
    rollout,
    rollout_in,
    with_rollout,
)
from reelstack.errors import InvalidRequest

USERS = [f"user-{n:05d}" for n in range(10_000)]


class DocumentStore(StoreProvider):
    """Powertools' store interface over a document in memory."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.document

    def get_configuration(self) -> dict[str, Any]:
        return self.document


def _evaluate(document: dict[str, Any], name: str, user: str, region: str | None = None) -> Any:
    return FeatureFlags(DocumentStore(document)).evaluate(
        name=name, context=evaluation_context(name, user, region), default=FLAGS[name].released
    )


def test_a_users_bucket_is_stable_and_independent_between_flags() -> None:
    # GIVEN two flags WHEN the same users are bucketed twice THEN the buckets repeat exactly
    first = [bucket_of("comments", user) for user in USERS]
    assert first == [bucket_of("comments", user) for user in USERS]
    assert all(0 <= bucket < BUCKETS for bucket in first)
    # AND a flag's buckets tell nothing about another's: the 10 % of one hold ~10 % of the other
    low = {user for user in USERS if bucket_of("comments", user) < 1000}
    both = sum(1 for user in low if bucket_of("shares", user) < 1000)
    assert abs(both - 100) <= 3 * math.sqrt(1000 * 0.1 * 0.9)


def test_the_released_document_passes_powertools_schema_and_gives_every_flag_its_released_value() -> None:
    # GIVEN the document the stack deploys WHEN Powertools validates and evaluates it
    document = released_document()
    SchemaValidator(document).validate()
    # THEN every user gets every flag's released value
    for name, flag in FLAGS.items():
        assert _evaluate(document, name, "alice") == flag.released


def test_ten_percent_of_ten_thousand_users_get_a_rollout_and_raising_it_keeps_them() -> None:
    # GIVEN following_feed rolled out to 10 %
    document = with_rollout(released_document(), "following_feed", rollout("following_feed", 10))
    SchemaValidator(document).validate()
    # WHEN Powertools evaluates it for 10,000 users
    inside = {user for user in USERS if _evaluate(document, "following_feed", user)}
    # THEN 10 % get it, within 3 standard deviations of a binomial draw, exactly the low buckets
    assert abs(len(inside) - 1000) <= 3 * math.sqrt(10_000 * 0.1 * 0.9)
    assert inside == {user for user in USERS if bucket_of("following_feed", user) < 1000}
    # AND at 20 % everyone who had it keeps it
    wider = with_rollout(document, "following_feed", rollout("following_feed", 20))
    assert inside < {user for user in USERS if _evaluate(wider, "following_feed", user)}
    # AND at 0 % nobody has it; the other flags never moved
    none = with_rollout(document, "following_feed", rollout("following_feed", 0))
    assert not any(_evaluate(none, "following_feed", user) for user in USERS[:500])
    assert all(_evaluate(none, "comments", user) for user in USERS[:500])


def test_a_region_rule_narrows_a_rollout_to_viewers_in_those_countries() -> None:
    # GIVEN a ranker version on trial for everyone in Brazil and India
    plan = rollout("ranker_version", 100, value="reelstack-ranker-v2", regions=["br", "IN"])
    document = with_rollout(released_document(), "ranker_version", plan)
    # WHEN viewers from several countries ask THEN only BR and IN get it; the rest keep the stack's
    assert _evaluate(document, "ranker_version", "alice", "BR") == "reelstack-ranker-v2"
    assert _evaluate(document, "ranker_version", "alice", "IN") == "reelstack-ranker-v2"
    assert _evaluate(document, "ranker_version", "alice", "DE") == ""
    assert _evaluate(document, "ranker_version", "alice", None) == ""
    # AND the document reads back as the rollout it was made from
    assert rollout_in(document, "ranker_version") == plan


def test_describe_reports_each_flags_rollout_and_what_everyone_else_gets() -> None:
    # GIVEN shares rolled out to 2.5 % WHEN described
    document = with_rollout(released_document(), "shares", rollout("shares", 2.5))
    rows = {row["flag"]: row for row in describe(document)}
    # THEN the share of users, the value and everyone else's value are there
    assert rows["shares"]["percent"] == pytest.approx(2.5)
    assert (rows["shares"]["value"], rows["shares"]["others"]) == (True, False)
    assert rows["comments"]["percent"] == 100.0 and rows["comments"]["value"] is True


@pytest.mark.parametrize(
    ("flag", "percent", "value", "regions", "code"),
    [
        ("nope", 10, None, (), "unknown_flag"),
        ("comments", 101, None, (), "invalid_percent"),
        ("comments", -1, None, (), "invalid_percent"),
        ("comments", 10, "reelstack-ranker-v2", (), "invalid_value"),
        ("ranker_version", 10, None, (), "invalid_value"),
        ("ranker_version", 10, "bad name!", (), "invalid_value"),
        ("comments", 10, None, ("Brazil",), "invalid_region"),
    ],
)
def test_a_bad_rollout_is_refused_with_its_reason(
    flag: str, percent: float, value: Any, regions: tuple[str, ...], code: str
) -> None:
    # GIVEN a rollout that makes no sense WHEN it is built THEN it is refused with a code
    with pytest.raises(InvalidRequest) as refused:
        rollout(flag, percent, value=value, regions=regions)
    assert refused.value.code == code
