"""The AWS endpoint's server object on its own, in-process."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.integration


def test_an_endpoint_that_never_started_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from reelstack_tools.localcloud.moto_server import MotoServer

    monkeypatch.delenv("MOTO_PORT", raising=False)  # MotoServer exports its port; restore ours afterwards
    # GIVEN an endpoint bound to a port but never started (start-up failed in between)
    server = MotoServer("127.0.0.1", 0)
    # WHEN it is stopped
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=60)  # a hang is what this catches, not a slow stop on a loaded machine
    # THEN stop returns (it does not wait forever for a serve loop that never ran)
    assert not stopper.is_alive()
