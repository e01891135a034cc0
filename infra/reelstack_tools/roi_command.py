"""`reelstack roi eval` and `reelstack roi train`: the play predictor, scored and shipped.

`roi eval` generates a seeded synthetic catalog (`roi_catalog`), trains the model on the first part
of the trace and prints, for the held-out slice (other videos, later days), one table of MAE on log
plays and Spearman correlation per predictor and horizon (`roi_eval`).

`roi train` trains the model the same way (`roi_eval.train_on_trace`, on every video of the catalog,
days up to `--train-until`) and writes the joblib artifact to `--output` and/or uploads it to the
media bucket under `models/play-predictor/<name>.joblib` (`--bucket`, `--key`), where the nightly
tiering loads it when its PLAY_MODEL_KEY names it. In production the model should be trained on the
platform's own daily play stats; the seeded synthetic catalog is what there is so far, and a model
trained on it only knows synthetic videos.

numpy and scikit-learn are imported inside `run`, so other `reelstack` commands do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelstack.adapters.play_predictor import PlayPredictor

HELP = (
    "ROI engine tools: `roi eval` scores the play predictor against persistence and decay baselines; "
    "`roi train` writes its artifact (file and/or the media bucket) for the nightly tiering"
)
MODEL_PREFIX = "models/play-predictor/"  # = reelstack.adapters.play_model_store.MODEL_PREFIX
TRAIN_HELP = (
    "train the play predictor and write its joblib artifact to --output and/or upload it to --bucket "
    f"under {MODEL_PREFIX}<name>.joblib (the tiering's PLAY_MODEL_KEY). It trains on the seeded "
    "synthetic catalog: in production it should be trained on the platform's own daily play stats; "
    "the synthetic catalog is what there is so far"
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
    tr.add_argument("--output", type=Path, default=None, help="write the artifact to this file")
    tr.add_argument("--bucket", default=None, help="upload the artifact to this bucket (the media bucket)")
    tr.add_argument(
        "--key",
        default=None,
        help=f"its key in --bucket, {MODEL_PREFIX}<name>.joblib "
        f"(default {MODEL_PREFIX}synthetic-<videos>x<days>-seed<seed>.joblib)",
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


def default_key(videos: int, days: int, seed: int) -> str:
    return f"{MODEL_PREFIX}synthetic-{videos}x{days}-seed{seed}.joblib"


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
    from reelstack.adapters.play_model_store import PlayModelStore, check_key
    from reelstack.adapters.storage import MediaStorage
    from reelstack.domain.play_history import HORIZONS
    from reelstack_tools.roi_catalog import CatalogParams, generate_catalog
    from reelstack_tools.roi_eval import MAX_TRAIN_ROWS, MIN_TRAIN_DAY, train_on_trace

    if output is None and not bucket:
        raise ValueError("give --output and/or --bucket: the artifact has to go somewhere")
    params = CatalogParams(videos=videos, days=days)
    params = params if seed is None else replace(params, seed=seed)
    until = train_until if train_until is not None else days - 1
    low = MIN_TRAIN_DAY + max(HORIZONS)
    if not low <= until <= days - 1:
        raise ValueError(f"--train-until must be in [{low}, {days - 1}] for {days} days")
    chosen_key = check_key(key or default_key(videos, days, params.seed)) if bucket else None
    catalog = generate_catalog(params)
    predictor = train_on_trace(catalog, until, max_rows=max_train_rows or MAX_TRAIN_ROWS, seed=params.seed)
    with tempfile.TemporaryDirectory(prefix="play-model-") as scratch:
        path = predictor.save(output or Path(scratch) / "play-predictor.joblib")
        size = path.stat().st_size
        if bucket and chosen_key:
            PlayModelStore(MediaStorage(bucket, s3=s3)).upload(path, chosen_key)
    return TrainedArtifact(predictor, size, output, bucket or None, chosen_key)


def run_train(args: argparse.Namespace) -> int:
    from reelstack.errors import ReelstackError

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
    where = [str(artifact.output)] if artifact.output else []
    if artifact.bucket:
        where.append(f"s3://{artifact.bucket}/{artifact.key}")
    sys.stdout.write(
        f"trained on a synthetic catalog of {args.videos:,} videos x {args.days} days "
        f"in {time.perf_counter() - started:.1f} s (in production: train on the platform's daily stats)\n"
        f"artifact ({artifact.size_bytes / 1024:.0f} KiB): {', '.join(where)}\n"
        + (f"tiering uses it with PlayModelKey={artifact.key}\n" if artifact.key else "")
    )
    return 0
