"""`reelstack roi eval`: the play predictor against persistence and exponential decay.

It generates a seeded synthetic catalog (`roi_catalog`), trains the model on the first part of the
trace and prints, for the held-out slice (other videos, later days), one table of MAE on log plays
and Spearman correlation per predictor and horizon (`roi_eval`). numpy and scikit-learn are imported
inside `run`, so other `reelstack` commands do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

HELP = "ROI engine tools: `roi eval` scores the play predictor against persistence and decay baselines"


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
