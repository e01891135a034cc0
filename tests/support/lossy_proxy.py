"""A loopback TCP proxy in front of a server that can lose one answer: the request reaches the server
and runs there, then the proxy closes the client's connection instead of passing the reply on -- what
a read timeout or a dropped connection looks like to a client after the server did the work."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class LossyProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lose_reply_to: bytes | None = None
        self.lost = 0
        self._guard = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_reply_to(self, command: bytes) -> None:
        """The next reply to a request containing `command` (e.g. b"EVALSHA") is lost."""
        with self._guard:
            self._lose_reply_to = command

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            pending = threading.Event()  # the last request was the one whose reply is to be lost
            threading.Thread(target=self._requests, args=(client, server, pending), daemon=True).start()
            threading.Thread(target=self._replies, args=(server, client, pending), daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket, pending: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self._guard:
                    if self._lose_reply_to is not None and self._lose_reply_to in data:
                        self._lose_reply_to = None
                        pending.set()
                server.sendall(data)
        _close(client, server)

    def _replies(self, server: socket.socket, client: socket.socket, pending: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if pending.is_set():
                    self.lost += 1
                    break
                client.sendall(data)
        _close(client, server)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@contextlib.contextmanager
def lossy_proxy(host: str, port: int) -> Iterator[LossyProxy]:
    proxy = LossyProxy((host, port))
    try:
        yield proxy
    finally:
        proxy.close()
