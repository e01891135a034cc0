"""Chunk planning, reading and checksums (pure: files on disk only)."""

from __future__ import annotations

import base64
import hashlib
import os
import random
from pathlib import Path

import pytest

from reelstack_tools.uploader.chunks import ChecksumBook, ChunkPlan, ChunkReader, b64_sha256, digest_parts
from reelstack_tools.uploader.errors import FileChanged

MiB = 1024 * 1024


def make_file(tmp_path: Path, size: int, seed: int = 1) -> tuple[Path, bytes]:
    data = random.Random(seed).randbytes(size)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize(
    ("size", "chunk", "count", "last"),
    [
        (int(3.5 * MiB), MiB, 4, MiB // 2),
        (17 * MiB, 8 * MiB, 3, MiB),
        (16 * MiB, 8 * MiB, 2, 8 * MiB),
        (10, MiB, 1, 10),
    ],
)
def test_a_plan_splits_a_file_into_full_chunks_and_a_shorter_last_one(
    size: int, chunk: int, count: int, last: int
) -> None:
    # GIVEN a file size and a chunk size WHEN planned
    plan = ChunkPlan(size, chunk)
    # THEN the count, the spans and their total match the file
    assert plan.chunk_count == count
    assert list(plan.parts()) == list(range(1, count + 1))
    assert plan.span(1) == (0, min(chunk, size))
    assert plan.span(count) == ((count - 1) * chunk, last)
    assert plan.bytes_in(plan.parts()) == size
    assert plan.largest_chunk == min(chunk, size)


def test_spans_outside_the_plan_and_bad_chunk_sizes_are_refused() -> None:
    # GIVEN a 3-chunk plan WHEN asked for part 0 or 4, or built with a zero chunk size THEN ValueError
    plan = ChunkPlan(3 * MiB, MiB)
    with pytest.raises(ValueError):
        plan.span(0)
    with pytest.raises(ValueError):
        plan.span(4)
    with pytest.raises(ValueError):
        ChunkPlan(10, 0)


def test_bytes_in_counts_each_part_once() -> None:
    # GIVEN repeated part numbers WHEN their bytes are counted THEN each counts once
    assert ChunkPlan(int(2.5 * MiB), MiB).bytes_in([3, 3, 1]) == MiB + MiB // 2


def test_the_reader_fills_a_buffer_with_the_chunk_at_its_offset(tmp_path: Path) -> None:
    # GIVEN a file and a reusable chunk buffer
    path, data = make_file(tmp_path, int(2.5 * MiB))
    plan = ChunkPlan(len(data), MiB)
    buffer = memoryview(bytearray(plan.largest_chunk))
    with ChunkReader(path) as reader:
        for part in plan.parts():
            offset, length = plan.span(part)
            # WHEN each chunk is read into the buffer
            reader.read_into(buffer[:length], offset)
            # THEN the buffer holds exactly that chunk
            assert bytes(buffer[:length]) == data[offset : offset + length]


def test_a_file_that_shrank_is_reported_as_changed(tmp_path: Path) -> None:
    # GIVEN a plan made for 2 MiB, and the file then truncated to 1.5 MiB
    path, _ = make_file(tmp_path, 2 * MiB)
    plan = ChunkPlan(2 * MiB, MiB)
    os.truncate(path, MiB + MiB // 2)
    # WHEN the second chunk is read THEN FileChanged says so
    with ChunkReader(path) as reader, pytest.raises(FileChanged, match="changed"):
        reader.read_into(memoryview(bytearray(MiB)), plan.span(2)[0])


def test_chunk_checksums_are_base64_sha256() -> None:
    # GIVEN bytes WHEN checksummed THEN the value is what S3 expects in x-amz-checksum-sha256
    assert b64_sha256(b"abc") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    assert b64_sha256(memoryview(b"abc")) == base64.b64encode(hashlib.sha256(b"abc").digest()).decode()


def test_one_pass_yields_every_chunk_checksum_and_the_whole_file_digest(tmp_path: Path) -> None:
    # GIVEN a 3.3 MiB file, 1 MiB chunks, and a hashing block smaller than a chunk
    path, data = make_file(tmp_path, int(3.3 * MiB))
    plan = ChunkPlan(len(data), MiB)
    seen: list[int] = []
    with ChunkReader(path) as reader:
        # WHEN it is hashed in one pass
        digests = digest_parts(
            reader, plan, list(plan.parts()), whole_file=True, block_size=300 * 1024, on_bytes=seen.append
        )
    # THEN the chunk checksums and the hex file digest match hashlib, and progress saw every byte
    assert digests is not None
    assert digests.sha256_hex == hashlib.sha256(data).hexdigest()
    for part in plan.parts():
        offset, length = plan.span(part)
        assert digests.checksums[part] == b64_sha256(data[offset : offset + length])
    assert sum(seen) == len(data)


def test_a_pass_over_some_chunks_hashes_only_those(tmp_path: Path) -> None:
    # GIVEN a 4-chunk file WHEN only chunks 2 and 4 are hashed THEN only they have checksums, and no file digest
    path, data = make_file(tmp_path, 4 * MiB)
    plan = ChunkPlan(len(data), MiB)
    with ChunkReader(path) as reader:
        digests = digest_parts(reader, plan, [2, 4])
    assert digests is not None
    assert sorted(digests.checksums) == [2, 4]
    assert digests.checksums[4] == b64_sha256(data[3 * MiB :])
    assert digests.sha256_hex is None


def test_a_whole_file_pass_needs_every_part_in_order(tmp_path: Path) -> None:
    # GIVEN a 2-chunk file WHEN a whole-file digest is asked over part 2 only THEN ValueError
    path, _ = make_file(tmp_path, 2 * MiB)
    with ChunkReader(path) as reader, pytest.raises(ValueError):
        digest_parts(reader, ChunkPlan(2 * MiB, MiB), [2], whole_file=True)


def test_a_stopped_pass_returns_nothing(tmp_path: Path) -> None:
    # GIVEN a stop check that is already true WHEN hashing starts THEN the pass gives up at once
    path, _ = make_file(tmp_path, 2 * MiB)
    with ChunkReader(path) as reader:
        assert digest_parts(reader, ChunkPlan(2 * MiB, MiB), [1, 2], should_stop=lambda: True) is None


def test_the_checksum_book_computes_only_what_it_does_not_know(tmp_path: Path) -> None:
    # GIVEN a book that already knows chunk 1 (deliberately wrong, to prove it is not recomputed)
    path, data = make_file(tmp_path, 3 * MiB)
    plan = ChunkPlan(len(data), MiB)
    with ChunkReader(path) as reader:
        book = ChecksumBook(reader, plan, {1: "known"})
        # WHEN chunks 1..3 are ensured
        assert book.ensure([1, 2, 3])
    # THEN chunk 1 keeps its value and 2, 3 are computed
    assert book[1] == "known"
    assert book[2] == b64_sha256(data[MiB : 2 * MiB])
    assert 3 in book and 4 not in book
