"""Cold starts of the zip functions on the local cloud, with the shared layer before and after its trim.

    .venv/bin/python benchmarks/cold_start.py [--repeats 5] [--only ApiFunction,LikesFunction]

Baseline `full`: the layer layers/shared/Makefile made before (`TRIM=no BYTECODE=no`: every
distribution the pinned requirements pull in, no bytecode). `trimmed`: less what no function imports
(`BYTECODE=no`). `shipped`: the layer `sam build` makes now, trimmed and with its bytecode. All are built
by the Makefile (cached under .reelstack/layers/, see reelstack_tools.shared_layer).

1. Size, of the arm64 layers `sam build` makes: unpacked MB (Lambda's limit: 250 MB for a function
   and its layers) and zipped MB (deflate, as SAM zips it: what each new sandbox fetches).
2. Cold start, per zip function: the local cloud's worker (reelstack_tools.localcloud.worker, the
   process its Lambda dispatcher starts per function) is started as the dispatcher starts it, with
   the function's environment, and its `init_ms` is read from its ready frame: the import of the
   handler module with the layer on the path, Lambda's Init phase. The `ready` column adds the
   interpreter's own start (spawn to ready frame).

Fairness: the layers are the x86_64 twins of the arm64 ones (same requirements, same trim, same
bytecode; aarch64 wheels cannot load here), imported by the same interpreter with no site-packages
(`-S -I`) and writing no bytecode (`-B`: Lambda's /opt is read-only), from the same function folders.
Runs interleave: each repetition visits every function in a shuffled order and starts the layers'
workers back to back in a random order; medians over `--repeats`. The machine is shared: the spread
of each layer's init is printed as its interquartile range.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from reelstack_tools.localcloud.framing import read_frame
from reelstack_tools.localcloud.local_env import INFRA_DIR
from reelstack_tools.shared_layer import (
    LAMBDA_PLATFORM,
    LOCAL_PLATFORM,
    BuiltLayer,
    LayerFunction,
    built_layer,
    drop_bytecode,
    folder_bytes,
    isolated_python,
    layer_functions,
)

# The worker as the dispatcher runs it (`python -m reelstack_tools.localcloud.worker SPEC`), in an
# interpreter that sees the standard library alone: reelstack_tools goes after it, the layer in front.
WORKER_BOOT = (
    "import sys; sys.path.append({infra!r}); "
    "from reelstack_tools.localcloud.worker import main; sys.exit(main())"
)
# name -> (trim, bytecode), the Makefile's TRIM and BYTECODE
VARIANTS = {"full": (False, False), "trimmed": (True, False), "shipped": (True, True)}


@dataclass
class Samples:
    init_ms: dict[str, list[float]] = field(default_factory=lambda: {variant: [] for variant in VARIANTS})
    ready_ms: dict[str, list[float]] = field(default_factory=lambda: {variant: [] for variant in VARIANTS})


def cold_start(layer: BuiltLayer, function: LayerFunction) -> tuple[float, float]:
    """One worker started for `function` with `layer`: (init ms it reports, spawn-to-ready ms)."""
    spec = {
        "handler": function.handler,
        "code_dir": str(function.code_dir),
        "python_path": [str(layer.python)],
    }
    command = [*isolated_python(), "-c", WORKER_BOOT.format(infra=str(INFRA_DIR)), json.dumps(spec)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(function.environment),
        cwd=function.code_dir,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        ready = read_frame(process.stdout)
        ready_ms = (time.perf_counter() - started) * 1000
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    if not ready or ready.get("error"):
        raise RuntimeError(f"{function.logical_id} failed its init: {ready}")
    return float(ready["init_ms"]), ready_ms


def zipped(layer: BuiltLayer, folder: Path) -> Path:
    """The layer's zip as SAM makes it (python/ at the root, deflated)."""
    archive = folder / f"{layer.root.parent.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(layer.root.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(layer.root).as_posix())
    return archive


