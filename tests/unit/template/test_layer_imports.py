"""The shared layer `sam build` makes, trimmed to what functions import, is enough for every handler,
and ships the bytecode of every module it holds.

The layer is built by layers/shared/Makefile as `sam build` runs it, for arm64 (the template's) and for
this machine (x86_64, the same requirements and trim: aarch64 wheels cannot load here), both cached
under .reelstack/layers/ by the hash of the build's inputs (a cold build downloads ~40 MB of wheels,
or takes them from pip's cache). Each zip function's handler is then imported in an interpreter that
sees the standard library, the built layer and the function's folder only, with the environment the
local cloud gives its worker, and with sockets refusing to connect (a cold start does no I/O).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import distributions
from pathlib import Path

import pytest

from reelstack_tools.shared_layer import (
    LAMBDA_PLATFORM,
    LAYER_DIR,
    BuiltLayer,
    LayerFunction,
    built_layer,
    cpu_count,
    isolated_python,
    layer_functions,
)

# Modules of kept distributions that import what the trim removed, each reviewed: none is imported
# by a handler, at cold start or later. A new importer (a dependency's upgrade) fails the test until
# it is reviewed and added here, or its distribution kept.
REVIEWED_IMPORTERS = {
    "chalice/cli/": "chalice's CLI (click, inquirer); handlers import chalice.app",
    "chalice/utils.py": "chalice's CLI helpers (click); imported by the CLI and the packager only",
    "chalice/compat.py": "the packager's pip invocation; chalice.app does not import it",
    "chalice/package.py": "`chalice package` (yaml)",
    "chalice/pipeline.py": "`chalice generate-pipeline` (yaml)",
    "dotenv/cli.py": "python-dotenv's CLI (click); pydantic-settings imports dotenv.main",
    "pydantic_settings/sources/providers/yaml.py": "a YAML settings source; reelstack reads the environment",
    "pydantic_settings/sources/providers/gcp.py": "GCP Secret Manager settings source (google.*)",
    "aws_lambda_powertools/utilities/kafka/": "Powertools' Kafka consumer (protobuf); no Kafka here",
    "cffi/setuptools_ext.py": "building cffi modules (setuptools)",
    "cffi/_shimmed_dist_utils.py": "building cffi modules (setuptools)",
    "cffi/cparser.py": "FFI.cdef's C parser (pycparser); cryptography loads _cffi_backend only",
}

PROBE = """
import importlib, json, socket, sys
layer, code_dir, handler = sys.argv[1:4]
assert not [p for p in sys.path if "site-packages" in p], sys.path
sys.path[:0] = [code_dir, layer]

def refuse(self, address):
    raise OSError(f"a handler connected to {address} at import (a cold start does no I/O)")

