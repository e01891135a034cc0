"""moto in server mode, in-process, behind the dispatcher, on one loopback port.

moto's Step Functions engine calls Lambda at `http://localhost:$MOTO_PORT`, so the port is exported to
this process's environment as soon as it is bound, before any state machine runs.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from typing import Any

from reelstack_tools.localcloud import moto_patches
from reelstack_tools.localcloud.dispatcher import Dispatcher
from reelstack_tools.localcloud.local_env import ACCESS_KEY_ID, SECRET_ACCESS_KEY
from reelstack_tools.localcloud.s3_edge import S3Edge

RESTORE_SECONDS = 3


class MotoServer:
    def __init__(self, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                """No access log: the cloud logs what matters."""

        moto_patches.install()
        moto_app = DomainDispatcherApplication(create_backend_app)
        self.dispatcher = Dispatcher(moto_app, S3Edge(moto_app, {ACCESS_KEY_ID: SECRET_ACCESS_KEY}))
        try:
            self._server: Any = make_server(
                host, port, self.dispatcher, threaded=True, request_handler=QuietHandler
            )
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port} for the AWS endpoint: {error}") from error
        self.port = int(self._server.server_port)
        os.environ["MOTO_PORT"] = str(self.port)
        self._thread: threading.Thread | None = None

    def start(self, endpoint: str) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="aws-endpoint", daemon=True
        )
        self._thread.start()
        config = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
        request = urllib.request.Request(f"{endpoint}/moto-api/config", data=config, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        # A Glacier restore takes RESTORE_SECONDS here (minutes to hours in AWS; moto's default is
        # instant), so a cold video shows RESTORING before it plays again.
        transition = {
            "model_name": "s3::keyrestore",
            "transition": {"progression": "time", "seconds": RESTORE_SECONDS},
        }
        request = urllib.request.Request(
            f"{endpoint}/moto-api/state-manager/set-transition",
            data=json.dumps(transition).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def stop(self) -> None:
        """Stop serving and close the socket; safe before `start` (shutdown() alone would wait forever)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
