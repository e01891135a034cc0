"""The ranker's training entry point: `reelstack rank train` runs it locally, a SageMaker training job
runs it in script mode (SM_CHANNEL_TRAIN: the profile job's `examples/` Parquet files; SM_MODEL_DIR:
where model.npz and meta.json go)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import ranker_features
import ranker_model
from ranker_training import TrainSettings, train


def read_examples(folder: Path, split: str = "train") -> list[dict[str, object]]:
    import pyarrow.parquet as pq

    files = sorted(path for path in folder.rglob("*.parquet"))
    rows: list[dict[str, object]] = []
    for path in files:
        rows += [row for row in pq.read_table(path).to_pylist() if row.get("split", "train") == split]
    return rows


def fit(
    rows: list[dict[str, object]], settings: TrainSettings
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    indices, mask = ranker_features.encode([ranker_features.example_values(row) for row in rows])
    labels = np.asarray([int(row["label"]) for row in rows], dtype=np.float32)  # type: ignore[call-overload]
    return train(indices, mask, labels, settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "examples"))
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--kind", default="deepfm", choices=("deepfm", "lr"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--embedding-dim", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--version", default=time.strftime("%Y%m%d-%H%M%S", time.gmtime()))
    args = parser.parse_args(argv)
    rows = read_examples(Path(args.train))
    if not rows:
        sys.stderr.write(f"no training examples under {args.train}\n")
        return 1
    settings = TrainSettings(
        kind=args.kind, epochs=args.epochs, embedding_dim=args.embedding_dim, seed=args.seed
    )
    params, report = fit(rows, settings)
    ranker_model.save(Path(args.model_dir), params, {"kind": args.kind, "version": args.version, **report})
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
