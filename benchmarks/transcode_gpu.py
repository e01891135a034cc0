"""The GPU backend's transcodes, run for real on an NVIDIA machine, against the CPU's on the same one.

    python benchmarks/transcode_gpu.py [--seconds 30] [--uhd-seconds 0] [--json PATH]

Needs an NVIDIA GPU and an ffmpeg with NVDEC, the CUDA filters and NVENC on PATH (Debian's ffmpeg has
all three; the driver supplies libcuda, libnvcuvid and libnvidia-encode). One generated clip (1080p30
with a tone, `clips.make_clip`) goes through each path; a part that fails is reported with the error
our code raised, and the other parts still run.

(a) the ingest ladder: `encoders.NvencTranscoder` (NVDEC, scale_cuda, h264_nvenc, poster and sprite;
    the GPU container's) against `FfmpegTranscoder` (libx264, the ffmpeg Lambda's) on every core of
    the same machine. Wall time of each, the ratio GPU / CPU, speed in x realtime, each rendition as
    `FfmpegTranscoder` measured it (codec, size, bitrate against the plan's target, peak against its
    maximum), and the SSIM of the top rendition against the source.
(b) the same ladder with frames decoded on the CPU and uploaded (`frames_on_gpu=False`, the route of
    rotated or NVDEC-less sources).
(c) the high-heat twins (1080p and 720p HEVC): `encoders.NvencHevcTranscoder` (hevc_nvenc) against
    `encoders.HevcTranscoder` (libx265), with their bits against the H.264 renditions' and SSIM.
(d) the GPU half of the ladder's filter graph alone (`gpu_command.filter_graph`: NVDEC decode, fps,
    split, scale_cuda per rendition, the poster's and sprite's download and tile) into a null sink:
    it needs no encoder, so it runs on GPUs without NVENC (the data-centre H100/H200 have none);
    against CPU decoding and swscale (lanczos) to the same sizes. `--uhd-seconds` adds a 2160p source.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from clips import make_clip

from reelstack.adapters.media.encoders import HevcTranscoder, NvencHevcTranscoder, NvencTranscoder
from reelstack.adapters.media.probe import probe_file
from reelstack.adapters.media.transcoder import FfmpegTranscoder, TranscodeOutput
from reelstack.domain.media import heat
from reelstack.domain.media.backends import LambdaBudget
from reelstack.domain.media.gpu_command import EXTRA_DECODER_SURFACES, filter_graph
from reelstack.domain.media.rendition_spec import RenditionSpec
from reelstack.domain.media.renditions import Plan, plan_renditions
from reelstack.errors import ReelstackError

SSIM_ALL = re.compile(r"SSIM .*All:([0-9.]+)")


@dataclass
class PathResult:
    """One transcode path: its wall time and what it made, or the error it raised."""

    name: str
    ok: bool
    wall_s: float = 0.0
    realtime: float = 0.0  # clip seconds per wall second
    renditions: list[dict[str, Any]] = field(default_factory=list)
    ssim_top: float | None = None
    error: str | None = None


def _timed(
    name: str, clip_s: float, run: Callable[[], TranscodeOutput]
) -> tuple[PathResult, TranscodeOutput | None]:
    started = time.perf_counter()
    try:
        made = run()
    except (ReelstackError, OSError, subprocess.SubprocessError) as error:
        code = getattr(error, "code", type(error).__name__)
        return PathResult(
            name, ok=False, wall_s=time.perf_counter() - started, error=f"{code}: {error}"
        ), None
    wall = time.perf_counter() - started
    renditions = [r.to_dict() for r in made.renditions]
    return PathResult(name, ok=True, wall_s=wall, realtime=clip_s / wall, renditions=renditions), made


def _with_targets(result: PathResult, plan: Plan) -> None:
    """Each rendition's measured bitrate beside the plan's target (video + audio) and peak."""
    planned = {r.name: r for r in plan.renditions}
    audio = plan.audio.bitrate_kbps if plan.audio else 0
    for entry in result.renditions:
        rendition = planned.get(entry["name"])
        if rendition is not None:
            entry["planned_kbps"] = rendition.video_bitrate_kbps + audio
            entry["planned_peak_kbps"] = rendition.max_bitrate_kbps + audio
            entry["bitrate_vs_target"] = round(entry["bitrate"] / 1000 / entry["planned_kbps"], 3)


def _media_file(made: TranscodeOutput, out_dir: Path, rendition: str) -> Path:
    for file in made.files:
        if file.key.startswith(f"{rendition}/") and file.key.endswith(".mp4"):
            return Path(file.path)
    raise FileNotFoundError(f"no media file for {rendition} under {out_dir}")


def ssim(media: Path, source: Path, width: int, height: int) -> float | None:
    """SSIM (all planes) of a rendition against the source scaled to its size (bicubic)."""
    graph = f"[1:v]scale={width}:{height}:flags=bicubic,format=yuv420p[ref];[0:v]format=yuv420p[out];[out][ref]ssim"
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(media), "-i", str(source)]
    command += ["-lavfi", graph, "-f", "null", "-"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    found = SSIM_ALL.findall(result.stderr)
    return float(found[-1]) if found else None


def _score_top(result: PathResult, made: TranscodeOutput | None, out: Path, source: Path) -> None:
    if made is None or not made.renditions:
        return
    top = made.renditions[0]
    result.ssim_top = ssim(_media_file(made, out, top.name), source, top.width, top.height)


def _null_sinks(name: str, command: list[str], outputs: list[str], clip_s: float) -> PathResult:
    """Run `command` with each filter output into a null sink (no encoder); its wall time."""
    for output in outputs:
        command += ["-map", f"[{output}]", "-c:v", "wrapped_avframe", "-f", "null", "-"]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        return PathResult(name, ok=False, wall_s=wall, error=run.stderr.strip()[-400:])
    return PathResult(name, ok=True, wall_s=wall, realtime=clip_s / wall)


def gpu_graph_only(plan: Plan, source: Path, clip_s: float, label: str = "1080p") -> PathResult:
    """(d): NVDEC + the ladder's CUDA filter graph into null sinks (no encoder)."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y"]
    command += ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"]
    command += ["-extra_hw_frames", str(EXTRA_DECODER_SURFACES), "-i", str(source)]
    command += ["-filter_complex", filter_graph(plan, frames_on_gpu=True)]
    outputs = [f"v{i}" for i in range(len(plan.renditions))] + ["p", "s"]
    return _null_sinks(f"d) {label} NVDEC + CUDA filter graph", command, outputs, clip_s)


