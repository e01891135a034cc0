"""Size parsing for --chunk-size and friends."""

from __future__ import annotations

import pytest

from reelstack_tools.uploader.sizes import GiB, KiB, MiB, format_size, parse_size, size_flag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1MiB", MiB),
        ("8MiB", 8 * MiB),
        ("512KiB", 512 * KiB),
        ("1048576", MiB),
        ("1.5GiB", GiB + GiB // 2),
        ("8 mib", 8 * MiB),
        ("4M", 4 * MiB),
        ("256k", 256 * KiB),
        ("5MB", 5_000_000),
        ("1kB", 1000),
        ("10B", 10),
        (" 2MiB ", 2 * MiB),
        (4096, 4096),
    ],
)
def test_sizes_people_type_are_parsed_to_bytes(text: str | int, expected: int) -> None:
    # GIVEN a size as typed WHEN it is parsed THEN it is the number of bytes it names
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MiB", "-1MiB", "1 furlong", "1.5B", "0.1KiB", "1e6", "8MiB8"])
def test_nonsense_sizes_are_refused_with_a_hint(text: str) -> None:
    # GIVEN something that is not a whole number of bytes WHEN parsed THEN ValueError explains why
    with pytest.raises(ValueError):
        parse_size(text)


def test_negative_and_boolean_integers_are_refused() -> None:
    # GIVEN integers that are not sizes WHEN parsed THEN they are refused
    with pytest.raises(ValueError):
        parse_size(-1)
    with pytest.raises(ValueError):
        parse_size(True)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (8 * MiB, "8.0 MiB"), (3 * GiB, "3.0 GiB")],
)
def test_sizes_are_formatted_in_binary_units(size: int, text: str) -> None:
    # GIVEN a byte count WHEN formatted THEN it reads in the largest sensible binary unit
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("size", "flag"), [(MiB, "1MiB"), (8 * MiB, "8MiB"), (512 * KiB, "512KiB"), (GiB, "1GiB"), (1000, "1000")]
)
def test_size_flags_read_back_exactly(size: int, flag: str) -> None:
    # GIVEN a chunk size WHEN spelled for a resume hint THEN it is short and parses back to the same bytes
    assert size_flag(size) == flag
    assert parse_size(flag) == size
