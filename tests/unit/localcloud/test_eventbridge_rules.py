"""EventBridge events built from PutEvents entries, target inputs, and pattern routing."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.eventbridge import (
    EventRouter,
    EventsEdge,
    PatternRule,
    RuleTarget,
    event_from_entry,
    target_input,
)

ENTRY = {
    "Source": "reelstack.videos",
    "DetailType": "VideoPublished",
    "Detail": json.dumps({"video_id": "v1", "size": 5}),
}


def test_an_entry_becomes_an_event() -> None:
    event = event_from_entry(ENTRY, "id-1")
    assert (event["id"], event["source"], event["detail-type"], event["detail"]) == (
        "id-1",
        "reelstack.videos",
        "VideoPublished",
        {"video_id": "v1", "size": 5},
    )
    assert (event["account"], event["region"], event["version"]) == ("123456789012", "us-east-1", "0")


def test_target_inputs() -> None:
    event = event_from_entry(ENTRY, "id-1")
    assert json.loads(target_input(RuleTarget("arn"), event)) == event
    assert target_input(RuleTarget("arn", input='{"fixed": 1}'), event) == '{"fixed": 1}'
    assert json.loads(target_input(RuleTarget("arn", input_path="$.detail.video_id"), event)) == "v1"


def test_rules_route_matching_events_on_their_bus() -> None:
    # GIVEN a rule for big published videos on the default bus and one on another bus
    delivered: list[tuple[str, str]] = []
    pattern = {"source": ["reelstack.videos"], "detail": {"size": [{"numeric": [">", 3]}]}}
    router = EventRouter(
        [
            PatternRule(
                "big", "default", pattern, (RuleTarget("arn:aws:lambda:us-east-1:123456789012:function:F"),)
            ),
            PatternRule(
                "other-bus", "audit", {}, (RuleTarget("arn:aws:lambda:us-east-1:123456789012:function:G"),)
            ),
        ],
        lambda arn, body: delivered.append((arn, body)),
    )
    # WHEN a matching and a non-matching event are routed on the default bus
    assert router.route(event_from_entry(ENTRY, "1"), "default") == 1
    small = dict(ENTRY, Detail=json.dumps({"size": 1}))
    assert router.route(event_from_entry(small, "2"), "default") == 0
    # THEN only the matching one reached only the default bus's rule
    assert [arn.rsplit(":", 1)[1] for arn, _ in delivered] == ["F"]


def test_a_malformed_put_events_request_is_left_to_moto() -> None:
    # GIVEN the PutEvents edge in front of a stand-in for moto
    seen: list[bytes] = []

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("400 Bad Request", [])
        return [b'{"__type": "SerializationException"}']

    edge = EventsEdge(moto, EventRouter([], lambda arn, body: None))
    environ = EnvironBuilder(method="POST", data=b"{not json").get_environ()
    # WHEN a body that is not JSON arrives
    status: list[str] = []
    answer = b"".join(edge(environ, lambda line, headers, exc_info=None: status.append(line)))
    # THEN moto gets the request as sent and its answer goes back (not a 500 from the edge)
    assert (seen, status, answer) == (
        [b"{not json"],
        ["400 Bad Request"],
        b'{"__type": "SerializationException"}',
    )
