"""Playback in the web app under throttled networks: startup, rebuffering and rendition, with and without
the next video's pre-load.

    .venv/bin/python benchmarks/playback.py [--videos 20] [--watch 4] [--profiles slow,4g,wifi] [--ladder 1080,720,480,360]

Starts its own local cloud and publishes `--videos` clips (6 s, 720p H.264/AAC at 8 Mb/s: a 720p and a
480p rendition, 2 s segments) of 10 creators through the real ingest workflow. Then, for each bandwidth profile and each
mode, a fresh viewer opens the feed in Debian's Chromium at phone size (390 x 844) and pages through it
with the arrow key, `--watch` seconds per video (`web/e2e/playback.mjs`). The network is throttled with
the DevTools protocol (`Network.emulateNetworkConditions`: latency added to every request, throughput
capped), for every request of the page: API calls, playlists, segments.

Per video: **startup** is the key press to the first frame of motion (`currentTime` past 0 while
playing, read each animation frame); **rebuffering** is the time between `waiting` and `playing` while
the video is shown after it started, over the time it played; the **rendition** is the playing level's
height. The first video of a run is left out of startup (nothing can be pre-loaded before the feed is
read). Modes: *preload* (the app's default: once the shown video is buffered to its end, or 8 s ahead, the
next one is buffered to half its length) and *no preload* (the feed's data saver: a video loads when
shown). Printed per profile: the
median and p90 startup, the rebuffering ratio (the seed's target: under 1 %), the stalls, the average
rendition height, and the ratios preload / no preload (startup below 1 is the pre-load's gain;
rebuffering above 1 is what the pre-load costs the video playing meanwhile).

Fairness: both modes run on the same cloud, clips, profile and viewport, one after the other, each with
a fresh viewer (the feed never serves a viewer the same video twice in a while) and a fresh browser
profile (no HTTP cache). Chromium's emulated link is shared by the page's requests, so a pre-load
competes with the playing video as on a real link: that is why the app waits for the shown video's
buffer before pre-loading the next.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from likes_http import KeepAlive, start_upload, wait_published  # benchmarks/ is on sys.path

from reelstack_tools.demo import make_test_video
from reelstack_tools.localcloud.client import running_local_cloud
from reelstack_tools.web_scenarios import missing_prerequisites, run_scenario

ROOT = Path(__file__).resolve().parent.parent
CLIP_SECONDS = 6
CREATORS = 10


@dataclass(frozen=True)
class Profile:
    name: str
    down_kbps: int
    up_kbps: int
    latency_ms: int

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "downKbps": self.down_kbps,
            "upKbps": self.up_kbps,
            "latencyMs": self.latency_ms,
        }


PROFILES = {
    # DevTools' "Slow 4G"-like link: below the 480p rendition's peak bitrate.
    "slow": Profile("slow", 1_600, 750, 150),
    "4g": Profile("4g", 9_000, 3_000, 60),
    "wifi": Profile("wifi", 30_000, 15_000, 10),
}


@dataclass(frozen=True)
class Summary:
    startup_p50_ms: float
    startup_p90_ms: float
    rebuffer_ratio: float
    stalls: int
    mean_height: float
    videos: int
    never_started: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def summarize(results: list[dict[str, Any]]) -> Summary:
    startups = [r["startupMs"] for r in results[1:] if r["startupMs"] is not None]
    played = sum(r["playMs"] for r in results)
    stalled = sum(r["stallMs"] for r in results)
    heights = [r["height"] for r in results if r["height"]]
    return Summary(
        startup_p50_ms=statistics.median(startups) if startups else float("nan"),
        startup_p90_ms=percentile(startups, 0.9),
        rebuffer_ratio=stalled / played if played else float("nan"),
        stalls=sum(r["stalls"] for r in results),
        mean_height=statistics.fmean(heights) if heights else float("nan"),
        videos=len(results),
        never_started=sum(1 for r in results if r["startupMs"] is None),
    )


def publish_clips(api_url: str, tokens: list[str], count: int, folder: Path) -> list[str]:
    """`count` published clips, spread over the creators of `tokens` (the feed spreads a page over
    authors, so one creator's videos alone would not fill a viewer's feed)."""
    clip = make_test_video(folder / "clip.mp4", CLIP_SECONDS).read_bytes()

    def one(n: int) -> tuple[str, str]:
        token = tokens[n % len(tokens)]
        return token, start_upload(KeepAlive(api_url, token), clip, f"Playback clip {n:02d}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        uploaded = list(pool.map(one, range(count)))
    for token in tokens:
        wait_published(KeepAlive(api_url, token), [video for owner, video in uploaded if owner == token], 900)
    return [video for _, video in uploaded]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=20, help="videos paged through per run (default 20)")
    parser.add_argument("--watch", type=float, default=4.0, help="seconds each video is watched (default 4)")
    parser.add_argument(
        "--profiles", default="slow,4g,wifi", help=f"comma-separated, of {', '.join(PROFILES)}"
    )
    parser.add_argument(
        "--ladder",
        default="",
        help="the stack's RenditionSpec for this run, e.g. 1080,720,480,360 (default: the template's)",
    )
    parser.add_argument(
        "--results", type=Path, default=None, help="write every run's raw results (JSON) here"
    )
    args = parser.parse_args()
    profiles = [PROFILES[name] for name in args.profiles.split(",")]
    overrides = ["--parameter", f"RenditionSpec={args.ladder}"] if args.ladder else []
    missing = missing_prerequisites()
    if missing:
        sys.stderr.write("playback benchmark needs: " + "; ".join(missing) + "\n")
        return 1
    with (
        tempfile.TemporaryDirectory(prefix="reelstack-playback-") as tmp,
        running_local_cloud(
            ROOT / "template.yaml", Path(tmp) / "cloud", visibility_timeout_cap=2, extra_args=overrides
        ) as cloud,
    ):
        started = time.monotonic()
        creators = [cloud.token(f"playback-creator-{n}") for n in range(CREATORS)]
        publish_clips(cloud.api_url, creators, args.videos, Path(tmp))
        ladder = f" (RenditionSpec {args.ladder})" if args.ladder else ""
        print(
            f"{args.videos} clips of {CLIP_SECONDS} s published in {time.monotonic() - started:.0f} s{ladder}"
        )
        timeout = 120 + args.videos * (args.watch + 40)
        rows: dict[tuple[str, bool], Summary] = {}
        raw: list[dict[str, Any]] = []
        for profile in profiles:
            for preload in (True, False):
                viewer = f"viewer-{profile.name}-{'preload' if preload else 'plain'}"
                result = run_scenario(
                    "playback",
                    {"base": cloud.api_url, "user": viewer, "videos": args.videos, "watchS": args.watch,
                     "profile": profile.as_json(), "preload": preload},
                    timeout, Path(tmp),
                )  # fmt: skip
                rows[(profile.name, preload)] = summary = summarize(result["results"])
                raw.append(result)
                if summary.videos < args.videos:
                    print(f"  note: the feed gave {summary.videos} videos; its pages: {result['feedPages']}")
                print(
                    f"{profile.name:>5} {'preload' if preload else 'no preload':>10}: startup p50 "
                    f"{summary.startup_p50_ms:6.0f} ms p90 {summary.startup_p90_ms:6.0f} ms, rebuffering "
                    f"{summary.rebuffer_ratio:6.2%} ({summary.stalls} stalls), rendition {summary.mean_height:4.0f}p "
                    f"avg, {summary.videos} videos ({summary.never_started} never started)"
                )
        if args.results is not None:
            args.results.write_text(json.dumps(raw, indent=1), encoding="utf-8")
        print()
        print(
            f"{'profile':>7} {'down':>9} {'rtt':>6} | startup p50 pre/no | p90 pre/no | rebuffering pre/no | rendition pre/no"
        )
        for profile in profiles:
            pre, plain = rows[(profile.name, True)], rows[(profile.name, False)]
            print(
                f"{profile.name:>7} {profile.down_kbps / 1000:>5.1f} Mb/s {profile.latency_ms:>4} ms | "
                f"{pre.startup_p50_ms / plain.startup_p50_ms:>18.2f} | {pre.startup_p90_ms / plain.startup_p90_ms:>10.2f} | "
                f"{pre.rebuffer_ratio:>8.2%} / {plain.rebuffer_ratio:<7.2%} | {pre.mean_height:>5.0f} / {plain.mean_height:<5.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
