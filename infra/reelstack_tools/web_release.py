"""A release of the web app into the media bucket, planned without touching AWS (`web_deploy` carries it
out): which keys, in which order, with which headers; which files of earlier builds to mark retired or to
delete; which paths to invalidate.

- Order: the new build's hashed assets first, then its other files and `config.json`, the page last, so a
  page never names an asset that is not up yet.
- Earlier builds: a file the new build no longer has is not deleted at once. A page opened before the
  deploy still loads its own files later (hls.js is fetched at the first play, not with the page), so such
  a file is marked retired (an object tag holding the time) and deleted by the first deploy at least
  `keep` after that; a file that comes back in a later build is written again, which clears the mark.
- Invalidation, once the new files are up and before anything is deleted: `/` (kept at the edge by the
  media cache policy), the page and the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reelstack_tools.web_files import cache_control, content_type, is_hashed_asset

WEB_PREFIX = "web/"
PAGE = "index.html"
CONFIG = "config.json"
INVALIDATED_PATHS = ("/", f"/{PAGE}", f"/{CONFIG}")
RETIRED_TAG = "reelstack-retired-at"


class NotBuilt(FileNotFoundError):
    """The build has no page: `make web` has not run (or failed)."""


@dataclass(frozen=True)
class WebObject:
    name: str  # the file's path in the build (`/`-separated); CONFIG is written, not read
    key: str
    content_type: str
    cache_control: str


def web_object(name: str) -> WebObject:
    return WebObject(name, WEB_PREFIX + name, content_type(name), cache_control(name))


def upload_plan(names: Iterable[str]) -> list[WebObject]:
    """The objects of a build whose files are `names` (relative, `/`-separated), config.json included,
    in upload order. Hidden files (the build's stamp) stay out; a config.json of the build is replaced."""
    shipped = {name for name in names if not any(part.startswith(".") for part in name.split("/"))}
    if PAGE not in shipped:
        raise NotBuilt(f"the build has no {PAGE}: run `make web`")
    shipped.add(CONFIG)
    ordered = sorted(shipped, key=lambda name: (name == PAGE, not is_hashed_asset(name), name))
    return [web_object(name) for name in ordered]


@dataclass(frozen=True)
class Retirement:
    mark: list[str] = field(default_factory=list)  # keys to tag as retired now
    delete: list[str] = field(default_factory=list)  # keys retired at least `keep` ago


def retirement(stale: Mapping[str, datetime | None], now: datetime, keep: timedelta) -> Retirement:
    """What to do with the keys of earlier builds that the new one lacks (`stale`: key -> when it was marked
    retired, None if never): delete those retired `keep` ago or more, mark the others not marked yet.
    `keep` 0 deletes them all now."""
    plan = Retirement()
    for key in sorted(stale):
        retired = stale[key] or now
        if now - retired >= keep:
            plan.delete.append(key)
        elif stale[key] is None:
            plan.mark.append(key)
    return plan


def stale_keys(existing: Iterable[str], plan: Iterable[WebObject]) -> list[str]:
    """The keys under web/ that the release `plan` does not write."""
    written = {item.key for item in plan}
    return sorted(key for key in existing if key.startswith(WEB_PREFIX) and key not in written)


def retired_tag_value(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def parse_retired(value: str | None) -> datetime | None:
    """A retired mark's time (None for no mark or one that does not parse: marked again)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
