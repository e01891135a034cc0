"""The web app's release plan: which keys with which headers in which order, what earlier builds leave
behind and when it goes, and the headers each kind of file gets (the same locally and in AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack_tools.web_files import IMMUTABLE, REVALIDATE, cache_control, content_type
from reelstack_tools.web_release import (
    NotBuilt,
    Retirement,
    parse_retired,
    retired_tag_value,
    retirement,
    stale_keys,
    upload_plan,
)

BUILD = [
    "index.html",
    "favicon.svg",
    "assets/index-CjxBTJFD.js",
    "assets/index-CjxBTJFD.js.map",
    "assets/index-ZSwfSFfG.css",
    "assets/hls.light-c342WYh9.js",
    ".built",
]
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_assets_go_up_first_and_the_page_last() -> None:
    # GIVEN a Vite build (with its stamp file) WHEN its upload is planned
    plan = upload_plan(BUILD)
    keys = [item.key for item in plan]
    # THEN every hashed asset precedes the other files, config.json is written, and the page is last
    assert keys[:4] == [
        "web/assets/hls.light-c342WYh9.js",
        "web/assets/index-CjxBTJFD.js",
        "web/assets/index-CjxBTJFD.js.map",
        "web/assets/index-ZSwfSFfG.css",
    ]
    assert keys[4:] == ["web/config.json", "web/favicon.svg", "web/index.html"]
    # AND the stamp stays out
    assert "web/.built" not in keys


def test_each_object_carries_its_type_and_caching() -> None:
    # GIVEN the plan WHEN its headers are read
    headers = {item.key: (item.content_type, item.cache_control) for item in upload_plan(BUILD)}
    # THEN hashed assets are immutable for a year, the page, its configuration and the icon revalidated
    assert headers["web/assets/index-CjxBTJFD.js"] == ("text/javascript; charset=utf-8", IMMUTABLE)
    assert headers["web/assets/index-ZSwfSFfG.css"] == ("text/css; charset=utf-8", IMMUTABLE)
    assert headers["web/assets/index-CjxBTJFD.js.map"] == ("application/json", IMMUTABLE)
    assert headers["web/index.html"] == ("text/html; charset=utf-8", REVALIDATE)
    assert headers["web/config.json"] == ("application/json", REVALIDATE)
    assert headers["web/favicon.svg"] == ("image/svg+xml", REVALIDATE)
    assert IMMUTABLE == "public, max-age=31536000, immutable"


def test_file_headers_do_not_depend_on_the_machine() -> None:
    # GIVEN names of the kinds a build holds WHEN their headers are asked for
    # THEN they come from the fixed table (not the machine's mime.types), with an octet-stream fallback
    assert content_type("ASSETS/FONT.WOFF2") == "font/woff2"
    assert content_type("manifest.webmanifest") == "application/manifest+json"
    assert content_type("blob.unknownsuffix") == "application/octet-stream"
    assert cache_control("/assets/x.js") == cache_control("assets/x.js") == IMMUTABLE
    assert cache_control("assets.txt") == REVALIDATE


def test_a_build_without_its_page_is_not_deployed() -> None:
    # GIVEN a folder with assets only WHEN planned THEN it is refused with the way to build it
    with pytest.raises(NotBuilt, match="make web"):
        upload_plan(["assets/index-abc.js"])


def test_files_the_new_build_lacks_are_stale_and_nothing_else_is() -> None:
    # GIVEN the bucket's keys after an earlier build, and another prefix's keys
    existing = [
        "web/index.html",
        "web/config.json",
        "web/assets/index-OLD.js",
        "web/robots.txt",
        "renditions/v1/master.m3u8",
    ]
    # WHEN compared with the new plan
    stale = stale_keys(existing, upload_plan(BUILD))
    # THEN only web/ keys the new build does not write are stale (never config.json, never media)
    assert stale == ["web/assets/index-OLD.js", "web/robots.txt"]


def test_stale_files_are_marked_then_deleted_a_keep_later() -> None:
    # GIVEN stale files never marked, marked a day ago, and marked eight days ago
    stale = {
        "web/assets/a.js": None,
        "web/assets/b.js": NOW - timedelta(days=1),
        "web/assets/c.js": NOW - timedelta(days=8),
    }
    # WHEN a deploy keeping them a week decides
    plan = retirement(stale, NOW, WEEK)
    # THEN the unmarked one is marked, the one marked a day ago waits, the old one goes
    assert plan == Retirement(mark=["web/assets/a.js"], delete=["web/assets/c.js"])
    # AND keeping them 0 days deletes all three now
    assert retirement(stale, NOW, timedelta(0)).delete == sorted(stale)


def test_a_retired_mark_reads_back_and_a_bad_one_is_no_mark() -> None:
    # GIVEN a mark written for a time WHEN read back THEN it is that time
    assert parse_retired(retired_tag_value(NOW)) == NOW
    # AND a missing, garbled or zone-less mark counts as none (the file is marked again)
    assert parse_retired(None) is None
    assert parse_retired("yesterday") is None
    assert parse_retired("2026-05-01T12:00:00") is None
