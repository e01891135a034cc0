"""The StartExecution edge in front of a stand-in for moto (no sockets)."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.sfn_edge import StepFunctionsEdge


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b'{"input": "{}"}'])
def test_a_request_the_edge_cannot_use_goes_to_moto_unchanged(body: bytes) -> None:
    # GIVEN the edge in front of a stand-in for moto
    seen: list[bytes] = []

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("400 Bad Request", [])
        return [b'{"__type": "ValidationException"}']

    edge = StepFunctionsEdge(moto, clients=None)  # type: ignore[arg-type]
    environ = EnvironBuilder(method="POST", data=body).get_environ()
    # WHEN a body that is not a JSON object, or lacks a machine and a name, arrives
    status: list[str] = []
    answer = b"".join(edge(environ, lambda line, headers, exc_info=None: status.append(line)))
    # THEN moto answers it (the edge does not fail with a 500)
    assert (seen, status, answer) == ([body], ["400 Bad Request"], b'{"__type": "ValidationException"}')
