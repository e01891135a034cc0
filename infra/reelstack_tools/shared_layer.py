"""The shared layer as `sam build` makes it, built for this machine too, and the functions that use it.

`built_layer(platform, trim, bytecode)` runs layers/shared/Makefile's `build-SharedLayer` (the target
`sam build` runs) into `.reelstack/layers/<platform>-<variant>-<hash>/`, once per content of the files
that build reads (the hash: requirements, Makefile, trim script and list; pip's cache serves the
wheels), and refreshes the reelstack package in it from the source at each call (compiled as the
Makefile compiles it). `layer_functions()` lists the zip
functions of the template that use the layer, each with its code folder, handler and the environment
the local cloud gives its worker. `isolated_python()` is an interpreter that sees the standard library
alone: whatever else a handler imports must come from the folders put on its path.
"""

from __future__ import annotations

import compileall
import hashlib
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reelstack_tools.localcloud.functions import function_specs, sandbox_environment
from reelstack_tools.localcloud.naming import Naming
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Template

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER_DIR = REPO_ROOT / "layers" / "shared"
PACKAGE_DIR = LAYER_DIR / "python" / "reelstack"
# What build-SharedLayer reads besides the reelstack package (copied fresh at every call).
BUILD_INPUTS = ("requirements.txt", "Makefile", "trim_layer.py", "not-imported.txt")
LAMBDA_PLATFORM = "manylinux2014_aarch64"  # the template's arm64
LOCAL_PLATFORM = "manylinux2014_x86_64"  # this machine: the twin whose handlers can be imported here
# Loopback placeholders for the endpoints a worker's environment names; nothing connects at import.
AWS_ENDPOINT = "http://127.0.0.1:4566"
REDIS_URL = "redis://127.0.0.1:6379"
SEARCH_URL = "http://127.0.0.1:9250"


@dataclass(frozen=True)
class BuiltLayer:
    root: Path  # ARTIFACTS_DIR: what the layer's zip holds (python/ inside)
    trim_report: Path | None  # trim_layer.py's JSON report (None for the untrimmed layer)

    @property
    def python(self) -> Path:
        """The folder Lambda puts on sys.path (/opt/python)."""
        return self.root / "python"


@dataclass(frozen=True)
class LayerFunction:
    logical_id: str
    code_dir: Path
    handler: str  # module.attribute
    environment: Mapping[str, str]


def build_hash(platform: str, trim: bool, bytecode: bool) -> str:
    digest = hashlib.sha256(f"{platform}\n{trim}\n{bytecode}\n".encode())
    for name in BUILD_INPUTS:
        digest.update((LAYER_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def built_layer(
    platform: str = LOCAL_PLATFORM,
    *,
    trim: bool = True,
    bytecode: bool = True,
    state_dir: Path | None = None,
) -> BuiltLayer:
    """The layer built by the Makefile for `platform` (by default as `sam build` makes it: trimmed,
    with bytecode), from the cache when its inputs are unchanged."""
    cache = (state_dir or REPO_ROOT / ".reelstack") / "layers"
    variant = f"{'trimmed' if trim else 'full'}{'-bytecode' if bytecode else ''}"
    target = cache / f"{platform}-{variant}-{build_hash(platform, trim, bytecode)}"
    if not (target / "layer" / "python").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
        try:
            _make(scratch, platform, trim, bytecode)
            scratch.rename(target)  # whole or absent: a concurrent or interrupted build leaves no half
        except OSError:
            if not (target / "layer" / "python").is_dir():
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for stale in cache.iterdir():  # the same layer built from earlier inputs
            if stale != target and stale.name.rsplit("-", 1)[0] == target.name.rsplit("-", 1)[0]:
                shutil.rmtree(stale, ignore_errors=True)
    _refresh_package(target / "layer" / "python" / "reelstack", bytecode)
    report = target / "trim-report.json"
    return BuiltLayer(root=target / "layer", trim_report=report if trim else None)


def _make(scratch: Path, platform: str, trim: bool, bytecode: bool) -> None:
    command = [
        "make",
        "-s",
        "-C",
        str(LAYER_DIR),
        "build-SharedLayer",
        f"ARTIFACTS_DIR={scratch / 'layer'}",
        f"PLATFORM={platform}",
        f"TRIM={'yes' if trim else 'no'}",
        f"TRIM_REPORT={scratch / 'trim-report.json' if trim else ''}",
        f"BYTECODE={'yes' if bytecode else 'no'}",
        f"PYTHON={sys.executable}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"building the shared layer failed:\n{result.stdout}{result.stderr}")


def _refresh_package(copy: Path, bytecode: bool) -> None:
    """The reelstack package in the built layer, as the source has it now (the Makefile's `cp -r`,
    then its compileall)."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if bytecode and not compileall.compile_dir(
        copy, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    ):
        raise RuntimeError(f"compiling {copy} failed")


def layer_functions(template: Path = REPO_ROOT / "template.yaml") -> list[LayerFunction]:
    """Each zip function whose layers include the shared layer, in template order."""
    stack = Stack(Template.load(template), Naming("reelstack", AWS_ENDPOINT))
    shared = (template.parent / "layers" / "shared" / "python").resolve()
    with tempfile.TemporaryDirectory() as scratch:
        specs = function_specs(stack, Path(scratch))
    functions = []
    for spec in specs.values():
        if (
            stack.properties(spec.logical_id).get("PackageType", "Zip") != "Zip"
            or shared not in spec.python_path
        ):
            continue
        environment = sandbox_environment(
            spec, aws_endpoint=AWS_ENDPOINT, redis_url=REDIS_URL, extra_python_path="", search_url=SEARCH_URL
        )
        functions.append(LayerFunction(spec.logical_id, spec.code_dir, spec.handler, environment))
    return functions


def isolated_python() -> list[str]:
    """This interpreter with no site-packages, no PYTHON* variables and no script folder on sys.path
    (the standard library alone), writing no bytecode (Lambda's /opt is read-only)."""
    return [sys.executable, "-S", "-I", "-B"]


def drop_bytecode(folder: Path) -> None:
    """Remove every __pycache__ under `folder` (as the Makefile's last step does)."""
    for cache in list(folder.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def folder_bytes(folder: Path) -> int:
    """The apparent size of every file under `folder` (what the layer unzips to)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
