"""`reelstack rank eval | train | deploy`: the DeepFM ranker, scored, trained and served.

`rank eval` generates a seeded synthetic log with planted tastes (`rank_synthetic`), runs it through
the real pipeline (lake files -> the profile job on Spark -> examples with a held-out split) and
prints AUC, GAUC, NDCG@10 and Recall@50 of most popular, item-based CF, logistic regression and
DeepFM (`rank_eval`), then DeepFM's training time, artifact size and scoring time for 200 candidates.

`rank train` trains DeepFM on every day of the synthetic log (`--examples DIR` instead: the `examples/`
folder of a profile run) and writes the artifact: a model folder (`--output`) and `model.tar.gz`
beside it. `rank train --platform` trains on the platform's own log instead, as a SageMaker training
job started with the sagemaker SDK (`rank_platform`), on the local cloud or in AWS.

`rank deploy` puts an artifact behind a SageMaker serverless endpoint through the sagemaker SDK
(`rank_deploy`): on the running local cloud by default (its lake bucket; InvokeEndpoint then runs
the same code), or in AWS with `--stack NAME` (or `--bucket` and `--role`: the stack's outputs
LakeBucketName and RankerModelRoleArn).

numpy, JAX, pyspark and the sagemaker SDK are imported inside `run`: other commands do not pay for them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

HELP = (
    "the DeepFM ranker: `rank eval` scores it against popular, item-CF and logistic regression on "
    "held-out days; `rank train` writes its artifact; `rank deploy` serves it on a SageMaker endpoint"
)
DEFAULT_ENDPOINT = "reelstack-ranker"


def _synthetic_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=1500, help="viewers in the synthetic log (1,500)")
    parser.add_argument("--videos", type=int, default=800, help="videos (800)")
    parser.add_argument("--days", type=int, default=14, help="days of log (14)")
    parser.add_argument("--seed", type=int, default=13, help="the log's seed (13)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    ev = actions.add_parser("eval", help="train on earlier days, score on later ones, print the metrics")
    _synthetic_options(ev)
    ev.add_argument("--test-days", type=int, default=3, help="the last days held out (3)")
    ev.add_argument(
        "--recall-users", type=int, default=200, help="viewers ranked over the catalog for Recall@50"
    )
    tr = actions.add_parser("train", help="train DeepFM and write its artifact")
    _synthetic_options(tr)
    tr.add_argument(
        "--examples", type=Path, default=None, help="train on this examples/ folder of a profile run"
    )
    tr.add_argument(
        "--output", type=Path, default=None, help="the model folder to write (model.tar.gz beside it)"
    )
    tr.add_argument("--epochs", type=int, default=4)
    tr.add_argument(
        "--platform",
        action="store_true",
        help="train on the platform's own log (the newest profile run's examples) as a SageMaker "
        "training job: on the running local cloud, or in AWS with --stack (or --bucket and --role)",
    )
    _where_options(tr)
    de = actions.add_parser("deploy", help="serve an artifact on a SageMaker serverless endpoint")
    de.add_argument("--model", required=True, help="model.tar.gz (a file, or an s3:// URI)")
    de.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help=f"the endpoint's name ({DEFAULT_ENDPOINT})")
    de.add_argument("--memory", type=int, default=2048, help="serverless memory, MB (2,048)")
    _where_options(de)


def _where_options(parser: argparse.ArgumentParser) -> None:
    """Where `--platform` training and `deploy` run: the local cloud, or a deployed stack."""
    parser.add_argument("--stack", default=None, metavar="NAME", help="AWS: a deployed stack (its outputs)")
    parser.add_argument(
        "--bucket", default=None, help="AWS: the lake bucket (the stack output LakeBucketName)"
    )
    parser.add_argument(
        "--role", default=None, help="AWS: the model's role (the stack output RankerModelRoleArn)"
    )
    parser.add_argument("--region", default=None, help="AWS region (your configuration's by default)")
    parser.add_argument(
        "--state-dir", type=Path, default=None, help="the local cloud's state folder (default ./.reelstack)"
    )


def run(args: argparse.Namespace) -> int:
    if args.action == "eval":
        return run_eval(args)
    if args.action == "train":
        return run_train(args)
    return run_deploy(args)


def _spec(args: argparse.Namespace) -> Any:
    from reelstack_tools.rank_synthetic import SyntheticLog

    return SyntheticLog(users=args.users, videos=args.videos, days=args.days, seed=args.seed)


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:.4f}"


def run_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from reelstack_tools import rank_eval
    from reelstack_tools.rank_synthetic import generate

    if not 1 <= args.test_days < args.days - 1:
        sys.stderr.write("--test-days must leave at least two training days\n")
        return 2
    spec = _spec(args)
    started = time.perf_counter()
    spark = rank_eval.local_spark()
    train_days = args.days - args.test_days
    split, counts = rank_eval.offline_split(
        generate(spec), train_days, spec.day(train_days - 1), spec.day(args.days - 1), spark
    )
    prepared = time.perf_counter()
    features, model, training, _ = rank_eval.ranker_modules()
    indices, mask = features.encode([features.example_values(row) for row in split.train])
    labels = np.asarray([row["label"] for row in split.train], dtype=np.float32)
    results, trained = [], {}
    results.append(
        rank_eval.evaluate(
            "most popular",
            lambda rows: np.asarray([row["video_plays"] or 0 for row in rows], dtype=float),
            split,
            args.recall_users,
        )
    )
    results.append(
        rank_eval.evaluate("item-based CF", rank_eval.itemcf_scorer(split), split, args.recall_users)
    )
    for kind, name in (("lr", "logistic regression"), ("deepfm", "DeepFM")):
        params, report = training.train(
            indices, mask, labels, training.TrainSettings(kind=kind, seed=args.seed)
        )
        trained[kind] = (params, report)
        results.append(
            rank_eval.evaluate(name, rank_eval.model_scorer(params, kind), split, args.recall_users)
        )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        model_dir = Path(folder) / "model"
        params, report = trained["deepfm"]
        model.save(model_dir, params, {"kind": "deepfm", "version": "eval", **report})
        size = sum(path.stat().st_size for path in model_dir.iterdir())
        timing = rank_eval.scoring_times(model_dir, split)
    spark.stop()
    positives = sum(row["label"] for row in split.test)
    lines = [
        f"synthetic log: {args.users:,} viewers, {args.videos:,} videos, {args.days} days, seed {args.seed}; "
        f"profile job: {counts}",
        f"train: {len(split.train):,} plays over {train_days} days; test: {len(split.test):,} plays over the last "
        f"{args.test_days} days ({positives:,} positive: watched past half or liked)",
        "",
        f"{'ranker':<22}{'AUC':>8}{'GAUC':>8}{'NDCG@10':>9}{'Recall@50':>11}",
    ]
    for result in results:
        lines.append(
            f"{result.name:<22}{_fmt(result.auc):>8}{_fmt(result.gauc):>8}{_fmt(result.ndcg10):>9}"
            f"{_fmt(result.recall50):>11}"
        )
    deepfm, popular, lr = results[3], results[0], results[2]
    lines += [
        "",
        f"DeepFM - most popular, AUC: {(deepfm.auc or 0) - (popular.auc or 0):+.4f}; "
        f"DeepFM - logistic regression, AUC: {(deepfm.auc or 0) - (lr.auc or 0):+.4f}",
        f"DeepFM: trained in {trained['deepfm'][1]['seconds']:.1f} s ({len(split.train):,} examples, "
        f"{trained['deepfm'][1]['settings']['epochs']} epochs); artifact {size / 1e6:.2f} MB; "
        f"predict_fn for 200 candidates p50 {timing['p50_ms']:.2f} ms, p99 {timing['p99_ms']:.2f} ms",
        f"log, lake files and the profile job {prepared - started:.1f} s; all {time.perf_counter() - started:.1f} s",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def run_train(args: argparse.Namespace) -> int:
    if args.platform:
        return run_platform_train(args)
    if args.output is None:
        sys.stderr.write(
            "--output is required (or --platform: a SageMaker training job on the platform's log)\n"
        )
        return 2
    from reelstack_tools import rank_eval

    started = time.perf_counter()
    if args.examples is not None:
        examples = args.examples
    else:
        from reelstack_tools.rank_synthetic import generate

        spec = _spec(args)
        spark = rank_eval.local_spark()
        work = Path(args.output).resolve().parent / f".{Path(args.output).name}-work"
        rank_eval.write_lake(work / "lake", generate(spec))
        rank_eval.run_profile_job(
            spark, work / "lake", work / "out", spec.day(args.days - 1), args.days, None
        )
        spark.stop()
        examples = work / "out" / "examples"
    rank_eval.ranker_modules()
    import train as ranker_train

    version = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    code = ranker_train.main(
        [
            "--train",
            str(examples),
            "--model-dir",
            str(args.output),
            "--epochs",
            str(args.epochs),
            "--version",
            version,
        ]
    )
    if code != 0:
        return int(code)
    archive = (
        Path(args.output).with_suffix(".tar.gz")
        if Path(args.output).suffix
        else Path(f"{args.output}.tar.gz")
    )
    with tarfile.open(archive, "w:gz") as packed:
        for path in sorted(Path(args.output).iterdir()):
            packed.add(path, arcname=path.name)
    sys.stdout.write(
        f"model {version}: {args.output} and {archive} in {time.perf_counter() - started:.1f} s\n"
    )
    return 0


def _where(args: argparse.Namespace) -> tuple[str, str, str, int] | int:
    """(bucket, role, region, poll seconds): the running local cloud's, or AWS's from the options
    (`--stack NAME`: its outputs LakeBucketName and RankerModelRoleArn; `--bucket`/`--role` win)."""
    bucket, role, region, poll = args.bucket, args.role, args.region, 15
    if args.stack:
        import boto3

        from reelstack_tools.stack_outputs import stack_outputs

        stack = boto3.session.Session(region_name=region).client("cloudformation")
        try:
            outputs = stack_outputs(stack, args.stack)
        except Exception as error:  # no such stack, or no credentials: the SDK says which
            sys.stderr.write(f"stack {args.stack}: {error}\n")
            return 1
        bucket, role = bucket or outputs.get("LakeBucketName"), role or outputs.get("RankerModelRoleArn")
    if bucket is None:
        from reelstack_tools.localcloud.client import CloudHandle
        from reelstack_tools.localcloud.cloudfile import default_state_dir

        try:
            cloud = CloudHandle.from_state_dir(args.state_dir or default_state_dir())
        except Exception as error:
            sys.stderr.write(f"no running local cloud ({error}); for AWS give --stack NAME\n")
            return 1
        os.environ.update(cloud.environment())
        bucket, region, poll = cloud.name("LakeBucket"), cloud.region, 1
        role = role or "arn:aws:iam::123456789012:role/reelstack-ranker-model"
    if role is None:
        sys.stderr.write("--role is required with --bucket (the stack output RankerModelRoleArn)\n")
        return 2
    import boto3

    return bucket, role, region or boto3.Session().region_name or "us-east-1", poll


def run_platform_train(args: argparse.Namespace) -> int:
    from reelstack_tools.rank_platform import train_on_platform

    where = _where(args)
    if isinstance(where, int):
        return where
    bucket, role, region, poll = where
    try:
        done = train_on_platform(bucket=bucket, role=role, region=region, epochs=args.epochs, poll_s=poll)
    except LookupError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    sys.stdout.write(
        f"training job {done.job_name} on {done.examples} (the run of {done.run_as_of}): "
        f"{done.model_data} in {done.seconds:.1f} s\n"
    )
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    from reelstack_tools.rank_deploy import deploy

    where = _where(args)
    if isinstance(where, int):
        return where
    bucket, role, region, poll = where
    done = deploy(
        args.model,
        endpoint=args.endpoint,
        role=role,
        bucket=bucket,
        region=region,
        memory_mb=args.memory,
        poll_s=poll,
    )
    verb = "updated" if done.updated else "created"
    sys.stdout.write(
        f"endpoint {done.endpoint} {verb}: model {done.model_name} ({done.model_data}) in {done.seconds:.1f} s\n"
    )
    return 0
