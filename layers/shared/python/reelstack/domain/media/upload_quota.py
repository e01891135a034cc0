"""Per-user quota on open uploads: how many a user may hold OPEN at once and how many bytes they declare.

An upload counts while it is OPEN and not yet expired; completing (it leaves OPEN for MERGING),
aborting, failing or expiring frees its share. The open uploads come from the uploads table's sparse
open-owner index (`adapters.repositories.Repositories.open_uploads_of`); this module only decides.

Opening one more is refused with 409 and a code saying which limit it meets
(`too_many_open_uploads`, `upload_bytes_quota`); the answer lists the open uploads (id, size, expiry)
so the client can complete or abort the ones it has lost track of.

Two opens at the same moment may both pass (each counted before the other was written; in AWS the index
is also read eventually consistent): the overshoot is bounded by the `upload` token bucket's burst, and
the next open sees both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reelstack.errors import Conflict

LISTED_IN_REFUSAL = 20  # open uploads named in a refusal, soonest to expire first


@dataclass(frozen=True)
class OpenUploadQuota:
    """At most `max_open` uploads and `max_bytes` declared bytes OPEN per user; 0 turns a limit off."""

    max_open: int
    max_bytes: int

    def __post_init__(self) -> None:
        if self.max_open < 0 or self.max_bytes < 0:
            raise ValueError(f"upload quotas are counts >= 0 (0 = no limit), not {self}")


@dataclass(frozen=True)
class OpenUpload:
    """One of the user's uploads that still counts."""

    upload_id: str
    size: int
    expires_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "size": self.size, "expires_at": self.expires_at}


def check_room(quota: OpenUploadQuota, open_uploads: Sequence[OpenUpload], size: int) -> None:
    """Raise `Conflict` when one more upload of `size` bytes would exceed the quota."""
    in_flight = sum(upload.size for upload in open_uploads)
    listed = [upload.to_dict() for upload in sorted(open_uploads, key=lambda u: u.expires_at)]
    details: dict[str, Any] = {
        "open_uploads": listed[:LISTED_IN_REFUSAL],
        "open_count": len(open_uploads),
        "bytes_in_flight": in_flight,
        "max_open_uploads": quota.max_open,
        "max_bytes_in_flight": quota.max_bytes,
    }
    how_to_free = "complete or abort (DELETE /uploads/{upload_id}) one of them, or wait until it expires"
    if quota.max_open and len(open_uploads) >= quota.max_open:
        raise Conflict(
            f"you have {len(open_uploads)} open uploads, the most allowed at once; {how_to_free}",
            code="too_many_open_uploads",
            **details,
        )
    if quota.max_bytes and in_flight + size > quota.max_bytes:
        raise Conflict(
            f"your open uploads declare {in_flight} bytes; {size} more would exceed the "
            f"{quota.max_bytes} bytes allowed in flight; {how_to_free}",
            code="upload_bytes_quota",
            **details,
        )
