"""The nightly profile run on the local cloud: the profiles state machine runs the Spark job through
EMR Serverless (local mode), loads its output into DynamoDB, Redis and OpenSearch under the run's
version and switches readers over in one step; a run that fails half-way, or whose output collapsed,
leaves the previous version serving."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from reelstack.adapters.distribution.interest_cache import InterestCache
from reelstack.adapters.distribution.interest_table import InterestTable
from reelstack.adapters.engagement.lake_files import parquet_bytes
from reelstack.domain.engagement.interactions import Interaction, VideoFacts
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

AS_OF = "2026-11-20"
CATS = VideoFacts("ann", ("cats",), 10_000, datetime(2026, 11, 1, tzinfo=UTC), "h264")
CARS = VideoFacts("bob", ("cars",), 10_000, datetime(2026, 11, 1, tzinfo=UTC), "h264")


def _events() -> list[Interaction]:
    events = []
    for index, (user, video, facts) in enumerate(
        [
            ("ua", "vc1", CATS),
            ("ua", "vc2", CATS),
            ("ub", "vc1", CATS),
            ("ub", "vc2", CATS),
            ("uc", "vk1", CARS),
        ]
    ):
        when = datetime(2026, 11, 19, 10, index, tzinfo=UTC)
        events.append(
            Interaction(
                f"play:{user}:{video}:{index}",
                "play",
                user,
                when,
                video_id=video,
                watched_ms=10_000,
                video=facts,
            )
        )
    return events


@pytest.fixture(scope="module")
def stores(cloud_sdk_environment: Any) -> tuple[InterestCache, InterestTable]:
    cloud = cloud_sdk_environment
    cache = InterestCache(cloud.redis_url, cluster=True, timeout_s=5)
    table = InterestTable(cloud.name("InterestsTable"), client=cloud.client("dynamodb"))
    return cache, table


@pytest.fixture(scope="module")
def logged(cloud_sdk_environment: Any, cloud_s3: Any) -> str:
    bucket = str(cloud_sdk_environment.name("LakeBucket"))
    cloud_s3.put_object(
        Bucket=bucket,
        Key="lake/interactions/v1/dt=2026-11-19/test-batch.parquet",
        Body=parquet_bytes(_events()),
    )
    return bucket


def _run(cloud: Any, cloud_sfn: Any, as_of: str) -> dict[str, Any]:
    machine = cloud.arn("ProfilesStateMachine")
    started = cloud_sfn.start_execution(
        stateMachineArn=machine, name=f"test-{uuid.uuid4().hex[:10]}", input=json.dumps({"as_of": as_of})
    )

    def ended() -> dict[str, Any] | None:
        described: dict[str, Any] = cloud_sfn.describe_execution(executionArn=started["executionArn"])
        return described if described["status"] != "RUNNING" else None

    return wait_for(ended, timeout=240, interval=1.0)


def _failed_state(cloud_sfn: Any, execution: dict[str, Any]) -> str:
    events = cloud_sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)[
        "events"
    ]
    caught = [e["taskFailedEventDetails"]["cause"] for e in events if e["type"] == "TaskFailed"]
    return " ".join(caught)


def test_a_run_loads_every_store_then_switches_and_a_failed_run_switches_nothing(
    cloud_sdk_environment: Any,
    cloud_sfn: Any,
    logged: str,
    stores: tuple[InterestCache, InterestTable],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud = cloud_sdk_environment
    cache, table = stores
    # GIVEN a day of logged plays WHEN the nightly run runs for it
    first = _run(cloud, cloud_sfn, AS_OF)
    # THEN it succeeds and readers are pointed at its version in Redis and DynamoDB
    assert first["status"] == "SUCCEEDED", _failed_state(cloud_sfn, first)
    version = cache.current()
    assert version is not None and table.serving() is not None and table.serving().version == version  # type: ignore[union-attr]
    # AND the viewers' interests and the videos' neighbours are there, the same in both stores
    ua = cache.profile(version, "ua")
    assert ua is not None and [tag for tag, _ in ua.tags] == ["cats"]
    assert table.profile(version, "ua") == ua
    neighbours = cache.neighbours(version, "vc1")
    assert neighbours is not None and [item[0] for item in neighbours.items] == ["vc2"]
    # AND the profiles index has them at that version
    with urllib.request.urlopen(f"{cloud.search_url}/profiles/_doc/ua", timeout=10) as answer:
        document = json.loads(answer.read())["_source"]
    assert document["version"] == version and "cats" in document["tag_weights"]
    # AND the lake's lasting daily stats hold the logged day (what roi train --lake reads)
    from reelstack_tools.roi_lake import stats_keys

    days = {day.isoformat() for day, _ in stats_keys(cloud.client("s3"), cloud.name("LakeBucket"))}
    assert "2026-11-19" in days

    # AND `reelstack rank train --platform` trains the ranker on that run's examples as a SageMaker
    # training job (the platform's own data)
    from reelstack_tools.cli import main as reelstack

    assert (
        reelstack(["rank", "train", "--platform", "--epochs", "1", "--state-dir", str(cloud.state_dir)]) == 0
    )
    said = capsys.readouterr().out
    assert f"(the run of {AS_OF})" in said and "/examples/" in said
    model_data = said.split("): ", 1)[1].split(" in ", 1)[0]
    key = model_data.split(f"{logged}/", 1)[1]
    archive = cloud.client("s3").get_object(Bucket=logged, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as packed:
        assert {"model.npz", "meta.json"} <= set(packed.getnames())
        meta = json.loads(packed.extractfile("meta.json").read())  # type: ignore[union-attr]
    assert meta["kind"] == "deepfm" and meta["examples"] == 5
    # AND from then on the nightly run trains the ranker itself, after its switch, with that code
    nightly = _run(cloud, cloud_sfn, AS_OF)
    assert nightly["status"] == "SUCCEEDED", _failed_state(cloud_sfn, nightly)
    trained_at_night = json.loads(nightly["output"])["trained"]
    assert trained_at_night["model_data"].endswith("/output/model.tar.gz")
    version = cache.current()
    assert version is not None
    ua = cache.profile(version, "ua")

    # WHEN a later run fails half-way (the search node is down while its parts load)
    cloud.stop_search()
    try:
        failed = _run(cloud, cloud_sfn, AS_OF)
    finally:
        cloud.start_search()
    # THEN the execution fails and the previous version still serves, whole
    assert failed["status"] == "FAILED" and failed["error"] == "ProfileRunFailed"
    assert cache.current() == version and table.serving().version == version  # type: ignore[union-attr]
    assert cache.profile(version, "ua") == ua

    # WHEN a run's output collapsed (a day with no events: every profile gone)
    collapsed = _run(cloud, cloud_sfn, "2026-10-01")
    # THEN the switch refuses it and the previous version still serves
    assert collapsed["status"] == "FAILED"
    assert "fewer than 50%" in _failed_state(cloud_sfn, collapsed)
    assert cache.current() == version
