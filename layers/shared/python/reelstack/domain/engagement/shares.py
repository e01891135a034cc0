"""Shares as data (pure): the channels a video may be shared to, the share request, and its link.

A share gives a short link, `<share base>/s/<token>`, that opens the video without signing in while
the video is published. The token is 16 random bytes (128 bits, base64url: 22 characters) from the
operating system's CSPRNG: unguessable, and it names one video only. Sharing the same video to the
same channel again gives the same link and counts once: the share count is of distinct
(user, channel) shares.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from reelstack.errors import InvalidRequest

CHANNELS = (
    "copy_link",
    "whatsapp",
    "messenger",
    "telegram",
    "sms",
    "email",
    "x",
    "facebook",
    "instagram",
    "other",
)
SHARES = "shares"  # the video's counter
TOKEN_BYTES = 16
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")


def parse_share(body: Any) -> str:
    """`{channel}` -> the channel; anything else: 400 `invalid_share`."""
    if not isinstance(body, Mapping) or set(body) != {"channel"}:
        raise InvalidRequest("the body must be {channel}", code="invalid_share")
    channel = body["channel"]
    if channel not in CHANNELS:
        raise InvalidRequest(
            f"channel must be one of {', '.join(CHANNELS)}", code="invalid_share", field="channel"
        )
    return str(channel)


def new_share_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_share_token(text: str) -> bool:
    """The shape of a token we give out (anything else is not looked up at all)."""
    return bool(_TOKEN.match(text))


def share_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"
