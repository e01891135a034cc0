"""`reelstack upload` argument handling and the resume hint (no network)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from reelstack_tools.uploader import command
from reelstack_tools.uploader.transfer import plan_batches

MiB = 1024 * 1024


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reelstack upload")
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_and_parsed_values() -> None:
    # GIVEN the documented flags WHEN parsed THEN sizes are bytes and tags a clean list
    args = parse("clip.mp4", "--title", "T", "--tags", "a, b,,c", "--chunk-size", "1MiB", "--parallel", "2")
    assert (args.file, args.title, args.tags, args.chunk_size, args.parallel) == (
        Path("clip.mp4"),
        "T",
        ["a", "b", "c"],
        MiB,
        2,
    )
    defaults = parse("clip.mp4")
    assert (defaults.chunk_size, defaults.parallel, defaults.sha256, defaults.quiet, defaults.json) == (
        8 * MiB,
        4,
        None,
        False,
        False,
    )
    assert parse("clip.mp4", "--no-sha256").sha256 is False


@pytest.mark.parametrize(
    "argv",
    [
        ["clip.mp4", "--chunk-size", "lots"],
        ["clip.mp4", "--chunk-size", "0"],
        ["clip.mp4", "--parallel", "0"],
        ["clip.mp4", "--token", "t", "--user", "alice"],
    ],
)
def test_bad_flags_are_usage_errors(argv: list[str]) -> None:
    # GIVEN a bad or contradictory flag WHEN parsed THEN argparse exits with status 2
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2


def test_the_resume_hint_repeats_the_command_but_never_the_token() -> None:
    # GIVEN an upload started with a token and odd characters in the title
    args = parse(
        "my clip.mp4", "--title", "it's fun", "--tags", "a,b", "--chunk-size", "1MiB", "--token", "SECRET.JWT"
    )
    # WHEN the hint is built THEN it has the same file, title, tags and chunk size, and no token value
    hint = command.resume_hint(args)
    assert hint.startswith("reelstack upload 'my clip.mp4' --title ")
    assert "--chunk-size 1MiB" in hint and "--tags a,b" in hint
    assert "SECRET" not in hint and "--token <JWT>" in hint


def test_a_user_hint_keeps_the_user() -> None:
    assert "--user alice" in command.resume_hint(parse("clip.mp4", "--user", "alice"))


def test_presign_batches_start_small_then_grow() -> None:
    # GIVEN 250 parts WHEN batched with a first batch of 4 and then 100 THEN batches cover every part once, in order
    batches = list(plan_batches(list(range(1, 251)), first=4, size=100))
    assert [len(b) for b in batches] == [4, 100, 100, 46]
    assert [p for b in batches for p in b] == list(range(1, 251))
