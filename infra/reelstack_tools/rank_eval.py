"""Offline evaluation of the ranker (`reelstack rank eval`): train on earlier days, test on later ones.

The log (synthetic, or the platform's own) goes through the real pipeline: Parquet files in the lake
layout -> the profile job (jobs/profile_job/job.py on Spark, local mode) with `--as-of` the last
training day and `--label-until` the last day -> its `examples/` (split train/test, test features
from the training window only), `neighbours/` and `video_features/`. Four rankers are scored:
most popular (plays in the window), item-based CF (a candidate's co-watch similarity to the viewer's
training positives, from the job's neighbours), logistic regression and DeepFM on the same hashed
features (JAX).

Metrics, on the test split:
- AUC: over every test impression (ties share their rank).
- GAUC: each viewer's AUC, weighted by their impressions, over viewers with both labels.
- NDCG@10: each viewer's test impressions ranked by score; binary gains; mean over viewers with a
  positive.
- Recall@50: for up to `recall_users` viewers with a positive, every video of the window not seen in
  training is ranked; the share of the viewer's test positives in the top 50, averaged.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from reelstack.domain.engagement.interactions import Interaction

RANKER_DIR = Path(__file__).resolve().parents[1] / "ranker"
JOB_FILE = Path(__file__).resolve().parents[2] / "jobs" / "profile_job" / "job.py"


def ranker_modules() -> tuple[Any, Any, Any, Any]:
    """The model's code directory is SageMaker's source_dir; the tools import the same files."""
    if str(RANKER_DIR) not in sys.path:
        sys.path.insert(0, str(RANKER_DIR))
    import inference
    import ranker_features
    import ranker_model
    import ranker_training

    return ranker_features, ranker_model, ranker_training, inference


# -- metrics -------------------------------------------------------------------------------------------


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Mann-Whitney AUC with tied scores sharing their average rank; None without both labels."""
    y = np.asarray(labels, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return None
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    start = 0
    while start < len(s):
        end = start
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def gauc(users: Sequence[str], labels: Sequence[int], scores: Sequence[float]) -> float | None:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, user in enumerate(users):
        groups[user].append(index)
    total = weight = 0.0
    for indices in groups.values():
        value = auc([labels[i] for i in indices], [scores[i] for i in indices])
        if value is not None:
            total += value * len(indices)
            weight += len(indices)
    return total / weight if weight else None


def ndcg_at(labels: Sequence[int], scores: Sequence[float], k: int = 10) -> float | None:
    if not any(labels):
        return None
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="mergesort")[:k]
    dcg = sum(labels[i] / np.log2(rank + 2) for rank, i in enumerate(order))
    ideal = sum(1 / np.log2(rank + 2) for rank in range(min(k, int(sum(labels)))))
    return float(dcg / ideal)


def mean_ndcg(
    users: Sequence[str], labels: Sequence[int], scores: Sequence[float], k: int = 10
) -> float | None:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, user in enumerate(users):
        groups[user].append(index)
    values = [ndcg_at([labels[i] for i in g], [scores[i] for i in g], k) for g in groups.values()]
    kept = [value for value in values if value is not None]
    return float(np.mean(kept)) if kept else None


def recall_at(ranked: Sequence[str], positives: set[str], k: int = 50) -> float:
    return len(set(ranked[:k]) & positives) / len(positives)


# -- the pipeline ----------------------------------------------------------------------------------------


def write_lake(folder: Path, events: Iterable[Interaction], batch: int = 50_000) -> int:
    """Events as Parquet files in the lake layout (dt=YYYY-MM-DD/part-N.parquet); -> how many."""
    from reelstack.adapters.engagement.lake_files import parquet_bytes

    by_day: dict[str, list[Interaction]] = defaultdict(list)
    count = 0
    for event in events:
        by_day[event.day].append(event)
        count += 1
    for day, items in by_day.items():
        target = folder / f"dt={day}"
        target.mkdir(parents=True, exist_ok=True)
        for part, start in enumerate(range(0, len(items), batch)):
            (target / f"part-{part:04d}.parquet").write_bytes(parquet_bytes(items[start : start + batch]))
    return count


def local_spark() -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[2]")
        .appName("reelstack-rank")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def run_profile_job(
    spark: Any, events: Path, out: Path, as_of: str, days: int, label_until: str | None
) -> dict[str, int]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("profile_job", JOB_FILE)
    assert spec is not None and spec.loader is not None
    job = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(job)
    argv = ["--events", str(events), "--out", str(out), "--as-of", as_of, "--days", str(days)]
    if label_until:
        argv += ["--label-until", label_until]
    return dict(job.run(spark, job.parse_args(argv)))


def read_json_lines(folder: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for part in sorted(folder.glob("part-*"))
        for line in part.read_text().splitlines()
        if line
    ]


@dataclass
class Split:
    train: list[dict[str, Any]]
    test: list[dict[str, Any]]
    neighbours: dict[str, dict[str, float]]
    videos: list[dict[str, Any]]


def load_split(out: Path) -> Split:
    import pyarrow.parquet as pq

    rows = pq.read_table(out / "examples").to_pylist()
    neighbours = {
        row["video_id"]: {item["video_id"]: float(item["score"]) for item in row["neighbours"]}
        for row in read_json_lines(out / "neighbours")
    }
    return Split(
        train=[row for row in rows if row["split"] == "train"],
        test=[row for row in rows if row["split"] == "test"],
        neighbours=neighbours,
        videos=read_json_lines(out / "video_features"),
    )


