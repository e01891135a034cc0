"""Resume records: what identifies "the same upload", and how records are kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reelstack_tools.uploader.resume import ResumeKey, ResumeRecord, ResumeStore, default_resume_dir

MiB = 1024 * 1024


def make_file(tmp_path: Path, size: int = 1000) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"x" * size)
    return path


def record_for(key: ResumeKey, upload_id: str = "u1") -> ResumeRecord:
    return ResumeRecord(
        key=key,
        upload_id=upload_id,
        video_id="v1",
        api_url="http://127.0.0.1:8000",
        chunk_size=MiB,
        chunk_count=1,
    )


def test_the_key_is_the_absolute_path_size_mtime_and_chunk_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a file named relatively from its directory
    path = make_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    # WHEN keyed relatively and absolutely THEN both name the same upload
    relative = ResumeKey.for_file("clip.mp4", MiB)
    assert relative == ResumeKey.for_file(path, MiB)
    assert relative.path == str(path.resolve())
    assert (relative.size, relative.mtime_ns) == (1000, path.stat().st_mtime_ns)


def test_any_change_of_file_or_chunk_size_gives_another_key(tmp_path: Path) -> None:
    # GIVEN a key for a file
    path = make_file(tmp_path)
    key = ResumeKey.for_file(path, MiB)
    # WHEN the chunk size differs, the file is touched, or it is rewritten with another size
    other_chunk = ResumeKey.for_file(path, 8 * MiB)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = ResumeKey.for_file(path, MiB)
    path.write_bytes(b"y" * 1001)
    resized = ResumeKey.for_file(path, MiB)
    # THEN every variant has its own digest, and the digest is stable for equal keys
    digests = {key.digest(), other_chunk.digest(), touched.digest(), resized.digest()}
    assert len(digests) == 4
    assert key.digest() == ResumeKey(key.path, key.size, key.mtime_ns, key.chunk_size).digest()


def test_a_record_round_trips_and_is_private(tmp_path: Path) -> None:
    # GIVEN a store and a record
    store = ResumeStore(tmp_path / "uploads")
    key = ResumeKey.for_file(make_file(tmp_path), MiB)
    # WHEN saved and loaded
    path = store.save(record_for(key))
    loaded = store.load(key)
    # THEN it comes back equal (with a creation time), owner-only, and deleting it forgets it
    assert loaded is not None
    assert (loaded.upload_id, loaded.video_id, loaded.key) == ("u1", "v1", key)
    assert loaded.created_at > 0
    assert path.stat().st_mode & 0o777 == 0o600
    store.delete(key)
    store.delete(key)  # twice is fine
    assert store.load(key) is None


def test_a_torn_record_is_forgotten(tmp_path: Path) -> None:
    # GIVEN a record file that is not JSON
    store = ResumeStore(tmp_path / "uploads")
    key = ResumeKey.for_file(make_file(tmp_path), MiB)
    store.directory.mkdir(parents=True)
    store.path_for(key).write_text("{not json", encoding="utf-8")
    # WHEN loaded THEN there is no record, and the file is gone
    assert store.load(key) is None
    assert not store.path_for(key).exists()


def test_a_record_written_for_another_key_is_ignored(tmp_path: Path) -> None:
    # GIVEN a record file whose content names another key (a digest collision or a hand-edited file)
    store = ResumeStore(tmp_path / "uploads")
    key = ResumeKey.for_file(make_file(tmp_path), MiB)
    store.save(record_for(key))
    data = json.loads(store.path_for(key).read_text(encoding="utf-8"))
    data["key"]["size"] = 5
    store.path_for(key).write_text(json.dumps(data), encoding="utf-8")
    # WHEN loaded THEN it is not taken for this file
    assert store.load(key) is None


def test_records_live_under_the_state_dir_when_set_else_home() -> None:
    # GIVEN REELSTACK_STATE_DIR set or not WHEN the default directory is asked THEN it follows the variable
    assert default_resume_dir({"REELSTACK_STATE_DIR": "/tmp/rs"}) == Path("/tmp/rs/uploads")
    assert default_resume_dir({}) == Path.home() / ".reelstack" / "uploads"
