"""Fixtures of the browser tests: the prerequisites (Node.js, Debian's Chromium, the built app), the
session's local cloud (it serves the app at `/` on its API port), and generated clips."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.web_scenarios import missing_prerequisites, run_scenario

Scenario = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def scenario(local_cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """`scenario(name, timeout=..., **args)`: run `web/e2e/<name>.mjs` against the session's local cloud
    (`base`: its API URL, where the app is served); a failure's screenshot lands in a temporary folder."""
    missing = missing_prerequisites()
    if missing:
        pytest.fail("the browser tests need: " + "; ".join(missing))
    failures = tmp_path_factory.mktemp("browser-failures")

    def run(name: str, timeout: float = 300, **args: Any) -> dict[str, Any]:
        return run_scenario(name, {"base": local_cloud.api_url, **args}, timeout, failures)

    return run


@pytest.fixture(scope="session")
def clip_8s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 s 720p H.264/AAC clip (~7 MiB): four 2 s segments per rendition, so half is two of them."""
    from reelstack_tools.demo import make_test_video

    return make_test_video(tmp_path_factory.mktemp("web-media") / "clip-8s.mp4", 8)


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where the README's screenshots go when `REELSTACK_SCREENSHOTS` names a folder (e.g. docs/)."""
    folder = os.environ.get("REELSTACK_SCREENSHOTS")
    return Path(folder).resolve() if folder else None
