"""The play predictor's training trace from the platform's own lake (`reelstack roi train --lake`).

The nightly profile job keeps a lasting table of daily stats in the lake bucket,
`lake/daily_stats/v1/dt=YYYY-MM-DD/*.parquet`: per video and date, its plays, likes, unlikes and the
sum and count of its plays' watched fractions, and its publication time (see jobs/profile_job/job.py).
`read_lake_trace` turns those files into a `LakeTrace`: the same shape as the synthetic catalog the
ROI engine was trained on so far (a calendar-indexed `daily_plays` matrix, upload days, likes so far,
completion rates), so `roi_eval.train_on_trace` trains on either.

Which videos it keeps: those whose whole history is in the trace. A video published before the first
date of the table (or of unknown publication seen on the first date) has plays the lake does not
hold, so its counts would look younger and smaller than they were: it is left out and counted.
A video with stats before its recorded publication (a clock off) starts at its first stats date.

Scale: the daily stats are one row per active video and day, far fewer than the events; this reads
them in one process, which is fine to millions of videos x a year. Beyond that the same table is
the input of a Spark or SageMaker training run.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

DAILY_STATS_PREFIX = (
    "lake/daily_stats/v1/"  # = reelstack.domain.distribution.profile_runs.DAILY_STATS_PREFIX + "/"
)
_PARTITION = re.compile(r"/dt=(?P<day>\d{4}-\d{2}-\d{2})/[^/]+\.parquet$")
COLUMNS = ("video_id", "plays", "likes", "unlikes", "watched_sum", "watched_plays", "published_at")


@dataclass(frozen=True)
class LakeTrace:
    """Daily stats of `video_ids` over the dates `first_day` .. `first_day + days - 1`."""

    first_day: date
    video_ids: tuple[str, ...]
    upload_day: npt.NDArray[np.int32]
    daily_plays: npt.NDArray[np.int32]  # (N, D)
    daily_net_likes: npt.NDArray[np.int64]  # (N, D): likes minus unlikes on each date
    completion_rate: npt.NDArray[np.float32]  # over every play with a known fraction; 0 if none
    left_out: int  # videos whose history starts before the table does

    @property
    def videos(self) -> int:
        return len(self.video_ids)

    @property
    def days(self) -> int:
        return int(self.daily_plays.shape[1])

    def likes_until(self, day: int, videos: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.int64]:
        """Likes each video (of `videos`, default all) has at the end of `day` (never below 0)."""
        rows = np.s_[:] if videos is None else videos
        so_far = self.daily_net_likes[rows, : day + 1].sum(axis=1, dtype=np.int64)
        return np.maximum(so_far, 0)


def stats_keys(s3: Any, bucket: str, prefix: str = DAILY_STATS_PREFIX) -> list[tuple[date, str]]:
    """(date, key) of every daily-stats Parquet file in the bucket, by date then key."""
    found: list[tuple[date, str]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            match = _PARTITION.search("/" + str(item["Key"]))
            if match:
                found.append((date.fromisoformat(match.group("day")), str(item["Key"])))
    return sorted(found)


def read_lake_trace(s3: Any, bucket: str, prefix: str = DAILY_STATS_PREFIX) -> LakeTrace:
    """The trace the lake's daily stats hold. LookupError when there are none yet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = stats_keys(s3, bucket, prefix)
    if not keys:
        raise LookupError(
            f"no daily stats under s3://{bucket}/{prefix}: the nightly profile run writes them "
            "(run the profiles workflow first)"
        )
    first, last = keys[0][0], keys[-1][0]
    days = (last - first).days + 1
    parts = []
    for day, key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        table = pq.read_table(io.BytesIO(body), columns=list(COLUMNS))
        parts.append(table.append_column("day", pa.array(np.full(table.num_rows, (day - first).days))))
    return _assemble(first, days, pa.concat_tables(parts, promote_options="default"))


def _column_values(column: Any, dtype: Any) -> npt.NDArray[Any]:
    return np.asarray(column.fill_null(0).to_numpy(zero_copy_only=False), dtype=dtype)


def _column(table: Any, name: str, dtype: Any) -> npt.NDArray[Any]:
    return _column_values(table.column(name), dtype)


def _epoch_ms(column: Any) -> Any:
    """Milliseconds since the epoch, UTC, of a timestamp column (Spark writes INT96 as naive UTC)."""
    import pyarrow as pa

    unit = column.type
    if pa.types.is_timestamp(unit) and unit.tz is not None:
        column = column.cast(pa.timestamp(unit.unit, tz="UTC")).cast(pa.timestamp(unit.unit))
    return column.cast(pa.timestamp("ms")).cast(pa.int64())


def _assemble(first: date, days: int, table: Any) -> LakeTrace:
    """Sum the rows per video and date (vectorised: one pass over the arrays, whatever their size)."""
    import pyarrow.compute as pc

    table = table.filter(pc.is_valid(table.column("video_id")))
    ids, row = np.unique(np.asarray(table.column("video_id").to_pylist(), dtype=object), return_inverse=True)
    day = _column(table, "day", np.int64)
    plays = np.zeros((ids.size, days), dtype=np.int64)
    np.add.at(plays, (row, day), _column(table, "plays", np.int64))
    net_likes = np.zeros((ids.size, days), dtype=np.int64)
    np.add.at(net_likes, (row, day), _column(table, "likes", np.int64) - _column(table, "unlikes", np.int64))
    watched_sum = np.bincount(row, _column(table, "watched_sum", np.float64), minlength=ids.size)
    watched_plays = np.bincount(row, _column(table, "watched_plays", np.float64), minlength=ids.size)
    published_ms = _epoch_ms(table.column("published_at"))
    known_row = np.asarray(pc.is_valid(published_ms).to_numpy(zero_copy_only=False), dtype=bool)
    first_ms = int(datetime.combine(first, datetime.min.time(), tzinfo=UTC).timestamp() * 1000)
    published_day = (_column_values(published_ms, np.int64) - first_ms) // 86_400_000
    published = np.full(ids.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(published, row[known_row], published_day[known_row])
    known = published != np.iinfo(np.int64).max
    active = (plays != 0) | (net_likes != 0)
    first_seen = np.where(active.any(axis=1), active.argmax(axis=1), days)
    upload = np.where(known, np.minimum(published, first_seen), first_seen)
    whole = np.where(known, upload >= 0, first_seen > 0)
    keep = np.flatnonzero(whole)
    completion = np.where(watched_plays > 0, watched_sum / np.maximum(watched_plays, 1), 0.0)
    return LakeTrace(
        first_day=first,
        video_ids=tuple(str(ids[index]) for index in keep),
        upload_day=upload[keep].astype(np.int32),
        daily_plays=plays[keep].astype(np.int32),
        daily_net_likes=net_likes[keep],
        completion_rate=np.clip(completion[keep], 0.0, 1.0).astype(np.float32),
        left_out=int(len(ids) - keep.size),
    )
