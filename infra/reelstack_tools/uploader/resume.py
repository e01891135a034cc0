"""Resume records: a small JSON file per (file path, size, mtime, chunk size) naming the open upload session.

They live in ``$REELSTACK_STATE_DIR/uploads/`` when that variable is set, else ``~/.reelstack/uploads/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


def default_resume_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    state_dir = env.get("REELSTACK_STATE_DIR")
    if state_dir:
        return Path(state_dir) / "uploads"
    return Path.home() / ".reelstack" / "uploads"


@dataclass(frozen=True)
class ResumeKey:
    """Identifies "the same upload": same file (absolute path), same size and mtime, same chunk size."""

    path: str
    size: int
    mtime_ns: int
    chunk_size: int

    @classmethod
    def for_file(cls, path: str | os.PathLike[str], chunk_size: int) -> ResumeKey:
        absolute = Path(path).expanduser().resolve()
        stat = absolute.stat()
        return cls(str(absolute), stat.st_size, stat.st_mtime_ns, chunk_size)

    def digest(self) -> str:
        raw = json.dumps([self.path, self.size, self.mtime_ns, self.chunk_size]).encode("utf-8")
        return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True)
class ResumeRecord:
    key: ResumeKey
    upload_id: str
    video_id: str
    api_url: str
    chunk_size: int
    chunk_count: int
    mode: str = ""
    sha256: str | None = None
    created_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResumeRecord:
        key = data["key"]
        return cls(
            key=ResumeKey(str(key["path"]), int(key["size"]), int(key["mtime_ns"]), int(key["chunk_size"])),
            upload_id=str(data["upload_id"]),
            video_id=str(data["video_id"]),
            api_url=str(data["api_url"]),
            chunk_size=int(data["chunk_size"]),
            chunk_count=int(data["chunk_count"]),
            mode=str(data.get("mode", "")),
            sha256=str(data["sha256"]) if data.get("sha256") else None,
            created_at=float(data.get("created_at", 0.0)),
        )


class ResumeStore:
    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_resume_dir()

    def path_for(self, key: ResumeKey) -> Path:
        return self.directory / f"{key.digest()}.json"

    def load(self, key: ResumeKey) -> ResumeRecord | None:
        """The record for ``key``; ``None`` when absent, unreadable, or written for another key."""
        path = self.path_for(key)
        try:
            record = ResumeRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.delete(key)  # a torn or foreign file: forget it rather than fail every run
            return None
        return record if record.key == key else None

    def save(self, record: ResumeRecord) -> Path:
        """Write atomically (temp file + rename), readable by the owner only."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(record.key)
        data = record.to_json()
        data["created_at"] = record.created_at or time.time()
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(temp, path)
        return path

    def delete(self, key: ResumeKey) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_for(key).unlink()
