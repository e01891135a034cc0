"""Child processes of the local cloud (redis-server, the search node) that die with it, and free ports.

PR_SET_PDEATHSIG sends the child a signal when the *thread* that forked it ends, so a child forked
off the main thread (a control request, a background start) is forked from a keeper thread that
lives exactly as long as the child (it waits on it)."""

from __future__ import annotations

import contextlib
import ctypes
import queue
import socket
import subprocess
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def die_with_parent(signal_number: int) -> Callable[[], None]:
    """A `preexec_fn`: in the child, `signal_number` arrives when the forking thread or process dies,
    even by SIGKILL (Linux)."""

    def arm() -> None:
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal_number)

    return arm


def spawn_kept(popen: Callable[[], subprocess.Popen[bytes]], name: str) -> subprocess.Popen[bytes]:
    """`popen()` on the main thread, else on a keeper thread named `name` that waits on the child."""
    if threading.current_thread() is threading.main_thread():
        return popen()
    spawned: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue(maxsize=1)

    def keep() -> None:
        try:
            process = popen()
        except BaseException as exc:  # handed to the caller
            spawned.put(exc)
            return
        spawned.put(process)
        process.wait()

    threading.Thread(target=keep, name=name, daemon=True).start()
    result = spawned.get()
    if isinstance(result, BaseException):
        raise result
    return result