socket.socket.connect = refuse
module_name, _, attribute = handler.rpartition(".")
module = importlib.import_module(module_name)
assert callable(getattr(module, attribute)), handler
loaded = {m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
outside = sorted(f for f in loaded if not f.startswith((layer, code_dir, sys.base_prefix)))
print(json.dumps({"outside": outside}))
"""


@pytest.fixture(scope="module")
def trimmed() -> BuiltLayer:
    """The layer as `sam build` makes it, built for this machine (x86_64)."""
    return built_layer()


@pytest.fixture(scope="module")
def arm64() -> BuiltLayer:
    """The layer as `sam build` makes it (arm64)."""
    return built_layer(LAMBDA_PLATFORM)


def _import_handler(layer: Path, function: LayerFunction) -> str | None:
    """None when the handler imports from the layer and its folder alone; else what went wrong."""
    result = subprocess.run(
        [
            *isolated_python(),
            "-c",
            PROBE,
            str(layer),
            str(function.code_dir),
            function.handler,
        ],
        env=dict(function.environment),
        cwd=function.code_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        return f"{function.logical_id}: {result.stderr.strip().splitlines()[-1:]}"
    outside = json.loads(result.stdout.strip().splitlines()[-1])["outside"]
    return f"{function.logical_id} loaded modules from elsewhere: {outside}" if outside else None


def test_every_zip_handler_imports_from_the_trimmed_layer_alone(trimmed: BuiltLayer) -> None:
    """GIVEN the trimmed layer and each zip function that uses it
    WHEN its handler is imported with only the standard library, the layer and its own folder on the
    path, its worker's environment, and no network
    THEN every handler imports, and every module it loads comes from those folders."""
    functions = layer_functions()
    assert len(functions) >= 20  # the template's zip functions (not the container images)

    with ThreadPoolExecutor(max_workers=cpu_count()) as pool:
        failures = [
            failure
            for failure in pool.map(lambda function: _import_handler(trimmed.python, function), functions)
            if failure
        ]

    assert failures == []


def _imports(path: Path, names: set[str]) -> set[str]:
    """The absolute module names a source file imports, anywhere in it (functions included), when it
    mentions one of `names` at all (most files do not: they are not parsed)."""
    source = path.read_bytes()
    if not any(name.encode() in source for name in names):
        return set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in third-party sources
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_reviewed_modules_import_what_the_trim_removed(trimmed: BuiltLayer) -> None:
    """GIVEN the trim's report (the import names that no longer resolve in the layer)
    WHEN every Python file left in the layer is read for imports, lazy ones included
    THEN pip, setuptools and grpc are gone, and the files importing a removed name are the reviewed
    ones (CLIs, packagers, features no function uses)."""
    assert trimmed.trim_report is not None
    report = json.loads(trimmed.trim_report.read_text(encoding="utf-8"))["removed"]
    removed = {name for entry in report.values() for name in entry["top_level"]}
    assert {"pip", "setuptools", "grpc"} <= removed

    importers = {
        path.relative_to(trimmed.python).as_posix()
        for path in trimmed.python.rglob("*.py")
        if {name.split(".")[0] for name in _imports(path, removed)} & removed
    }

    unreviewed = sorted(path for path in importers if not path.startswith(tuple(REVIEWED_IMPORTERS)))
    assert unreviewed == []


def test_the_arm64_layer_carries_what_the_tested_twin_carries(trimmed: BuiltLayer, arm64: BuiltLayer) -> None:
    """GIVEN the layer `sam build` makes (arm64) and the x86_64 twin the handlers were imported from
    WHEN their distributions are compared
    THEN they are the same at the same versions, none of not-imported.txt among them, and no bin/."""

    def carried(layer: BuiltLayer) -> dict[str, str]:
        return {
            dist.metadata["Name"].lower(): dist.version for dist in distributions(path=[str(layer.python)])
        }

    listed = {
        line.split("#", 1)[0].strip()
        for line in (LAYER_DIR / "not-imported.txt").read_text(encoding="utf-8").splitlines()
    } - {""}
    assert carried(arm64) == carried(trimmed)
    assert not {name.replace("_", "-") for name in carried(arm64)} & listed
    assert not (arm64.python / "bin").exists()
    assert (arm64.python / "reelstack" / "__init__.py").is_file()


def test_the_layer_ships_bytecode_python_3_11_loads_unchecked(arm64: BuiltLayer) -> None:
    """GIVEN the arm64 layer `sam build` makes WHEN each of its modules is looked for in __pycache__
    THEN each has a .pyc for this interpreter's magic number (Python 3.11's, Lambda's runtime),
    hash-based and unchecked: loaded as is, whatever the unpacked files' times."""
    sources = list(arm64.python.rglob("*.py"))
    assert len(sources) > 1000

    missing, stale = [], []
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            missing.append(source.relative_to(arm64.python).as_posix())
            continue
        header = cached.read_bytes()[:8]
        if header[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(header[4:8], "little") != 0b01:
            stale.append(source.relative_to(arm64.python).as_posix())

    assert (missing, stale) == ([], [])
