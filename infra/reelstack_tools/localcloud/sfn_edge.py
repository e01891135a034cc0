"""Step Functions StartExecution with AWS's name semantics, in front of moto.

AWS (Standard workflows): a second StartExecution with an existing name returns the original
execution when that one is still RUNNING with the same input, and fails with 400
`ExecutionAlreadyExists` otherwise. Starts are serialised per state machine, so two duplicate events
arriving together cannot both start a run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.wsgi import Environ, JsonTargetEdge, StartResponse, WsgiApp, json_response

TARGET = "AWSStepFunctions.StartExecution"


class StepFunctionsEdge(JsonTargetEdge):
    TARGET = TARGET

    def __init__(self, moto: WsgiApp, clients: Clients) -> None:
        super().__init__(moto)
        self._clients = clients
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def handle(
        self, request: dict[str, Any], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        machine, name = request.get("stateMachineArn"), request.get("name")
        if not machine or not name:
            return self.moto(environ, start_response)
        with self._lock_for(str(machine)):
            existing = self._existing(str(machine), str(name))
            if existing is not None:
                same_input = existing.get("input", "{}") == request.get("input", "{}")
                if existing["status"] == "RUNNING" and same_input:
                    answer = {
                        "executionArn": existing["executionArn"],
                        "startDate": existing["startDate"].timestamp(),
                    }
                    return json_response(start_response, 200, answer)
                message = f"Execution Already Exists: '{existing['executionArn']}'"
                error = {"__type": "ExecutionAlreadyExists", "message": message}
                return json_response(
                    start_response, 400, error, [("x-amzn-ErrorType", "ExecutionAlreadyExists")]
                )
            return list(self.moto(environ, start_response))

    def _lock_for(self, machine: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(machine, threading.Lock())

    def _existing(self, machine: str, name: str) -> dict[str, Any] | None:
        client = self._clients.get("stepfunctions")
        try:
            for page in client.get_paginator("list_executions").paginate(stateMachineArn=machine):
                for execution in page["executions"]:
                    if execution["name"] == name:
                        described: dict[str, Any] = client.describe_execution(
                            executionArn=execution["executionArn"]
                        )
                        return described
        except ClientError:
            return None  # unknown state machine: let moto answer
        return None