def cpu_graph_only(plan: Plan, source: Path, clip_s: float, label: str = "1080p") -> PathResult:
    """(d)'s baseline: CPU decode and swscale to the same sizes (lanczos), null sinks."""
    rate = plan.renditions[0].frame_rate_fraction
    splits = len(plan.renditions)
    chains = [f"[r{i}]scale={r.width}:{r.height}:flags=lanczos[v{i}]" for i, r in enumerate(plan.renditions)]
    graph = f"[0:v:0]fps={rate},split={splits}" + "".join(f"[r{i}]" for i in range(splits))
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y", "-i", str(source)]
    command += ["-filter_complex", ";".join([graph, *chains])]
    outputs = [f"v{i}" for i in range(splits)]
    return _null_sinks(f"d) {label} CPU decode + swscale", command, outputs, clip_s)


def ladder(plan: Plan, source: Path, work: Path, clip_s: float) -> list[PathResult]:
    """(a) and (b): the CPU ladder, the NVENC ladder (twice: the first pays CUDA's start), CPU decode."""
    runs: list[tuple[str, FfmpegTranscoder]] = [
        ("a) CPU ladder (libx264, all cores)", FfmpegTranscoder()),
        ("a) GPU ladder (NVENC), first run", NvencTranscoder(frames_on_gpu=True)),
        ("a) GPU ladder (NVENC)", NvencTranscoder(frames_on_gpu=True)),
        ("b) GPU ladder, frames decoded on the CPU", NvencTranscoder(frames_on_gpu=False)),
    ]
    results = []
    for index, (name, transcoder) in enumerate(runs):
        out = work / f"ladder{index}"
        result, made = _timed(name, clip_s, partial(transcoder.run, plan, str(source), str(out)))
        _with_targets(result, plan)
        if index != 1:
            _score_top(result, made, out, source)
        results.append(result)
        shutil.rmtree(out, ignore_errors=True)
    return results


