"""A seeded synthetic interaction log with planted tastes, for `reelstack rank` (demo, tests, eval).

Each viewer has one to three favourite tags, a region and a device; each video one to three tags, an
author, a length, a codec tier, a publication day and a quality. Every day each viewer is shown
videos drawn by popularity (a Zipf law: popular videos are shown more, so "most popular" is a real
baseline); how much of a shown video they watch depends on whether its tags meet their tastes, on its
quality and on noise, and a watched video is liked more often when it matches. What the platform
would log is what is logged: plays past the counting threshold (min(3 s, half the video)) and likes,
as `Interaction`s with their video's facts, the same objects the real log writer writes.

The planted signal, taste match, is one "most popular" cannot see: a ranker that learns it beats
popularity on held-out days by a margin that the seed does not decide.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from reelstack.domain.engagement.interactions import DEVICES, Interaction, VideoFacts

REGIONS = ("DE", "FR", "US", "BR", "IN", "JP")
CODECS = ("h264", "h264", "hevc", "av1")


@dataclass(frozen=True)
class SyntheticLog:
    users: int = 600
    videos: int = 400
    tags: int = 24
    authors: int = 80
    days: int = 14
    shows_per_day: int = 6
    seed: int = 13
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC)

    def day(self, index: int) -> str:
        return (self.start + timedelta(days=index)).date().isoformat()


def generate(spec: SyntheticLog) -> Iterator[Interaction]:
    rng = np.random.default_rng(spec.seed)
    tag_names = [f"tag{index:02d}" for index in range(spec.tags)]
    tastes = [
        set(rng.choice(spec.tags, size=rng.integers(1, 4), replace=False).tolist()) for _ in range(spec.users)
    ]
    regions = rng.integers(0, len(REGIONS), spec.users)
    devices = rng.integers(0, len(DEVICES) - 1, spec.users)
    video_tags = [
        set(rng.choice(spec.tags, size=rng.integers(1, 4), replace=False).tolist())
        for _ in range(spec.videos)
    ]
    quality = rng.normal(0.0, 0.5, spec.videos)
    popularity = 1.0 / np.arange(1, spec.videos + 1) ** 0.8
    popularity = popularity[rng.permutation(spec.videos)]
    popularity /= popularity.sum()
    durations = np.clip(rng.lognormal(math.log(20), 0.6, spec.videos), 4, 120) * 1000
    published = rng.integers(-20, spec.days, spec.videos)
    facts = [
        VideoFacts(
            author_id=f"author{int(rng.integers(0, spec.authors)):03d}",
            tags=tuple(tag_names[tag] for tag in sorted(video_tags[video])),
            duration_ms=int(durations[video]),
            published_at=spec.start + timedelta(days=int(published[video])),
            codec_tier=CODECS[int(rng.integers(0, len(CODECS)))],
        )
        for video in range(spec.videos)
    ]
    for day in range(spec.days):
        available = np.flatnonzero(published <= day)
        weights = popularity[available] / popularity[available].sum()
        for user in range(spec.users):
            shown = rng.choice(
                available, size=min(spec.shows_per_day, len(available)), replace=False, p=weights
            )
            for video in shown.tolist():
                match = len(tastes[user] & video_tags[video])
                drive = 2.2 * min(match, 2) - 1.6 + quality[video] + rng.normal(0.0, 0.6)
                fraction = float(1.0 / (1.0 + math.exp(-drive)))
                watched = int(fraction * durations[video])
                if watched < min(3000, durations[video] / 2):
                    continue  # below the counting threshold: the platform logs nothing
                when = spec.start + timedelta(days=day, seconds=int(rng.integers(6 * 3600, 23 * 3600)))
                user_id, video_id = f"user{user:04d}", f"video{video:04d}"
                region, device = REGIONS[int(regions[user])], DEVICES[int(devices[user])]
                yield Interaction(
                    f"play:{user_id}:{video_id}:{int(when.timestamp() * 1000)}", "play", user_id, when,
                    video_id=video_id, watched_ms=watched, region=region, device=device, video=facts[video],
                )  # fmt: skip
                if rng.random() < (0.35 if match else 0.03) * fraction:
                    liked_at = when + timedelta(seconds=int(fraction * durations[video] / 1000) + 1)
                    yield Interaction(
                        f"like:{video_id}:{user_id}:{int(liked_at.timestamp() * 1e6)}", "like", user_id, liked_at,
                        video_id=video_id, region=region, device=device, video=facts[video],
                    )  # fmt: skip
