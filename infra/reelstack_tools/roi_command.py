"""`reelstack roi eval` and `reelstack roi train`: the play predictor, scored and shipped.

`roi eval` generates a seeded synthetic catalog (`roi_catalog`), trains the model on the first part
of the trace and prints, for the held-out slice (other videos, later days), one table of MAE on log
plays and Spearman correlation per predictor and horizon (`roi_eval`).

`roi train` trains the model the same way (`roi_eval.train_on_trace`, on every video, days up to
`--train-until`) and writes the joblib artifact to `--output` and/or uploads it to the media bucket
under `models/play-predictor/<name>.joblib` (`--bucket`, `--key`), where the nightly tiering loads it
when its PLAY_MODEL_KEY names it. It trains on the seeded synthetic catalog (the demo and tests), or
with `--lake` on the platform's own daily stats: the table the nightly profile job keeps in the lake
(`roi_lake`), of the running local cloud or of the deployed stack `--stack NAME`, and then uploads
to that stack's media bucket unless `--bucket` says otherwise.

numpy and scikit-learn are imported inside `run`, so other `reelstack` commands do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelstack.adapters.storage.play_predictor import PlayPredictor

HELP = (
    "ROI engine tools: `roi eval` scores the play predictor against persistence and decay baselines; "
    "`roi train` writes its artifact (file and/or the media bucket) for the nightly tiering"
)
MODEL_PREFIX = "models/play-predictor/"  # = reelstack.adapters.storage.play_model_store.MODEL_PREFIX
TRAIN_HELP = (
    "train the play predictor and write its joblib artifact to --output and/or upload it to --bucket "
    f"under {MODEL_PREFIX}<name>.joblib (the tiering's PLAY_MODEL_KEY). It trains on a seeded "
    "synthetic catalog, or with --lake on the platform's own daily stats in the lake (the nightly "
    "profile job's), of the local cloud or of --stack NAME"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    ev = actions.add_parser(
        "eval", help="train on the first part of a synthetic trace, score on held-out videos and days"
    )
    ev.add_argument("--videos", type=_at_least(10), default=100_000, help="catalog size (100,000)")
    ev.add_argument("--days", type=_at_least(60), default=180, help="days in the trace (180)")
    ev.add_argument("--seed", type=int, default=None, help="catalog and split seed (the catalog's default)")
    ev.add_argument(
        "--train-until",
        type=int,
        default=None,
        metavar="DAY",
        help="last training day (2/3 of --days, at most --days - 40)",
    )
    ev.add_argument(
        "--max-train-rows", type=_at_least(100), default=None, help="per horizon; subsampled above (300,000)"
    )
    tr = actions.add_parser("train", help=TRAIN_HELP, description=TRAIN_HELP)
    tr.add_argument("--videos", type=_at_least(10), default=100_000, help="catalog size (100,000)")
    tr.add_argument("--days", type=_at_least(60), default=180, help="days in the trace (180)")
    tr.add_argument(
        "--seed", type=int, default=None, help="catalog and sampling seed (the catalog's default)"
    )
    tr.add_argument(
        "--train-until",
        type=int,
        default=None,
        metavar="DAY",
        help="last day whose plays training reads, targets included (the last day: --days - 1)",
    )
    tr.add_argument(
        "--max-train-rows", type=_at_least(100), default=None, help="per horizon; subsampled above (300,000)"
    )
    tr.add_argument(
        "--lake",
        action="store_true",
        help="train on the platform's daily stats in the lake (the local cloud's, or --stack's) "
        "and upload to its media bucket",
    )
    tr.add_argument("--stack", default=None, metavar="NAME", help="with --lake: a deployed stack")
    tr.add_argument("--region", default=None, help="with --stack: its region (the SDK's default)")
    tr.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="with --lake: the local cloud's state folder (./.reelstack)",
    )
    tr.add_argument("--output", type=Path, default=None, help="write the artifact to this file")
    tr.add_argument("--bucket", default=None, help="upload the artifact to this bucket (the media bucket)")
    tr.add_argument(
        "--key",
        default=None,
        help=f"its key in --bucket, {MODEL_PREFIX}<name>.joblib (default "
        f"{MODEL_PREFIX}synthetic-<videos>x<days>-seed<seed>.joblib, or lake-<first>-to-<last>.joblib)",
    )


def _at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from error
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    if args.action == "train":
        return run_train(args)
    return run_eval(args)


def run_eval(args: argparse.Namespace) -> int:
    from reelstack_tools.roi_catalog import CatalogParams, generate_catalog
    from reelstack_tools.roi_eval import (
        DAY_STEP,
        HOLDOUT_SHARE,
        MAX_TRAIN_ROWS,
        MIN_TRAIN_DAY,
        default_train_until,
        evaluate,
        render,
        split_videos,
        train_on_trace,
        train_until_bounds,
    )

    params = CatalogParams(
        videos=args.videos, days=args.days, **({} if args.seed is None else {"seed": args.seed})
    )
    train_until = args.train_until if args.train_until is not None else default_train_until(args.days)
    low, high = train_until_bounds(args.days)
    if not low <= train_until <= high:
        sys.stderr.write(f"--train-until must be in [{low}, {high}] for {args.days} days\n")
        return 2
    max_rows = args.max_train_rows or MAX_TRAIN_ROWS
    started = time.perf_counter()
    catalog = generate_catalog(params)
    generated = time.perf_counter()
    train_videos, held_out = split_videos(catalog, HOLDOUT_SHARE, params.seed)
    predictor = train_on_trace(catalog, train_until, train_videos, max_rows=max_rows, seed=params.seed)
    trained = time.perf_counter()
    results = evaluate(catalog, predictor, held_out, train_until)
    done = time.perf_counter()
    sys.stdout.write(
        f"catalog: {params.videos:,} videos x {params.days} days, seed {params.seed}\n"
        f"trained on {train_videos.size:,} videos, prediction days {MIN_TRAIN_DAY} to {train_until} minus the horizon "
        f"(at most {max_rows:,} rows per horizon)\n"
        f"held out: {held_out.size:,} other videos, prediction days {train_until}.. every {DAY_STEP}\n\n"
        f"{render(results)}\n\n"
        "MAE of log1p plays: lower is better (0.69 = off by 2x); Spearman: higher is better\n"
        f"generate {generated - started:.1f} s, train {trained - generated:.1f} s, "
        f"evaluate {done - trained:.1f} s\n"
    )
    return 0


@dataclass(frozen=True)
class TrainedArtifact:
    """What `roi train` wrote: the predictor, and where its artifact went."""

    predictor: PlayPredictor
    size_bytes: int
    output: Path | None
    bucket: str | None
    key: str | None


@dataclass(frozen=True)
class LakeTraining:
    """What `roi train --lake` trained on, and what it wrote."""

    artifact: TrainedArtifact
    first_day: str
    last_day: str
    videos: int
    left_out: int
    plays: int


def default_key(videos: int, days: int, seed: int) -> str:
    return f"{MODEL_PREFIX}synthetic-{videos}x{days}-seed{seed}.joblib"


def _last_day(train_until: int | None, days: int) -> int:
    from reelstack.domain.storage.play_history import HORIZONS
    from reelstack_tools.roi_eval import MIN_TRAIN_DAY

    until = train_until if train_until is not None else days - 1
    low = MIN_TRAIN_DAY + max(HORIZONS)
    if days - 1 < low:
        raise ValueError(
            f"{days} days of plays: training needs at least {low + 1} "
            f"({MIN_TRAIN_DAY} days of history, then the {max(HORIZONS)}-day horizon)"
        )
    if not low <= until <= days - 1:
        raise ValueError(f"--train-until must be in [{low}, {days - 1}] for {days} days")
    return until


def _publish(
    predictor: PlayPredictor, output: Path | None, bucket: str | None, key: str | None, s3: Any
) -> TrainedArtifact:
    from reelstack.adapters.media_bucket import MediaStorage
    from reelstack.adapters.storage.play_model_store import PlayModelStore

    with tempfile.TemporaryDirectory(prefix="play-model-") as scratch:
        path = predictor.save(output or Path(scratch) / "play-predictor.joblib")
        size = path.stat().st_size
        if bucket and key:
            PlayModelStore(MediaStorage(bucket, s3=s3)).upload(path, key)
    return TrainedArtifact(predictor, size, output, bucket or None, key if bucket else None)


def train_and_publish(
    *,
    videos: int = 100_000,
    days: int = 180,
    seed: int | None = None,
    train_until: int | None = None,
    max_train_rows: int | None = None,
    output: Path | None = None,
    bucket: str | None = None,
    key: str | None = None,
    s3: Any = None,
) -> TrainedArtifact:
    """Train on a seeded synthetic catalog (every video, days up to `train_until`) and write the artifact
    to `output` and/or upload it to `bucket` at `key` (through `PlayModelStore`; `s3`: a boto3 client,
    else the SDK's default). ValueError for a bad `train_until` or key, or when there is nowhere to write."""
    from reelstack.adapters.storage.play_model_store import check_key
    from reelstack_tools.roi_catalog import CatalogParams, generate_catalog
    from reelstack_tools.roi_eval import MAX_TRAIN_ROWS, train_on_trace

    if output is None and not bucket:
        raise ValueError("give --output and/or --bucket: the artifact has to go somewhere")
    params = CatalogParams(videos=videos, days=days)
    params = params if seed is None else replace(params, seed=seed)
    until = _last_day(train_until, days)
    chosen_key = check_key(key or default_key(videos, days, params.seed)) if bucket else None
    catalog = generate_catalog(params)
    predictor = train_on_trace(catalog, until, max_rows=max_train_rows or MAX_TRAIN_ROWS, seed=params.seed)
    return _publish(predictor, output, bucket, chosen_key, s3)


def train_from_lake(
    *,
    lake_bucket: str,
    bucket: str | None,
    prefix: str | None = None,
    output: Path | None = None,
    key: str | None = None,
    train_until: int | None = None,
    max_train_rows: int | None = None,
    seed: int = 0,
    s3: Any = None,
) -> LakeTraining:
    """Train on the lake's daily stats (`roi_lake.read_lake_trace`, under `prefix` if not the nightly
    job's; days up to `train_until`, the last
    by default) and write the artifact as `train_and_publish` does (default key: the dates it covers).
    LookupError when the lake has no daily stats yet; ValueError when they are too short or bad options."""
    import boto3

    from reelstack.adapters.storage.play_model_store import check_key
    from reelstack_tools.roi_eval import MAX_TRAIN_ROWS, train_on_trace
    from reelstack_tools.roi_lake import DAILY_STATS_PREFIX, read_lake_trace

    if output is None and not bucket:
        raise ValueError("give --output and/or --bucket: the artifact has to go somewhere")
    client = s3 or boto3.client("s3")
    trace = read_lake_trace(client, lake_bucket, prefix or DAILY_STATS_PREFIX)
    until = _last_day(train_until, trace.days)
    last = trace.first_day + timedelta(days=trace.days - 1)
    name = f"{MODEL_PREFIX}lake-{trace.first_day.isoformat()}-to-{last.isoformat()}.joblib"
    chosen_key = check_key(key or name) if bucket else None
    predictor = train_on_trace(trace, until, max_rows=max_train_rows or MAX_TRAIN_ROWS, seed=seed)
    return LakeTraining(
        artifact=_publish(predictor, output, bucket, chosen_key, client),
        first_day=trace.first_day.isoformat(),
        last_day=last.isoformat(),
        videos=trace.videos,
        left_out=trace.left_out,
        plays=int(trace.daily_plays.sum()),
    )


def lake_buckets(args: argparse.Namespace) -> tuple[str, str, Any]:
    """(lake bucket, media bucket, s3 client) of `--stack NAME`, or of the running local cloud."""
    import boto3

    if args.stack:
        session = boto3.session.Session(region_name=args.region)
        resources = {
            item["LogicalResourceId"]: str(item.get("PhysicalResourceId"))
            for item in session.client("cloudformation").describe_stack_resources(StackName=args.stack)[
                "StackResources"
            ]
        }
        return resources["LakeBucket"], resources["MediaBucket"], session.client("s3")
    from reelstack_tools.localcloud.client import CloudHandle
    from reelstack_tools.localcloud.cloudfile import default_state_dir

    cloud = CloudHandle.from_state_dir(args.state_dir or default_state_dir())
    return cloud.name("LakeBucket"), cloud.name("MediaBucket"), cloud.client("s3")


def _destinations(artifact: TrainedArtifact) -> str:
    where = [str(artifact.output)] if artifact.output else []
    if artifact.bucket:
        where.append(f"s3://{artifact.bucket}/{artifact.key}")
    return ", ".join(where)


def run_lake_train(args: argparse.Namespace) -> int:
    from reelstack.errors import ReelstackError

    started = time.perf_counter()
    try:
        lake, media, s3 = lake_buckets(args)
    except Exception as error:  # no local cloud, or no such stack: say which, as the other commands do
        hint = "" if args.stack else " (for a deployed stack: --stack NAME)"
        sys.stderr.write(f"{error}{hint}\n")
        return 1
    try:
        done = train_from_lake(
            lake_bucket=lake,
            bucket=args.bucket or media,
            output=args.output,
            key=args.key,
            train_until=args.train_until,
            max_train_rows=args.max_train_rows,
            seed=args.seed or 0,
            s3=s3,
        )
    except ValueError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except (LookupError, ReelstackError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    artifact = done.artifact
    sys.stdout.write(
        f"trained on the lake's daily stats {done.first_day} to {done.last_day}: {done.videos:,} videos, "
        f"{done.plays:,} plays ({done.left_out:,} videos left out: published before the stats begin) "
        f"in {time.perf_counter() - started:.1f} s\n"
        f"artifact ({artifact.size_bytes / 1024:.0f} KiB): {_destinations(artifact)}\n"
        + (f"tiering uses it with PlayModelKey={artifact.key}\n" if artifact.key else "")
    )
    return 0


def run_train(args: argparse.Namespace) -> int:
    from reelstack.errors import ReelstackError

    if args.lake:
        return run_lake_train(args)
    if args.stack:
        sys.stderr.write("--stack names the stack whose lake --lake trains on: add --lake\n")
        return 2

    started = time.perf_counter()
    try:
        artifact = train_and_publish(
            videos=args.videos,
            days=args.days,
            seed=args.seed,
            train_until=args.train_until,
            max_train_rows=args.max_train_rows,
            output=args.output,
            bucket=args.bucket,
            key=args.key,
        )
    except ValueError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    except ReelstackError as error:  # the upload failed
        sys.stderr.write(f"{error}\n")
        return 1
    sys.stdout.write(
        f"trained on a synthetic catalog of {args.videos:,} videos x {args.days} days "
        f"in {time.perf_counter() - started:.1f} s (the platform's own daily stats: roi train --lake)\n"
        f"artifact ({artifact.size_bytes / 1024:.0f} KiB): {_destinations(artifact)}\n"
        + (f"tiering uses it with PlayModelKey={artifact.key}\n" if artifact.key else "")
    )
    return 0
