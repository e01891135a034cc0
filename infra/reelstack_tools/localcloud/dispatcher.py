"""The WSGI app on the AWS endpoint: the local cloud's own handlers first (Lambda, SageMaker runtime,
identity, control, Step Functions and EventBridge edges), then the S3 edge for S3 requests, then moto.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.s3_edge import S3Edge, is_s3_request
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, WsgiApp, json_response

log = logging.getLogger(LOG)

Matcher = Callable[[Environ], bool]


class Dispatcher:
    def __init__(self, moto_app: WsgiApp, s3_edge: S3Edge) -> None:
        self._moto = moto_app
        self._s3_edge = s3_edge
        self._routes: list[tuple[Matcher, WsgiApp]] = []

    @property
    def moto_app(self) -> WsgiApp:
        return self._moto

    def mount(self, matches: Matcher, app: WsgiApp) -> None:
        self._routes.append((matches, app))

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        for matches, app in self._routes:
            if matches(environ):
                try:
                    return app(environ, start_response)
                except Exception as error:
                    log.exception(
                        "local cloud handler failed on %s %s",
                        environ.get("REQUEST_METHOD"),
                        environ.get("PATH_INFO"),
                    )
                    return json_response(
                        start_response, 500, {"__type": "ServiceException", "message": str(error)}
                    )
        if is_s3_request(environ):
            return self._s3_edge(environ, start_response)
        return self._moto(environ, start_response)
