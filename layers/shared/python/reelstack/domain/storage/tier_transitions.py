"""Which storage tier may follow which (pure): the transition table, leases, and what an archive moves.

    event      from                              to          who
    archive    hot, warm, restoring, archiving   archiving   the owner (archiving: resume a half-done one)
    archived   archiving                         cold        the archive, once every object is cold
    play       hot, warm, cold, restoring        restoring   a player, when some media cannot be read
    restored   restoring                         hot         a player, once everything is back in Standard
    nightly    hot, warm, cold                   hot, warm, cold   the nightly tiering

A video in `archiving` is never played or tiered as it stands: a player finishes the archive first
(then restores), the tiering leaves it alone. A request that moves objects (archive, the copy back
to Standard, the tiering) holds a lease on the record while it does; every other request that would
move them is refused until the lease is released or runs out (a request that died mid-move).

An archive skips every object already in its target class or a colder one: an object S3 must restore
first cannot be copied anyway, and moving it warmer is not an archive's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from reelstack.domain.storage.pricing import StorageClass
from reelstack.domain.storage.storage_tiers import COLD_STORAGE_CLASS, LOW_RENDITION_CLASS, StorageState, Tier


class TierEvent(StrEnum):
    ARCHIVE = "archive"
    ARCHIVED = "archived"
    PLAY = "play"
    RESTORED = "restored"
    NIGHTLY = "nightly"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Tier]
    targets: frozenset[Tier]


TRANSITIONS: dict[TierEvent, Transition] = {
    TierEvent.ARCHIVE: Transition(
        frozenset({Tier.HOT, Tier.WARM, Tier.RESTORING, Tier.ARCHIVING}), frozenset({Tier.ARCHIVING})
    ),
    TierEvent.ARCHIVED: Transition(frozenset({Tier.ARCHIVING}), frozenset({Tier.COLD})),
    TierEvent.PLAY: Transition(
        frozenset({Tier.HOT, Tier.WARM, Tier.COLD, Tier.RESTORING}), frozenset({Tier.RESTORING})
    ),
    TierEvent.RESTORED: Transition(frozenset({Tier.RESTORING}), frozenset({Tier.HOT})),
    TierEvent.NIGHTLY: Transition(
        frozenset({Tier.HOT, Tier.WARM, Tier.COLD}), frozenset({Tier.HOT, Tier.WARM, Tier.COLD})
    ),
}


class InvalidTierTransition(ValueError):
    """The table has no such move (a bug in the caller: services check `allowed` first)."""


def allowed(current: Tier, event: TierEvent) -> bool:
    return current in TRANSITIONS[event].sources


def next_tier(current: Tier, event: TierEvent, target: Tier | None = None) -> Tier:
    """The tier `event` moves `current` to (`target` names it where the event allows several)."""
    transition = TRANSITIONS[event]
    if current not in transition.sources:
        raise InvalidTierTransition(f"{event.value} is not allowed from {current.value}")
    if target is None:
        if len(transition.targets) != 1:
            raise InvalidTierTransition(f"{event.value} needs a target tier")
        (target,) = transition.targets
    if target not in transition.targets:
        raise InvalidTierTransition(f"{event.value} cannot move {current.value} to {target.value}")
    return target


def lease_held(state: StorageState, now: datetime) -> bool:
    """Whether a request is moving the video's objects now (its lease has not run out)."""
    if state.lease_until is None:
        return False
    return datetime.fromisoformat(state.lease_until.replace("Z", "+00:00")) > now


def lease_left_s(state: StorageState, now: datetime) -> float:
    if state.lease_until is None:
        return 0.0
    return max(0.0, (datetime.fromisoformat(state.lease_until.replace("Z", "+00:00")) - now).total_seconds())


def coldness(storage_class: str) -> int:
    """An S3 class's rank, warmest first; a class the pricing does not know ranks as Standard."""
    try:
        return StorageClass(storage_class).coldness
    except ValueError:
        return 0


def instant(storage_class: str) -> bool:
    """Readable without a restore."""
    try:
        return StorageClass(storage_class).instant
    except ValueError:
        return True


def needs_move(current: str, target: str) -> bool:
    """An archive moves an object only to a colder class than it is in."""
    return coldness(current) < coldness(target)


@dataclass(frozen=True)
class Listed:
    key: str
    storage_class: str


def archive_moves(
    objects: Iterable[Listed],
    renditions_prefix: str,
    master_key: str,
    original_key: str | None,
    low_rendition: str | None,
) -> list[tuple[str, str]]:
    """(key, class) for each object the archive still has to move: every object in a rendition folder
    to Glacier (the kept low rendition's to Glacier IR), the original to Glacier, and the master to
    Glacier when no rendition is kept (nothing could play it); objects beside the folders (master,
    poster, sprite) stay. Objects already in their target class or a colder one are skipped."""
    moves: list[tuple[str, str]] = []
    for obj in objects:
        target: str | None = None
        if obj.key == original_key:
            target = COLD_STORAGE_CLASS
        elif obj.key.startswith(renditions_prefix):
            rest = obj.key[len(renditions_prefix) :]
            folder = rest.split("/", 1)[0] if "/" in rest else None
            if folder is not None:
                target = LOW_RENDITION_CLASS if folder == low_rendition else COLD_STORAGE_CLASS
            elif obj.key == master_key and low_rendition is None:
                target = COLD_STORAGE_CLASS
        if target is not None and needs_move(obj.storage_class, target):
            moves.append((obj.key, target))
    return moves


def all_instant(objects: Sequence[Listed]) -> bool:
    return all(instant(obj.storage_class) for obj in objects)