def twins(plan: Plan, source: Path, work: Path, clip_s: float) -> tuple[list[PathResult], Plan]:
    """(c): the 1080p and 720p HEVC twins on libx265 and on hevc_nvenc."""
    chosen = heat.select_renditions(plan, [r.name for r in plan.renditions], min_height=720)
    twin_plan = heat.heat_plan(plan, chosen)
    results = []
    for index, (name, transcoder) in enumerate(
        [
            ("c) CPU twins (libx265, all cores)", HevcTranscoder()),
            ("c) GPU twins (hevc_nvenc)", NvencHevcTranscoder()),
        ]
    ):
        out = work / f"twins{index}"
        result, made = _timed(name, clip_s, partial(transcoder.run, twin_plan, str(source), str(out)))
        _with_targets(result, twin_plan)
        _score_top(result, made, out, source)
        results.append(result)
        shutil.rmtree(out, ignore_errors=True)
    return results, twin_plan


def ratio(results: list[PathResult], gpu: str, cpu: str) -> float | None:
    by_name = {r.name: r for r in results}
    if by_name.get(gpu) and by_name.get(cpu) and by_name[gpu].ok and by_name[cpu].ok:
        return round(by_name[gpu].wall_s / by_name[cpu].wall_s, 3)
    return None


def report(results: list[PathResult], ratios: dict[str, float | None]) -> None:
    for result in results:
        head = f"{result.name}: " + (
            f"{result.wall_s:.2f} s wall, {result.realtime:.1f}x realtime"
            if result.ok
            else f"FAILED after {result.wall_s:.2f} s: {result.error}"
        )
        print(head + (f", SSIM top {result.ssim_top:.4f}" if result.ssim_top is not None else ""))
        for r in result.renditions:
            print(
                f"    {r['name']}: {r['codec']} {r['width']}x{r['height']}, {r['bitrate'] / 1000:.0f} kb/s "
                f"(plan {r.get('planned_kbps')} kb/s, x{r.get('bitrate_vs_target')}), "
                f"peak {r['peak_bitrate'] / 1000:.0f} kb/s (max {r.get('planned_peak_kbps')})"
            )
    for name, value in ratios.items():
        print(f"ratio {name}: {value if value is not None else 'n/a (a side failed)'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--uhd-seconds", type=float, default=0, help="also (d) on a 2160p clip this long")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gpu-bench-"))
    try:
        source = work / "source.mp4"
        make_clip(source, seconds=args.seconds)
        plan = plan_renditions("gpu-bench", probe_file(str(source)), RenditionSpec(), LambdaBudget())
        print(
            f"clip: {args.seconds:g} s 1080p30 + AAC; ladder {[r.name for r in plan.renditions]}; {os.cpu_count()} CPUs"
        )
        results = ladder(plan, source, work, args.seconds)
        twin_results, _ = twins(plan, source, work, args.seconds)
        results += twin_results
        results += [gpu_graph_only(plan, source, args.seconds), cpu_graph_only(plan, source, args.seconds)]
        if args.uhd_seconds > 0:  # a 2160p source: where decoding and scaling weigh the most
            uhd = work / "uhd.mp4"
            make_clip(uhd, seconds=args.uhd_seconds, size="3840x2160")
            uhd_plan = plan_renditions("gpu-bench-uhd", probe_file(str(uhd)), RenditionSpec(), LambdaBudget())
            results += [
                gpu_graph_only(uhd_plan, uhd, args.uhd_seconds, "2160p"),
                cpu_graph_only(uhd_plan, uhd, args.uhd_seconds, "2160p"),
            ]
        ratios = {
            "ladder GPU/CPU wall": ratio(
                results, "a) GPU ladder (NVENC)", "a) CPU ladder (libx264, all cores)"
            ),
            "twins GPU/CPU wall": ratio(
                results, "c) GPU twins (hevc_nvenc)", "c) CPU twins (libx265, all cores)"
            ),
            **{
                f"{size} decode+scale GPU/CPU wall": ratio(
                    results, f"d) {size} NVDEC + CUDA filter graph", f"d) {size} CPU decode + swscale"
                )
                for size in ("1080p", "2160p")
            },
        }
        report(results, ratios)
        if args.json is not None:
            args.json.write_text(
                json.dumps({"results": [asdict(r) for r in results], "ratios": ratios}, indent=2)
            )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
