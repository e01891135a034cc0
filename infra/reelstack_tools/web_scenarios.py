"""Running the web app's browser scenarios (`web/e2e/*.mjs`: Debian's Chromium driven by playwright-core)
from Python, for the browser tests and benchmarks/playback.py: one JSON argument in, the scenario's JSON
result out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # infra/reelstack_tools/ -> the repository
WEB = ROOT / "web"
SCENARIOS = WEB / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class ScenarioFailed(AssertionError):
    """The scenario stopped with an error (its message, the page's errors and a screenshot path)."""


def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks, each with the command that provides it."""
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js 20.19+ (node, npm)")
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (`make web-test` installs Debian's chromium)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        missing.append("web/node_modules (`make web`)")
    if not (WEB / "dist" / "index.html").is_file():
        missing.append("the built app web/dist (`make web`)")
    return missing


def run_scenario(name: str, args: dict[str, Any], timeout: float, failure_dir: Path) -> dict[str, Any]:
    """Run `web/e2e/<name>.mjs` with `args`; its result, or ScenarioFailed with what it saw."""
    screenshot = failure_dir / f"{name}-failure.png"
    argument = json.dumps({**args, "failureScreenshot": str(screenshot)})
    done = subprocess.run(
        ["node", str(SCENARIOS / f"{name}.mjs"), argument],
        cwd=WEB, capture_output=True, text=True, timeout=timeout, env={**os.environ, "CHROMIUM": CHROMIUM},
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ScenarioFailed(
            f"{name}: no result (exit {done.returncode})\n{done.stdout}\n{done.stderr}"
        ) from None
    if not result.get("ok"):
        raise ScenarioFailed(
            f"{name} failed: {result.get('error')}\npage problems: {result.get('problems')}\n"
            f"screenshot: {screenshot if screenshot.exists() else 'none'}\n{done.stderr[-2000:]}"
        )
    return result