# -- rankers ---------------------------------------------------------------------------------------------

Scorer = Callable[[list[dict[str, Any]]], np.ndarray]  # examples-shaped rows -> scores


@dataclass
class Result:
    name: str
    auc: float | None
    gauc: float | None
    ndcg10: float | None
    recall50: float | None
    extra: dict[str, Any] = field(default_factory=dict)


def itemcf_scorer(split: Split) -> Scorer:
    positives: dict[str, set[str]] = defaultdict(set)
    for row in split.train:
        if row["label"]:
            positives[row["user_id"]].add(row["video_id"])

    def score(rows: list[dict[str, Any]]) -> np.ndarray:
        return np.asarray(
            [
                sum(split.neighbours.get(row["video_id"], {}).get(j, 0.0) for j in positives[row["user_id"]])
                for row in rows
            ]
        )

    return score


def model_scorer(params: dict[str, np.ndarray], kind: str) -> Scorer:
    features, model, _, _ = ranker_modules()

    def score(rows: list[dict[str, Any]]) -> np.ndarray:
        indices, mask = features.encode([features.example_values(row) for row in rows])
        return np.asarray(model.logits(params, indices, mask, kind))

    return score


def candidate_rows(
    user_row: dict[str, Any], videos: list[dict[str, Any]], seen: set[str]
) -> list[dict[str, Any]]:
    """One examples-shaped row per unseen video, with the viewer's features and an evening context."""
    rows = []
    for video in videos:
        if video["video_id"] in seen:
            continue
        rows.append(
            {
                **{
                    key: user_row.get(key)
                    for key in (
                        "user_id",
                        "user_region",
                        "user_device",
                        "user_activity",
                        "user_tags",
                        "device",
                    )
                },
                "video_id": video["video_id"],
                "author_id": video.get("author_id"),
                "video_tags": video.get("tags") or [],
                "duration_ms": video.get("duration_ms"),
                "codec_tier": video.get("codec_tier"),
                "video_age_days": None,
                "video_plays": video.get("plays") or 0,
                "hour": 20,
            }
        )
    return rows


def evaluate(name: str, scorer: Scorer, split: Split, recall_users: int, seed: int = 3) -> Result:
    test = split.test
    scores = scorer(test).tolist()
    labels = [int(row["label"]) for row in test]
    users = [row["user_id"] for row in test]
    seen: dict[str, set[str]] = defaultdict(set)
    for row in split.train:
        seen[row["user_id"]].add(row["video_id"])
    positives: dict[str, set[str]] = defaultdict(set)
    first_row: dict[str, dict[str, Any]] = {}
    for row in test:
        first_row.setdefault(row["user_id"], row)
        if row["label"]:
            positives[row["user_id"]].add(row["video_id"])
    chosen = sorted(user for user, found in positives.items() if found - seen[user])
    rng = np.random.default_rng(seed)
    if len(chosen) > recall_users:
        chosen = sorted(rng.choice(chosen, size=recall_users, replace=False).tolist())
    recalls = []
    for user in chosen:
        rows = candidate_rows(first_row[user], split.videos, seen[user])
        order = np.argsort(-scorer(rows), kind="mergesort")
        recalls.append(recall_at([rows[i]["video_id"] for i in order], positives[user] - seen[user]))
    return Result(
        name,
        auc(labels, scores),
        gauc(users, labels, scores),
        mean_ndcg(users, labels, scores),
        float(np.mean(recalls)) if recalls else None,
    )


def scoring_times(
    model_dir: Path, split: Split, candidates: int = 200, repeats: int = 200
) -> dict[str, float]:
    """p50 and p99 of the inference code's predict_fn for one viewer and `candidates` videos, in process."""
    _, _, _, inference = ranker_modules()
    loaded = inference.model_fn(str(model_dir))
    row = split.test[0] if split.test else split.train[0]
    request = scoring_request(row, split.videos[:candidates])
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        inference.predict_fn(request, loaded)
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(timings, 50)), "p99_ms": float(np.percentile(timings, 99))}


def scoring_request(row: dict[str, Any], videos: list[dict[str, Any]]) -> dict[str, Any]:
    """The inference code's request for one viewer (an examples row's user fields) and some videos."""
    return {
        "user": {
            "region": row.get("user_region"),
            "device": row.get("user_device"),
            "activity": row.get("user_activity"),
            "tags": row.get("user_tags") or [],
        },
        "context": {"hour": 20, "device": row.get("device")},
        "candidates": [
            {
                "video_id": video["video_id"],
                "author_id": video.get("author_id"),
                "tags": video.get("tags") or [],
                "duration_ms": video.get("duration_ms"),
                "codec_tier": video.get("codec_tier"),
                "plays": video.get("plays"),
            }
            for video in videos
        ],
    }


def offline_split(
    events: Iterable[Interaction],
    train_days: int,
    as_of: str,
    last_day: str,
    spark: Any,
    work: Path | None = None,
) -> tuple[Split, dict[str, int]]:
    """The log -> lake files -> the profile job (train window ending `as_of`, test until `last_day`)."""
    folder = Path(work or tempfile.mkdtemp(prefix="rank-eval-"))
    lake, out = folder / "lake", folder / "out"
    write_lake(lake, events)
    counts = run_profile_job(spark, lake, out, as_of, train_days, last_day)
    return load_split(out), counts
