"""Gray release on the local cloud: `reelstack flags` deploys a rollout through the AppConfig API, the
flags are read back through Powertools Feature Flags (the API's own FlagStore), and the API's routes
and feed follow them per request (the session's cloud runs the API with FeatureFlagsMaxAgeSeconds=0)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import pytest

from reelstack.adapters.release.feature_flags import FlagStore
from reelstack.domain.release.flags import bucket_of
from reelstack.services.release.gates import FeatureGate
from reelstack_tools.tokens import user_sub
from tests.support.flags import flags as _flags
from tests.support.flags import release_every_flag
from tests.support.http import Api

pytestmark = pytest.mark.integration

USERS = [f"user-{n:05d}" for n in range(10_000)]


@pytest.fixture
def flags_released(local_cloud: Any, cloud_sdk_environment: Any) -> Iterator[None]:
    """Every flag released to everyone again after the test (the cloud is the session's)."""
    yield
    release_every_flag(local_cloud)


def _gate(cloud: Any, max_age_s: int) -> FeatureGate:
    return FeatureGate(
        FlagStore(
            cloud.name("FeatureFlagsApplication"),
            cloud.name("FeatureFlagsEnvironment"),
            cloud.name("FeatureFlagsProfile"),
            max_age_s=max_age_s,
        )
    )


def _reaches(reply: Any) -> bool:
    """The request got past the route's flag (whatever the route then answered)."""
    return not (reply.status == 404 and reply.body.get("code") == "feature_disabled")


def _user_in(flag: str, inside: bool, prefix: str) -> str:
    """A user name whose id falls inside (or outside) a 10 % rollout of `flag`."""
    for n in itertools.count():
        name = f"{prefix}-{n}"
        if (bucket_of(flag, user_sub(name)) < 1000) == inside:
            return name
    raise AssertionError("unreachable")


def test_ten_percent_of_ten_thousand_users_the_same_every_time_then_rolled_back(
    local_cloud: Any, flags_released: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the stack's flags, every one released
    assert _flags(local_cloud) == 0
    assert "following_feed" in capsys.readouterr().out
    # WHEN following_feed is rolled out to 10 % of users
    assert _flags(local_cloud, "set", "following_feed", "--percent", "10") == 0
    assert "10.00%" in capsys.readouterr().out
    # THEN through AppConfig and Powertools, 10 % of 10,000 users get it (within 3 binomial standard
    # deviations), the same users on a second pass, and exactly those whose bucket is below 1,000
    gate = _gate(local_cloud, max_age_s=300)
    first = {user for user in USERS if gate.enabled("following_feed", user, None)}
    assert abs(len(first) - 1000) <= 3 * math.sqrt(10_000 * 0.1 * 0.9)
    assert first == {user for user in USERS if gate.enabled("following_feed", user, None)}
    assert first == {user for user in USERS if bucket_of("following_feed", user) < 1000}
    # AND a gate that reads the store on every request sees a rollback on its very next evaluation
    fresh = _gate(local_cloud, max_age_s=0)
    left_out = next(user for user in USERS if user not in first)
    assert not fresh.enabled("following_feed", left_out, None)
    assert _flags(local_cloud, "rollback") == 0  # back to the released document
    assert fresh.enabled("following_feed", left_out, None)
    assert _flags(local_cloud, "set", "following_feed", "--percent", "0") == 0
    assert not any(fresh.enabled("following_feed", user, None) for user in sorted(first)[:20])


def test_a_route_follows_its_flag_on_the_next_request(local_cloud: Any, flags_released: None) -> None:
    # GIVEN a user inside a 10 % rollout of the following feed and one outside it
    inside = Api(local_cloud.api_url, local_cloud.token(_user_in("following_feed", True, "gray-in")))
    outside = Api(local_cloud.api_url, local_cloud.token(_user_in("following_feed", False, "gray-out")))
    assert inside.call("GET", "/feed/following").status == 200
    # WHEN the route is rolled out to 10 %
    assert _flags(local_cloud, "set", "following_feed", "--percent", "10") == 0
    # THEN the user inside keeps it and the one outside is told it is not theirs yet
    assert inside.call("GET", "/feed/following").status == 200
    refused = outside.call("GET", "/feed/following")
    assert (refused.status, refused.body["code"]) == (404, "feature_disabled")
    # WHEN it is taken back THEN the next request of the user inside is refused too
    assert _flags(local_cloud, "set", "following_feed", "--percent", "0") == 0
    assert inside.call("GET", "/feed/following").status == 404
    # AND the routes of the other flags never moved
    assert _reaches(inside.call("GET", "/videos/no-such-video/comments"))


def test_a_region_rule_gives_a_route_only_to_viewers_in_its_countries(
    local_cloud: Any, flags_released: None
) -> None:
    # GIVEN comments rolled out to everyone in Brazil only
    assert _flags(local_cloud, "set", "comments", "--percent", "100", "--regions", "BR") == 0
    viewer = Api(local_cloud.api_url, local_cloud.token("gray-region-viewer"))
    # WHEN the same user reads comments from Brazil and from Germany
    from_brazil = viewer.call("GET", "/videos/no-such-video/comments", headers={"X-Viewer-Region": "BR"})
    from_germany = viewer.call("GET", "/videos/no-such-video/comments", headers={"X-Viewer-Region": "DE"})
    # THEN Brazil reaches the route (which answers for the unknown video) and Germany does not
    assert _reaches(from_brazil)
    assert (from_germany.status, from_germany.body["code"]) == (404, "feature_disabled")
