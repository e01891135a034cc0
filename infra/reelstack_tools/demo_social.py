"""The demo's social step: a viewer follows the demo's creator, comments (one comment is held by the
text moderation and approved by a reviewer), the creator replies and the viewer is told, the viewer's
following tab lists the creator's videos, and a share link opens a video without signing in."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from reelstack_tools.localcloud.client import CloudHandle

Call = Callable[..., Any]  # Demo.call: (method, path, body=None, token=None) -> JSON answer
HELD_TEXT = "what a worthless idiot, go kill yourself"


def _until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _comment_status(call: Call, video_id: str, comment_id: str, token: str, query: str = "") -> str | None:
    """The comment's status once the text moderation has read it (None while pending or not listed)."""
    items = call("GET", f"/videos/{video_id}/comments{query}", token=token).get("items", [])
    found = [c["status"] for c in items if c["comment_id"] == comment_id]
    return found[0] if found and found[0] != "pending" else None


def social_step(
    console: Console, cloud: CloudHandle, call: Call, creator_token: str, published: Sequence[str]
) -> bool:
    from reelstack_tools.tokens import user_sub

    creator = user_sub("demo-user")
    leo = cloud.token("leo")
    rita = cloud.token("rita", roles=["reviewer"])
    video = published[0]
    call(
        "PATCH", "/me", {"display_name": "Demo Creator", "bio": "test patterns, mostly"}, token=creator_token
    )

    followed = call("POST", f"/users/{creator}/follow", token=leo)
    again = call("POST", f"/users/{creator}/follow", token=leo)
    profile = call("GET", f"/users/{creator}", token=leo)
    console.print(
        f"  leo follows {profile['display_name']} (twice: follower_count {followed['follower_count']} -> "
        f"{again['follower_count']}); her profile: {profile['video_count']} videos, "
        f"{profile['follower_count']} follower"
    )

    nice = call("POST", f"/videos/{video}/comments", {"text": "Lovely colour bars!"}, token=leo)
    nasty = call("POST", f"/videos/{video}/comments", {"text": HELD_TEXT}, token=leo)
    shown = _until(lambda: _comment_status(call, video, nice["comment_id"], leo))
    held = _until(lambda: _comment_status(call, video, nasty["comment_id"], leo))
    console.print(f"  leo comments twice: {nice['text']!r} is {shown}; {nasty['text']!r} is {held}")
    others = call("GET", f"/videos/{video}/comments", token=creator_token)["items"]
    console.print(f"  the creator sees {len(others)} comment (the held one is leo's alone until reviewed)")
    queue = call("GET", "/moderation/comments", token=rita)["items"]
    waiting = [c for c in queue if c["comment_id"] == nasty["comment_id"]]
    for item in waiting:
        console.print(f"  reviewer rita sees it held ({', '.join(item['flags'])}) and approves it")
    decided = call(
        "POST",
        f"/moderation/comments/{video}/{nasty['comment_id']}/decision",
        {"decision": "approve"},
        token=rita,
    )
    count = call("GET", f"/videos/{video}", token=leo)["comment_count"]
    console.print(f"  now {decided.get('status')}: the video shows comment_count {count}")

    reply = call(
        "POST",
        f"/videos/{video}/comments",
        {"text": "Thank you, leo!", "reply_to": nice["comment_id"]},
        token=creator_token,
    )
    replied = f"?reply_to={nice['comment_id']}"
    _until(lambda: _comment_status(call, video, reply["comment_id"], creator_token, replied))
    told = _until(
        lambda: [n for n in call("GET", "/notifications", token=leo)["items"] if n["kind"] == "reply"]
    )
    creator_told = call("GET", "/notifications", token=creator_token)["items"]
    console.print(f"  the creator replies; leo is told: {told[0]['text'] if told else 'nothing (yet)'}")
    for notice in [n for n in creator_told if n["kind"] in ("follow", "comment")][:2]:
        console.print(f"  the creator is told: {notice['text']}")

    tab = call("GET", "/feed/following?limit=5", token=leo)["items"]
    console.print(f"  leo's following tab: {', '.join(item['title'] for item in tab)}")

    share = call("POST", f"/videos/{video}/share", {"channel": "whatsapp"}, token=leo)
    with urllib.request.urlopen(share["url"], timeout=30) as opened:
        seen = json.load(opened)
    console.print(
        f"  leo shares it to WhatsApp: {share['url']} opens {seen['title']!r} without signing in "
        f"(share_count {share['share_count']})"
    )
    return bool(
        followed.get("follower_count") == 1
        and shown == "visible"
        and held == "held"
        and decided.get("status") == "visible"
        and count == 2
        and told
        and tab
        and seen.get("video_id") == video
    )
