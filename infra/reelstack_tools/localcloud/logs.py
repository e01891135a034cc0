"""Where function logs go: `<state_dir>/logs/<function>.log`, and the console of `reelstack up`."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TextIO

from reelstack_tools.localcloud.local_env import LOG

console = logging.getLogger(f"{LOG}.functions")


class FunctionLogs:
    """A line sink per function; thread-safe. After `close`, lines still reach the console (a worker's last
    words may arrive while the cloud stops) but no file is opened again."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()
        self._closed = False

    def path(self, function: str) -> Path:
        return self.log_dir / f"{function}.log"

    def write(self, function: str, line: str) -> None:
        line = line.rstrip("\n")
        with self._lock:
            if not self._closed:
                stream = self._files.get(function)
                if stream is None:
                    stream = self._files[function] = self.path(function).open("a", encoding="utf-8")
                stream.write(line + "\n")
                stream.flush()
        console.info("[%s] %s", function, line)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for stream in self._files.values():
                stream.close()
            self._files.clear()
