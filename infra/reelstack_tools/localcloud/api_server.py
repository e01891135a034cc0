"""API Gateway (REST, Lambda proxy) on loopback: the template's routes, its CORS preflight, its Cognito
authorizer (checked against the local issuer), a 10 MB payload limit, and the function behind each
route run through the local Lambda runtime. On the same port, what is not the API's: the sites mounted
beside it (the web app's files, the local issuer's sign-in pages), each asked `matches(environ)` first.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt

from reelstack_tools.localcloud.api_proxy import (
    HttpRequest,
    MalformedProxyResponse,
    http_response,
    proxy_event,
)
from reelstack_tools.localcloud.api_routes import ApiSettings, MethodNotAllowed, Route, RouteTable
from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.runtime import LambdaRuntime
from reelstack_tools.localcloud.wsgi import (
    Environ,
    MountedApp,
    StartResponse,
    content_length,
    json_response,
    read_body,
    request_headers,
    request_path,
    respond,
)
from reelstack_tools.tokens import TokenVerifier

log = logging.getLogger(LOG)

PAYLOAD_LIMIT = 10 * 1024 * 1024
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "upgrade"}


class ApiGateway:
    def __init__(
        self,
        table: RouteTable,
        apis: dict[str, ApiSettings],
        runtime: LambdaRuntime,
        verifier: TokenVerifier | None,
        sites: Sequence[MountedApp] = (),
    ) -> None:
        self.table = table
        self._sites = list(sites)
        self.apis = apis
        self._runtime = runtime
        self._verifier = verifier
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._warned: set[str] = set()

    # -- serving -----------------------------------------------------------------------------------------

    def start(self, host: str, port: int) -> int:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                """No werkzeug access log: requests are logged by the gateway itself."""

        try:
            self._server = make_server(host, port, self, threaded=True, request_handler=QuietHandler)
        except OSError as error:
            raise OSError(f"cannot listen on {host}:{port} for the API: {error}") from error
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="api-gateway", daemon=True
        )
        self._thread.start()
        return int(self._server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- requests ------------------------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        started = time.monotonic()
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_path = request_path(environ)
        status_holder: dict[str, str] = {}

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder["status"] = status
            return start_response(status, headers, exc_info)

        try:
            site = next((site for site in self._sites if site.matches(environ)), None)
            if site is not None:
                return site(environ, start_response)
            answer = self._handle(environ, recording, method, raw_path)
        except Exception:  # e.g. the function is throttled, or the cloud is stopping: API Gateway's 500
            log.exception("API %s %s could not be served", method, raw_path)
            answer = json_response(recording, 500, {"message": "Internal server error"})
        log.info(
            "API %s %s -> %s (%.0f ms)",
            method,
            raw_path,
            status_holder.get("status", "?").split(" ")[0],
            (time.monotonic() - started) * 1000,
        )
        return answer

    def _handle(
        self, environ: Environ, start_response: StartResponse, method: str, raw_path: str
    ) -> Iterable[bytes]:
        if content_length(environ) > PAYLOAD_LIMIT:
            return json_response(
                start_response, 413, {"code": "payload_too_large", "message": "Request Too Large"}
            )
        if method == "OPTIONS" and "OPTIONS" not in self.table.methods_for(raw_path):
            preflight = self._preflight(start_response, raw_path)
            if preflight is not None:
                return preflight
        try:
            match = self.table.match(method, raw_path)
        except MethodNotAllowed as error:
            message = f"{method} is not allowed on {unquote(raw_path)}"
            allow = ", ".join(sorted(error.allowed))
            return json_response(
                start_response, 405, {"code": "method_not_allowed", "message": message}, [("Allow", allow)]
            )
        if match is None:
            return json_response(
                start_response, 404, {"code": "not_found", "message": f"no route for {unquote(raw_path)}"}
            )
        api = self.apis[match.route.api]
        claims, denied = self._authorize(environ, match.route, api)
        if denied:
            return json_response(start_response, 401, {"message": "Unauthorized"})
        body = read_body(environ)
        if len(body) > PAYLOAD_LIMIT:
            return json_response(
                start_response, 413, {"code": "payload_too_large", "message": "Request Too Large"}
            )
        server_port = int(environ.get("SERVER_PORT") or 80)
        request = HttpRequest(
            method=method,
            path=unquote(raw_path),
            headers=request_headers(environ),
            query=parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
            body=body,
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
            host=str(environ.get("HTTP_HOST", "127.0.0.1")),
            port=server_port,
            request_id=str(uuid.uuid4()),
        )
        event = proxy_event(request, match, api, claims)
        result = self._runtime.invoke(match.route.function, json.dumps(event))
        trace = [("x-amzn-RequestId", request.request_id)]
        if result.error_type == "Sandbox.Timedout":
            return json_response(start_response, 504, {"message": "Endpoint request timed out"}, trace)
        if result.error_type:
            return json_response(start_response, 502, {"message": "Internal server error"}, trace)
        try:
            status, headers, payload = http_response(result.json())
        except (MalformedProxyResponse, ValueError) as error:
            log.warning("%s returned a malformed proxy response: %s", match.route.function, error)
            return json_response(start_response, 502, {"message": "Internal server error"}, trace)
        headers = [
            (name, value) for name, value in headers if name.lower() not in _HOP_HEADERS | {"content-length"}
        ]
        return respond(start_response, status, payload, [*headers, *trace])

    def _authorize(
        self, environ: Environ, route: Route, api: ApiSettings
    ) -> tuple[dict[str, Any] | None, bool]:
        """(claims, denied) for this request under the route's authorizer."""
        name = route.authorizer or api.default_authorizer
        if not name or name == "NONE":
            return None, False
        if name not in api.cognito_authorizers:
            if name not in self._warned:
                self._warned.add(name)
                log.warning("authorizer %s is not a Cognito authorizer; not enforced locally", name)
            return None, False
        header_key = "HTTP_" + api.cognito_authorizers[name].upper().replace("-", "_")
        token = str(environ.get(header_key, "")).strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token or self._verifier is None:
            return None, True
        try:
            return self._verifier.verify(token), False
        except jwt.PyJWTError:
            return None, True

    def _preflight(self, start_response: StartResponse, raw_path: str) -> list[bytes] | None:
        routes = self.table.routes_for(raw_path)
        methods = {route.method for route in routes}
        cors = next((self.apis[route.api].cors for route in routes if self.apis[route.api].cors), None)
        if cors is None:
            return None
        allowed = (
            "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
            if "ANY" in methods
            else ",".join(sorted(methods | {"OPTIONS"}))
        )
        headers = [
            ("Access-Control-Allow-Origin", cors.allow_origin),
            ("Access-Control-Allow-Methods", cors.allow_methods or allowed),
        ]
        if cors.allow_headers:
            headers.append(("Access-Control-Allow-Headers", cors.allow_headers))
        if cors.max_age:
            headers.append(("Access-Control-Max-Age", cors.max_age))
        if cors.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return respond(start_response, 200, b"", headers)
