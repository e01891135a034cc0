"""The nightly profile job (T+1) on Spark: long-term interests, co-watch neighbours, ranker features.

One file, pure PySpark: EMR Serverless runs it as the job run's entry point (s3:// URIs), the local
cloud runs the same file with pyspark in local mode (folder paths). It imports nothing of reelstack.

    job.py --events <uri> --out <uri> --as-of YYYY-MM-DD [--days 30] [--top-tags 20]
           [--top-neighbours 20] [--min-support 2] [--half-life-days 7] [--history-cap 200]
           [--label-until YYYY-MM-DD] [--daily-stats <uri>]

Input: the interaction log, Parquet under `<events>/dt=YYYY-MM-DD/` (schema v1, see
reelstack.domain.engagement.interactions.LAKE_COLUMNS), read for the window W = the `days` dates ending at
`as_of`, plus (as_of, label-until] for a held-out split. Events are de-duplicated on event_id first.

Formulas:
- an event's weight: play -> watched_fraction (0.5 when unknown), like 1, unlike -1, comment 0.5,
  share 1 (follows carry no tags), decayed by 0.5 ** (age_days / half_life_days), age from the end of as_of;
- a user's tag weight: the sum of the decayed weights of the user's events on videos with that tag;
  the top `top-tags` positive ones (weight desc, tag asc), rounded to 6 decimals;
- co-watch: E(u) = the user's engaged videos in W (a play watched at least half, or of unknown
  length, or a like not taken back by a later unlike), the `history-cap` most recent; support(i, j) = #users with both;
  score = support / sqrt(n_i * n_j); pairs with support >= min-support; the top `top-neighbours`.

Outputs under <out>: `profiles/`, `neighbours/`, `video_features/` (JSON lines, with each video's
comments and shares in W), `examples/` (Parquet: one row per play, split train = in W, test = after
as_of, features from W only, but for `follows_author`: whether the viewer had followed the video's
author by the time of the play, which the feed knows when it ranks), and
`_SUCCESS_MARKER.json` last, with the row counts, so a reader can tell a finished run.

With `--daily-stats <uri>`: per video and date of W, its plays, likes, unlikes, watched fractions and
publication time, as Parquet under `<uri>/dt=YYYY-MM-DD/`, every date of W with events replaced
(dynamic partition overwrite: a late event is counted the next night, older dates are kept). It is the
lake's lasting table of daily stats, which the ROI engine's `reelstack roi train --lake` trains on.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

MARKER = "_SUCCESS_MARKER.json"
VIDEO_KINDS = ("play", "like", "unlike", "comment", "share")
EVENT_SCHEMA = T.StructType(
    [
        T.StructField("schema_version", T.IntegerType()),
        T.StructField("event_id", T.StringType()),
        T.StructField("kind", T.StringType()),
        T.StructField("user_id", T.StringType()),
        T.StructField("video_id", T.StringType()),
        T.StructField("author_id", T.StringType()),
        T.StructField("occurred_at", T.TimestampType()),
        T.StructField("watched_ms", T.LongType()),
        T.StructField("duration_ms", T.LongType()),
        T.StructField("watched_fraction", T.DoubleType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("region", T.StringType()),
        T.StructField("device", T.StringType()),
        T.StructField("published_at", T.TimestampType()),
        T.StructField("codec_tier", T.StringType()),
        T.StructField("dt", T.StringType()),
    ]
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--top-tags", type=int, default=20)
    parser.add_argument("--top-neighbours", type=int, default=20)
    parser.add_argument("--min-support", type=int, default=2)
    parser.add_argument("--half-life-days", type=float, default=7.0)
    parser.add_argument("--history-cap", type=int, default=200)
    parser.add_argument("--label-until", type=date.fromisoformat, default=None)
    parser.add_argument("--daily-stats", default=None)
    args = parser.parse_args(argv)
    if args.days < 1 or args.top_tags < 1 or args.top_neighbours < 1 or args.min_support < 1:
        parser.error("--days, --top-tags, --top-neighbours and --min-support must be at least 1")
    if args.half_life_days <= 0 or args.history_cap < 2:
        parser.error("--half-life-days must be positive and --history-cap at least 2")
    if args.label_until is not None and args.label_until <= args.as_of:
        parser.error("--label-until must be after --as-of")
    return args


def _hadoop_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    """The Hadoop path and its file system (local, or EMRFS for s3:// on EMR): the marker and the log's
    existence go through them, so they work wherever Spark's own readers and writers do."""
    context: Any = spark.sparkContext
    path = context._jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(context._jsc.hadoopConfiguration())


def read_events(spark: SparkSession, events: str, first: date, last: date) -> DataFrame:
    """The log's events of the dates [first, last], de-duplicated on event_id (empty if no log yet)."""
    path, fs = _hadoop_path(spark, events)
    if not fs.exists(path):
        frame = spark.createDataFrame([], EVENT_SCHEMA)
    else:
        frame = (
            spark.read.schema(EVENT_SCHEMA)
            .option("basePath", events)
            .parquet(events)
            .where((F.col("dt") >= first.isoformat()) & (F.col("dt") <= last.isoformat()))
        )
    newest_first = Window.partitionBy("event_id").orderBy(F.col("occurred_at").desc(), F.col("dt").desc())
    return (
        frame.where(F.col("event_id").isNotNull() & F.col("user_id").isNotNull())
        .withColumn("_copy", F.row_number().over(newest_first))
        .where(F.col("_copy") == 1)
        .drop("_copy")
    )


def _mode(events: DataFrame, column: str) -> DataFrame:
    """Each user's most frequent non-null value of `column` (ties: the smallest)."""
    counted = events.where(F.col(column).isNotNull()).groupBy("user_id", column).count()
    best = Window.partitionBy("user_id").orderBy(F.col("count").desc(), F.col(column).asc())
    return counted.withColumn("_rank", F.row_number().over(best)).where("_rank = 1").select("user_id", column)


def profiles(window: DataFrame, end_s: float, top_tags: int, half_life_days: float) -> DataFrame:
    weight = (
        F.when(F.col("kind") == "play", F.coalesce(F.col("watched_fraction"), F.lit(0.5)))
        .when(F.col("kind") == "like", F.lit(1.0))
        .when(F.col("kind") == "unlike", F.lit(-1.0))
        .when(F.col("kind") == "comment", F.lit(0.5))
        .when(F.col("kind") == "share", F.lit(1.0))
    )
    age_days = (F.lit(end_s) - F.col("occurred_at").cast("double")) / F.lit(86400.0)
    decayed = weight * F.pow(F.lit(0.5), age_days / F.lit(half_life_days))
    tagged = (
        window.where(F.col("kind").isin(*VIDEO_KINDS))
        .select("user_id", decayed.alias("w"), F.explode_outer("tags").alias("tag"))
        .where(F.col("tag").isNotNull())
    )
    sums = tagged.groupBy("user_id", "tag").agg(F.round(F.sum("w"), 6).alias("weight")).where("weight > 0")
    best = Window.partitionBy("user_id").orderBy(F.col("weight").desc(), F.col("tag").asc())
    top = sums.withColumn("_rank", F.row_number().over(best)).where(F.col("_rank") <= top_tags)
    tags = top.groupBy("user_id").agg(
        F.expr(
            "transform(sort_array(collect_list(struct(_rank, tag, weight))), "
            "x -> named_struct('tag', x.tag, 'weight', x.weight))"
        ).alias("tags")
    )
    activity = window.groupBy("user_id").agg(
        F.count("*").cast("long").alias("activity"),
        F.date_format(F.max("occurred_at"), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").alias("last_active"),
    )
    empty = F.expr("cast(array() as array<struct<tag:string,weight:double>>)")
    return (
        activity.join(tags, "user_id", "left")
        .join(_mode(window, "region"), "user_id", "left")
        .join(_mode(window, "device"), "user_id", "left")
        .select(
            "user_id",
            F.coalesce(F.col("tags"), empty).alias("tags"),
            "region",
            "device",
            "activity",
            "last_active",
        )
    )


def neighbours(window: DataFrame, history_cap: int, min_support: int, top_k: int) -> DataFrame:
    watched = window.where(
        (F.col("kind") == "play") & (F.col("watched_fraction").isNull() | (F.col("watched_fraction") >= 0.5))
    ).select("user_id", "video_id", "occurred_at")
    # A like counts while it stands: the user's last like or unlike of the video in W is a like.
    newest = Window.partitionBy("user_id", "video_id").orderBy(
        F.col("occurred_at").desc(), F.col("kind").asc()
    )
    liked = (
        window.where(F.col("kind").isin("like", "unlike"))
        .withColumn("_rank", F.row_number().over(newest))
        .where((F.col("_rank") == 1) & (F.col("kind") == "like"))
        .select("user_id", "video_id", "occurred_at")
    )
    engaged = (
        watched.unionByName(liked).groupBy("user_id", "video_id").agg(F.max("occurred_at").alias("last"))
    )
    recent = Window.partitionBy("user_id").orderBy(F.col("last").desc(), F.col("video_id").asc())
    capped = engaged.withColumn("_rank", F.row_number().over(recent)).where(F.col("_rank") <= history_cap)
    capped = capped.select("user_id", "video_id").cache()
    counts = capped.groupBy("video_id").agg(F.count("*").alias("n"))
    left, right = capped.alias("a"), capped.alias("b")
    pairs = (
        left.join(
            right, (F.col("a.user_id") == F.col("b.user_id")) & (F.col("a.video_id") != F.col("b.video_id"))
        )
        .groupBy(F.col("a.video_id").alias("i"), F.col("b.video_id").alias("j"))
        .agg(F.count("*").alias("support"))
        .where(F.col("support") >= min_support)
    )
    scored = (
        pairs.join(counts.select(F.col("video_id").alias("i"), F.col("n").alias("n_i")), "i")
        .join(counts.select(F.col("video_id").alias("j"), F.col("n").alias("n_j")), "j")
        .withColumn("score", F.round(F.col("support") / F.sqrt(F.col("n_i") * F.col("n_j")), 6))
    )
    best = Window.partitionBy("i").orderBy(F.col("score").desc(), F.col("j").asc())
    top = scored.withColumn("_rank", F.row_number().over(best)).where(F.col("_rank") <= top_k)
    return top.groupBy(F.col("i").alias("video_id")).agg(
        F.expr(
            "transform(sort_array(collect_list(struct(_rank, j, score, support))), "
            "x -> named_struct('video_id', x.j, 'score', x.score, 'support', x.support))"
        ).alias("neighbours")
    )


def video_features(window: DataFrame) -> DataFrame:
    videos = window.where(F.col("video_id").isNotNull())
    newest = Window.partitionBy("video_id").orderBy(F.col("occurred_at").desc(), F.col("event_id").desc())
    facts = (
        videos.withColumn("_rank", F.row_number().over(newest))
        .where("_rank = 1")
        .select(
            "video_id",
            "author_id",
            F.coalesce(F.col("tags"), F.expr("cast(array() as array<string>)")).alias("tags"),
            "duration_ms",
            F.date_format("published_at", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").alias("published_at"),
            "codec_tier",
        )
    )
    stats = videos.groupBy("video_id").agg(
        F.sum(F.when(F.col("kind") == "play", 1).otherwise(0)).cast("long").alias("plays"),
        F.greatest(
            F.lit(0),
            F.sum(F.when(F.col("kind") == "like", 1).when(F.col("kind") == "unlike", -1).otherwise(0)),
        )
        .cast("long")
        .alias("likes"),
        F.round(F.avg(F.when(F.col("kind") == "play", F.col("watched_fraction"))), 6).alias("completion"),
        F.sum(F.when(F.col("kind") == "comment", 1).otherwise(0)).cast("long").alias("comments"),
        F.sum(F.when(F.col("kind") == "share", 1).otherwise(0)).cast("long").alias("shares"),
    )
    return facts.join(stats, "video_id")


def followed_since(events: DataFrame) -> DataFrame:
    """(user_id, author_id, followed_at): when each user first followed each author, from the follow
    events (a follow's author_id is the followed user). Unfollows are not logged, so a follow counts
    from when it was made."""
    return (
        events.where(F.col("kind") == "follow")
        .groupBy("user_id", "author_id")
        .agg(F.min("occurred_at").alias("followed_at"))
    )


def daily_stats(window: DataFrame) -> DataFrame:
    """Per (date, video) of W: plays, likes, unlikes, the sum and count of the plays' watched fractions,
    and the video's published_at (from its newest event in W, so every date of a video agrees)."""
    videos = window.where(F.col("video_id").isNotNull())
    newest = Window.partitionBy("video_id").orderBy(F.col("occurred_at").desc(), F.col("event_id").desc())
    published = (
        videos.withColumn("_rank", F.row_number().over(newest))
        .where("_rank = 1")
        .select("video_id", "published_at")
    )
    kind, fraction = F.col("kind"), F.col("watched_fraction")

    def count_of(condition: Any, name: str) -> Any:
        return F.sum(F.when(condition, 1).otherwise(0)).cast("long").alias(name)

    stats = videos.groupBy("dt", "video_id").agg(
        count_of(kind == "play", "plays"),
        count_of(kind == "like", "likes"),
        count_of(kind == "unlike", "unlikes"),
        F.coalesce(F.sum(F.when(kind == "play", fraction)), F.lit(0.0)).alias("watched_sum"),
        count_of((kind == "play") & fraction.isNotNull(), "watched_plays"),
    )
    return stats.join(published, "video_id", "left").select(
        "video_id", "plays", "likes", "unlikes", "watched_sum", "watched_plays", "published_at", "dt"
    )


def examples(
    window: DataFrame, held_out: DataFrame | None, profile_rows: DataFrame, features: DataFrame
) -> DataFrame:
    """One row per play: the label and the features a ranker sees (user and video features from W)."""
    frames = [window.withColumn("split", F.lit("train"))]
    if held_out is not None:
        frames.append(held_out.withColumn("split", F.lit("test")))
    events = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
    liked = (
        events.where(F.col("kind") == "like")
        .select("split", "user_id", "video_id")
        .distinct()
        .withColumn("liked", F.lit(True))
    )
    users = profile_rows.select(
        "user_id",
        F.col("region").alias("user_region"),
        F.col("device").alias("user_device"),
        F.col("activity").alias("user_activity"),
        F.expr("transform(tags, x -> x.tag)").alias("user_tags"),
    )
    plays = features.select("video_id", F.col("plays").alias("video_plays"))
    fraction = F.col("watched_fraction")
    follows = followed_since(events)
    return (
        events.where(F.col("kind") == "play")
        .join(liked, ["split", "user_id", "video_id"], "left")
        .join(follows, ["user_id", "author_id"], "left")
        .join(users, "user_id", "left")
        .join(plays, "video_id", "left")
        .select(
            "split",
            "event_id",
            "occurred_at",
            "dt",
            F.hour("occurred_at").alias("hour"),
            F.when((fraction >= 0.5) | F.coalesce(F.col("liked"), F.lit(False)), 1)
            .otherwise(0)
            .alias("label"),
            "user_id",
            "user_region",
            "user_device",
            F.coalesce(F.col("user_activity"), F.lit(0)).cast("long").alias("user_activity"),
            F.coalesce(F.col("user_tags"), F.expr("cast(array() as array<string>)")).alias("user_tags"),
            "video_id",
            "author_id",
            F.coalesce(F.col("tags"), F.expr("cast(array() as array<string>)")).alias("video_tags"),
            "duration_ms",
            "codec_tier",
            ((F.col("occurred_at").cast("double") - F.col("published_at").cast("double")) / 86400.0).alias(
                "video_age_days"
            ),
            F.coalesce(F.col("video_plays"), F.lit(0)).cast("long").alias("video_plays"),
            # The viewer followed the video's author when they played it (what the feed knows then).
            F.coalesce(F.col("followed_at") <= F.col("occurred_at"), F.lit(False)).alias("follows_author"),
            "device",
            "region",
        )
    )


def write_marker(spark: SparkSession, out: str, body: dict[str, Any]) -> None:
    path, fs = _hadoop_path(spark, f"{out.rstrip('/')}/{MARKER}")
    stream = fs.create(path, True)
    stream.write(bytearray(json.dumps(body, sort_keys=True).encode("utf-8")))
    stream.close()


def run(spark: SparkSession, args: argparse.Namespace) -> dict[str, int]:
    first = args.as_of - timedelta(days=args.days - 1)
    last = args.label_until or args.as_of
    end = datetime.combine(args.as_of + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    events = read_events(spark, args.events, first, last).cache()
    window = events.where(F.col("dt") <= args.as_of.isoformat())
    held_out = events.where(F.col("dt") > args.as_of.isoformat()) if args.label_until else None
    out = args.out.rstrip("/")
    tables = {
        "profiles": profiles(window, end.timestamp(), args.top_tags, args.half_life_days).cache(),
        "neighbours": neighbours(window, args.history_cap, args.min_support, args.top_neighbours),
        "video_features": video_features(window).cache(),
    }
    tables["examples"] = examples(window, held_out, tables["profiles"], tables["video_features"])
    counts: dict[str, int] = {}
    for name, frame in tables.items():
        writer = frame.write.mode("overwrite")
        if name == "examples":
            writer.parquet(f"{out}/{name}")
        else:
            writer.option("ignoreNullFields", "false").json(f"{out}/{name}")
        counts[name] = spark.read.parquet(f"{out}/{name}").count() if name == "examples" else frame.count()
    if args.daily_stats:
        stats = daily_stats(window).cache()
        stats.write.mode("overwrite").option("partitionOverwriteMode", "dynamic").partitionBy("dt").parquet(
            args.daily_stats.rstrip("/")
        )
        counts["daily_stats"] = stats.count()
        stats.unpersist()
    write_marker(spark, out, {"as_of": args.as_of.isoformat(), "counts": counts})
    events.unpersist()
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spark = (
        SparkSession.builder.appName("reelstack-profile-job")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .getOrCreate()
    )
    try:
        counts = run(spark, args)
    finally:
        spark.stop()
    sys.stdout.write(json.dumps({"as_of": args.as_of.isoformat(), "counts": counts}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
