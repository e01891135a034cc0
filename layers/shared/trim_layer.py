"""Remove from an installed layer the distributions no function imports, and its console scripts.

    python3 trim_layer.py LAYER_PYTHON_DIR not-imported.txt [--report REPORT.json]

LAYER_PYTHON_DIR is the folder `pip install --target` filled (the layer's python/). Each distribution
named in the list (one a line, `#` comments) loses every file its RECORD lists inside that folder, its
.dist-info, and the folders left empty; bin/ (console scripts: pip, chalice, futurize, ...) goes too,
being off sys.path. A listed distribution that is not installed is an error: the list follows the
requirements. The report (JSON) names what went: each distribution's version, bytes, and the top-level
import names that no longer resolve in the layer. Standard library only: `sam build` runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def listed_names(text: str) -> list[str]:
    """The distribution names of a list file: first word of each line, comments and blanks skipped."""
    names = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            names.append(canonical(words[0]))
    return names


def _installed(layer: Path) -> dict[str, Distribution]:
    return {canonical(dist.metadata["Name"]): dist for dist in distributions(path=[str(layer)])}


def _top_level(relative: Path) -> str | None:
    """The import name a file installs under (package folder, module or extension), if any."""
    first = relative.parts[0]
    if first == ".." or first.endswith((".dist-info", ".pth")):
        return None
    if len(relative.parts) > 1:
        return first
    return first.split(".", 1)[0] if first.endswith((".py", ".so", ".pyd")) else None


def remove_distribution(layer: Path, dist: Distribution) -> dict[str, Any]:
    """Delete the files of `dist` inside `layer` (its RECORD), then the folders they leave empty."""
    root = layer.resolve()
    removed_bytes = 0
    tops: set[str] = set()
    folders: set[Path] = set()
    for record in dist.files or []:
        path = (layer / record).resolve()
        if not path.is_relative_to(root):
            continue  # ../../bin/...: the scripts folder, removed whole
        top = _top_level(path.relative_to(root))
        if top is not None:
            tops.add(top)
        if path.is_file():
            removed_bytes += path.stat().st_size
            path.unlink()
        folders.update(parent for parent in path.parents if parent.is_relative_to(root) and parent != root)
    for folder in sorted(folders, key=lambda item: len(item.parts), reverse=True):
        if folder.name.endswith(".dist-info"):
            shutil.rmtree(folder, ignore_errors=True)  # with anything RECORD does not list
        elif folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    gone = sorted(top for top in tops if not (root / top).exists() and not any(root.glob(f"{top}.*")))
    return {"version": dist.version, "bytes": removed_bytes, "top_level": gone}


def trim(layer: Path, names: list[str]) -> dict[str, Any]:
    """Remove each named distribution and bin/ from `layer`; returns the report."""
    installed = _installed(layer)
    missing = [name for name in names if name not in installed]
    if missing:
        raise SystemExit(f"trim_layer: listed but not installed (update the list): {', '.join(missing)}")
    removed = {name: remove_distribution(layer, installed[name]) for name in names}
    scripts = layer / "bin"
    if scripts.is_dir():
        shutil.rmtree(scripts)
    return {"removed": removed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("layer", type=Path, help="the layer's python/ folder, as pip --target filled it")
    parser.add_argument("names", type=Path, help="the list of distributions to remove")
    parser.add_argument("--report", type=Path, help="write what was removed here (JSON)")
    args = parser.parse_args(argv)
    report = trim(args.layer, listed_names(args.names.read_text(encoding="utf-8")))
    total = sum(entry["bytes"] for entry in report["removed"].values())
    sys.stderr.write(f"trim_layer: removed {len(report['removed'])} distributions, {total / 1e6:.1f} MB\n")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
