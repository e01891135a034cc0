"""`reelstack search health` against the real node: found through a local cloud's cloud.json, through
SEARCH_ENDPOINT, or named with --endpoint; exit 1 when the engine is unreachable, 2 when there is no
endpoint to ask."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack_tools.cli import main
from reelstack_tools.localcloud import cloudfile
from reelstack_tools.localcloud.child_process import free_port
from reelstack_tools.localcloud.search_node import SearchNode

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _no_endpoint_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEARCH_ENDPOINT", raising=False)


def test_health_of_the_local_clouds_node(
    search_node: SearchNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a running local cloud's cloud.json naming the node WHEN `search health --state-dir` runs
    THEN it prints the node, green and 100% active shards, and exits 0."""
    cloudfile.write(tmp_path, {"ready": True, "search_url": search_node.url})

    code = main(["search", "health", "--state-dir", str(tmp_path)])

    assert code == 0
    assert capsys.readouterr().out == f"search {search_node.url}: status green, active shards 100.0%\n"


def test_health_from_the_environment_or_a_named_endpoint(
    search_node: SearchNode,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN SEARCH_ENDPOINT (as a function has it), or --endpoint WHEN `search health` runs
    THEN it asks that endpoint and exits 0."""
    assert main(["search", "health", "--endpoint", search_node.url]) == 0
    monkeypatch.setenv("SEARCH_ENDPOINT", search_node.url)
    monkeypatch.setenv("REELSTACK_LOCAL", "1")
    assert main(["search", "health", "--state-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("status green") == 2


def test_an_unreachable_engine_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a closed port WHEN `search health` asks it THEN it says unreachable and exits 1."""
    closed = f"http://127.0.0.1:{free_port('127.0.0.1')}"

    assert main(["search", "health", "--endpoint", closed, "--timeout", "1"]) == 1
    assert "unreachable" in capsys.readouterr().err


def test_nothing_to_ask_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN no endpoint, no SEARCH_ENDPOINT and no local cloud (or one without a node)
    WHEN `search health` runs THEN it says so and exits 2."""
    assert main(["search", "health", "--state-dir", str(tmp_path / "none")]) == 2
    cloudfile.write(tmp_path, {"ready": True})
    assert main(["search", "health", "--state-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no running local cloud" in err and "runs no search node" in err
