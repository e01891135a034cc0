"""Scoring 200 candidates with the ranker: through InvokeEndpoint on the local cloud, against calling
the inference code's `predict_fn` in this process.

    .venv/bin/python benchmarks/ranker_endpoint.py [--requests 300]

The artifact has DeepFM's real shape (every field's slice of the feature space, 8-dim embeddings,
the 64-32 MLP) with seeded random weights: latency does not depend on what the weights learned. It
is deployed with `rank deploy`'s code (sagemaker SDK, serverless configuration) and invoked with
boto3's sagemaker-runtime, one viewer and 200 candidates per request, after a warm-up. Printed: p50
and p99 of each and the ratio endpoint / in-process: the price of the HTTP hop, the JSON both ways
and the local runtime's worker round trip.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "infra", ROOT / "layers" / "shared" / "python"):
    sys.path.insert(0, str(path))

from reelstack_tools.localcloud.client import running_local_cloud  # noqa: E402
from reelstack_tools.rank_deploy import deploy  # noqa: E402
from reelstack_tools.rank_eval import ranker_modules  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share))


def request(rng: np.random.Generator) -> dict[str, object]:
    return {
        "user": {"region": "DE", "device": "ios", "activity": 120, "tags": ["tag01", "tag07", "tag12"]},
        "context": {"hour": 21, "device": "ios"},
        "candidates": [
            {
                "video_id": f"video{int(rng.integers(0, 100_000)):06d}",
                "author_id": f"author{int(rng.integers(0, 5_000))}",
                "tags": [f"tag{int(t):02d}" for t in rng.integers(0, 40, 3)],
                "duration_ms": int(rng.integers(5_000, 90_000)),
                "codec_tier": "h264",
                "age_days": float(rng.uniform(0, 60)),
                "plays": int(rng.integers(0, 100_000)),
            }
            for _ in range(200)
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    _, model, training, inference = ranker_modules()
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as folder:
        model_dir = Path(folder) / "model"
        params = training.initial_params(training.TrainSettings(), rng)
        model.save(model_dir, params, {"kind": "deepfm", "version": "bench"})
        archive = Path(folder) / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as packed:
            for path in model_dir.iterdir():
                packed.add(path, arcname=path.name)
        loaded = inference.model_fn(str(model_dir))
        bodies = [request(rng) for _ in range(args.requests)]
        with running_local_cloud(ROOT / "template.yaml", Path(folder) / "state", timeout=180) as cloud:
            import os

            os.environ.update(cloud.environment())
            deploy(
                str(archive), endpoint="ranker-bench", role="arn:aws:iam::123456789012:role/m",
                bucket=cloud.name("LakeBucket"), region=cloud.region, version="bench", poll_s=1,
            )  # fmt: skip
            runtime = cloud.client("sagemaker-runtime")
            encoded = [json.dumps(body) for body in bodies]
            for body in encoded[:20]:  # the worker's cold start and caches
                runtime.invoke_endpoint(
                    EndpointName="ranker-bench", ContentType="application/json", Body=body
                )
            remote, local = [], []
            for body, parsed in zip(encoded, bodies, strict=True):
                started = time.perf_counter()
                runtime.invoke_endpoint(
                    EndpointName="ranker-bench", ContentType="application/json", Body=body
                )
                remote.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                inference.predict_fn(parsed, loaded)
                local.append((time.perf_counter() - started) * 1000)
    sys.stdout.write(
        f"200 candidates per request, {args.requests} requests\n"
        f"InvokeEndpoint (local cloud): p50 {percentile(remote, 50):.2f} ms, p99 {percentile(remote, 99):.2f} ms\n"
        f"predict_fn in process:        p50 {percentile(local, 50):.2f} ms, p99 {percentile(local, 99):.2f} ms\n"
        f"ratio endpoint / in-process: p50 {statistics.median(remote) / statistics.median(local):.2f}x, "
        f"p99 {percentile(remote, 99) / percentile(local, 99):.2f}x\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