def print_sizes(layers: dict[str, BuiltLayer]) -> None:
    print("Layer (arm64, as `sam build` makes it)")
    print(f"  {'':10} {'unzipped MB':>12} {'zipped MB':>10}")
    with tempfile.TemporaryDirectory() as scratch:
        figures = {
            variant: (folder_bytes(layer.root) / 1e6, zipped(layer, Path(scratch)).stat().st_size / 1e6)
            for variant, layer in layers.items()
        }
    for variant, (unzipped_mb, zipped_mb) in figures.items():
        print(f"  {variant:10} {unzipped_mb:12.1f} {zipped_mb:10.1f}")
    full_mb, full_zip = figures["full"]
    for variant in ("trimmed", "shipped"):
        mb, zip_mb = figures[variant]
        print(f"  {variant}/full: unzipped {mb / full_mb:.2f}, zipped {zip_mb / full_zip:.2f}")


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def measure(
    layers: dict[str, BuiltLayer], functions: list[LayerFunction], repeats: int, seed: int
) -> dict[str, Samples]:
    """Cold starts, interleaved: per repetition, functions shuffled, layers in a random order each."""
    rng = random.Random(seed)
    samples = {function.logical_id: Samples() for function in functions}
    for repeat in range(repeats):
        order = list(functions)
        rng.shuffle(order)
        for function in order:
            for variant in rng.sample(list(layers), k=len(layers)):
                init_ms, ready_ms = cold_start(layers[variant], function)
                samples[function.logical_id].init_ms[variant].append(init_ms)
                samples[function.logical_id].ready_ms[variant].append(ready_ms)
        print(f"  repeat {repeat + 1}/{repeats} done", flush=True)
    return samples


def print_cold_starts(functions: list[LayerFunction], samples: dict[str, Samples]) -> None:
    print("\nInit (handler import) in ms, medians [interquartile range]; ratios to full; ready (spawn")
    print("to ready frame) medians in ms")
    print(
        f"  {'function':26} {'full':>17} {'trimmed':>17} {'shipped':>17} {'trim/full':>9}"
        f" {'ship/full':>9} {'ready full':>10} {'ready ship':>10}"
    )
    ratios: dict[str, list[float]] = {"trimmed": [], "shipped": []}
    totals = {variant: 0.0 for variant in VARIANTS}
    for function in functions:
        sample = samples[function.logical_id]
        init = {variant: statistics.median(sample.init_ms[variant]) for variant in VARIANTS}
        ready = {variant: statistics.median(sample.ready_ms[variant]) for variant in VARIANTS}
        cells = []
        for variant in VARIANTS:
            low, high = quartiles(sample.init_ms[variant])
            cells.append(f"{init[variant]:5.0f} [{low:4.0f}-{high:4.0f}]")
            totals[variant] += init[variant]
        for variant in ratios:
            ratios[variant].append(init[variant] / init["full"])
        print(
            f"  {function.logical_id:26} {cells[0]:>17} {cells[1]:>17} {cells[2]:>17}"
            f" {ratios['trimmed'][-1]:9.2f} {ratios['shipped'][-1]:9.2f}"
            f" {ready['full']:10.0f} {ready['shipped']:10.0f}"
        )
    print()
    for variant, values in ratios.items():
        print(
            f"Init, {variant}/full: geometric mean of the ratios {statistics.geometric_mean(values):.3f}; "
            f"sum of medians {totals[variant]:.0f} / {totals['full']:.0f} ms"
            f" = {totals[variant] / totals['full']:.3f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="cold starts per function and layer")
    parser.add_argument(
        "--only", default="", help="comma-separated logical ids (default: every zip function)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print("Building the layers (cached under .reelstack/layers/)...", flush=True)
    arm64 = {name: built_layer(LAMBDA_PLATFORM, trim=t, bytecode=b) for name, (t, b) in VARIANTS.items()}
    local = {name: built_layer(LOCAL_PLATFORM, trim=t, bytecode=b) for name, (t, b) in VARIANTS.items()}
    print_sizes(arm64)
    for name, (_, bytecode) in VARIANTS.items():
        if not bytecode:
            drop_bytecode(local[name].root)  # as built: a stray earlier import must not help it

    functions = layer_functions()
    if args.only:
        wanted = set(args.only.split(","))
        functions = [function for function in functions if function.logical_id in wanted]
    print(
        f"\nCold starts: {len(functions)} functions x {len(local)} layers x {args.repeats} repeats",
        flush=True,
    )
    print_cold_starts(functions, measure(local, functions, args.repeats, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
