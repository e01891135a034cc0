"""User profiles as data: what `PATCH /me` may change, and the rules its text follows (pure).

- `display_name`: 1 to `MAX_DISPLAY_NAME` characters on one line (the shared text rules: NFC, no
  control or invisible formatting characters).
- `bio`: 0 to `MAX_BIO` characters, at most `MAX_BIO_LINES` lines.
Both are stored as given and never rendered as HTML by us. A profile is made on the user's first
authenticated request (named after the sign-in's username), so anyone who has used the API has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelstack.domain.request_input import text_body_cap
from reelstack.domain.text import clean_text
from reelstack.errors import InvalidRequest

MAX_DISPLAY_NAME = 50
MAX_BIO = 160
MAX_BIO_LINES = 4
PROFILE_BODY_CAP = text_body_cap(MAX_DISPLAY_NAME + MAX_BIO)  # both fields at their longest, escaped


@dataclass(frozen=True)
class ProfilePatch:
    display_name: str | None = None
    bio: str | None = None

    def changes(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (("display_name", self.display_name), ("bio", self.bio))
            if value is not None
        }


@dataclass(frozen=True)
class AvatarUpload:
    """The newest avatar upload, as its owner sees it."""

    avatar_id: str
    state: str  # processing | ready | refused
    reason: str | None = None  # why it was refused

    def to_dict(self) -> dict[str, str | None]:
        return {"avatar_id": self.avatar_id, "state": self.state, "reason": self.reason}


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str
    bio: str = ""
    avatar_key: str | None = None  # the resized avatar's object key, once one was uploaded
    created_at: str = ""
    avatar_upload: AvatarUpload | None = None


def parse_profile_patch(body: Any) -> ProfilePatch:
    """`{display_name?, bio?}` (at least one) -> ProfilePatch; otherwise 400 `invalid_profile` / `invalid_field`."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the body must be a JSON object {display_name?, bio?}", code="invalid_profile")
    unknown = set(body) - {"display_name", "bio"}
    if unknown:
        raise InvalidRequest(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_profile")
    if not body:
        raise InvalidRequest("give display_name, bio or both", code="invalid_profile")
    name = body.get("display_name")
    bio = body.get("bio")
    patch = ProfilePatch(
        display_name=clean_text(name, field="display_name", max_length=MAX_DISPLAY_NAME)
        if "display_name" in body
        else None,
        bio=clean_text(bio, field="bio", max_length=MAX_BIO, min_length=0, multiline=True)
        if "bio" in body
        else None,
    )
    if patch.bio is not None and patch.bio.count("\n") >= MAX_BIO_LINES:
        raise InvalidRequest(
            f"'bio' may have at most {MAX_BIO_LINES} lines", code="invalid_field", field="bio"
        )
    return patch


def default_display_name(username: str) -> str:
    """A new profile's name: the sign-in's username, cut to fit (never empty)."""
    name = username.strip()[:MAX_DISPLAY_NAME]
    return name or "user"
