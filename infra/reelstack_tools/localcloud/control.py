"""The local cloud's own control API under `/_localcloud/` on the AWS endpoint, for tests and tools
that run the cloud as a separate process:

- `GET  /_localcloud/health`                      `{"status": "ok", "ready": bool}`
- `GET  /_localcloud/info`                        the content of cloud.json
- `GET  /_localcloud/functions`                   `{"functions": {name: {"workers": [pid], "busy": [pid]}}}`
- `POST /_localcloud/functions/<name>/kill`       SIGKILL one worker (a busy one first): `{"killed": pid|null}`
- `GET  /_localcloud/schedules`                   the schedules the template declares
- `POST /_localcloud/schedules/<name>/fire[?wait=true]`  fire now; with wait, function results included
- `GET  /_localcloud/redis`                        `{"running": bool, "url": ...}` (the ElastiCache stand-in)
- `POST /_localcloud/redis/stop`                   stop redis-server (SIGTERM, then SIGKILL): `{"redis": "stopped"}`
- `POST /_localcloud/redis/start`                  start it again on the same port (functions keep their
                                                  REDIS_URL), empty as after an ElastiCache node restart:
                                                  `{"redis": "running", "url": ...}`; a no-op when running
- `GET  /_localcloud/search`                       `{"running": bool, "url": ...}` (the OpenSearch domain's node)
- `POST /_localcloud/search/stop`                  stop the node (SIGTERM, then SIGKILL): `{"search": "stopped"}`
- `POST /_localcloud/search/start`                 start it again on the same port with the same data (indices
                                                  survive a restart); answers once it is green:
                                                  `{"search": "running", "url": ...}`; a no-op when running
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from reelstack_tools.localcloud.redis_server import RedisUnavailable
from reelstack_tools.localcloud.runtime import FunctionNotFound, LambdaRuntime
from reelstack_tools.localcloud.scheduler import Scheduler, UnknownSchedule
from reelstack_tools.localcloud.search_build import SearchNodeUnavailable
from reelstack_tools.localcloud.wsgi import Environ, StartResponse, json_response

PREFIX = "/_localcloud/"
_KILL = re.compile(r"^functions/(?P<name>[^/]+)/kill$")
_FIRE = re.compile(r"^schedules/(?P<name>[^/]+)/fire$")
# Disabling a function's SQS event sources, as UpdateEventSourceMapping(Enabled=false) would: a stalled
# worker, for the real-time lag tests. Messages wait in the queue and are delivered once resumed.
_SOURCES = re.compile(r"^functions/(?P<name>[^/]+)/sources/(?P<action>pause|resume)$")


class RedisControl(Protocol):
    """The cloud's redis-server, as the control API stops and starts it."""

    @property
    def redis_url(self) -> str: ...
    def redis_running(self) -> bool: ...
    def stop_redis(self) -> None: ...
    def start_redis(self) -> None: ...


class SearchControl(Protocol):
    """The cloud's search node, as the control API stops and starts it."""

    @property
    def search_url(self) -> str | None: ...
    def search_running(self) -> bool: ...
    def stop_search(self) -> None: ...
    def start_search(self) -> None: ...


class PausableSource(Protocol):
    """An event source of a function (an SQS poller) that can be paused and resumed."""

    @property
    def function(self) -> str: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class ControlApi:
    def __init__(
        self,
        info: Callable[[], dict[str, Any]],
        runtime: LambdaRuntime,
        scheduler: Scheduler,
        redis: RedisControl | None = None,
        search: SearchControl | None = None,
        sources: Callable[[], Sequence[PausableSource]] = tuple,
    ) -> None:
        self._sources = sources
        self._info = info
        self._runtime = runtime
        self._scheduler = scheduler
        self._redis = redis
        self._search = search

    @staticmethod
    def matches(environ: Environ) -> bool:
        return str(environ.get("PATH_INFO", "")).startswith(PREFIX)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        path = str(environ.get("PATH_INFO", ""))[len(PREFIX) :].strip("/")
        if method == "GET" and path == "health":
            return json_response(
                start_response, 200, {"status": "ok", "ready": bool(self._info().get("ready"))}
            )
        if method == "GET" and path == "info":
            return json_response(start_response, 200, self._info())
        if method == "GET" and path == "functions":
            pids, busy = self._runtime.worker_pids(), self._runtime.worker_pids(busy_only=True)
            functions = {
                name: {"workers": pids.get(name, []), "busy": busy.get(name, [])}
                for name in self._runtime.specs
            }
            return json_response(start_response, 200, {"functions": functions})
        if method == "GET" and path == "schedules":
            schedules = [
                {
                    "name": spec.name,
                    "logical_id": spec.logical_id,
                    "expression": spec.expression,
                    "enabled": spec.enabled,
                    "targets": [target.arn for target in spec.targets],
                }
                for spec in self._scheduler.schedules
            ]
            return json_response(start_response, 200, {"schedules": schedules})
        if path == "redis" or path.startswith("redis/"):
            return self._redis_request(str(method), path, start_response)
        if path == "search" or path.startswith("search/"):
            return self._search_request(str(method), path, start_response)
        kill = _KILL.match(path)
        if method == "POST" and kill:
            try:
                pid = self._runtime.kill_worker(kill.group("name"))
            except FunctionNotFound:
                return json_response(start_response, 404, {"message": f"no function {kill.group('name')}"})
            return json_response(start_response, 200, {"function": kill.group("name"), "killed": pid})
        sources = _SOURCES.match(path)
        if method == "POST" and sources:
            name, pause = sources.group("name"), sources.group("action") == "pause"
            found = [source for source in self._sources() if source.function == name]
            for source in found:
                source.pause() if pause else source.resume()
            return json_response(
                start_response, 200, {"function": name, "sources": len(found), "paused": pause}
            )
        fire = _FIRE.match(path)
        if method == "POST" and fire:
            wait = "wait=true" in str(environ.get("QUERY_STRING", "")).lower()
            try:
                results = self._scheduler.fire(fire.group("name"), wait=wait)
            except UnknownSchedule:
                return json_response(start_response, 404, {"message": f"no schedule {fire.group('name')}"})
            return json_response(start_response, 200, {"schedule": fire.group("name"), "results": results})
        return json_response(start_response, 404, {"message": f"unknown control request {method} {path}"})

    def _redis_request(self, method: str, path: str, start_response: StartResponse) -> Iterable[bytes]:
        redis = self._redis
        if redis is None:
            return json_response(start_response, 404, {"message": "this cloud runs no redis-server"})
        if method == "GET" and path == "redis":
            return json_response(
                start_response, 200, {"running": redis.redis_running(), "url": redis.redis_url}
            )
        if method == "POST" and path == "redis/stop":
            redis.stop_redis()
            return json_response(start_response, 200, {"redis": "stopped"})
        if method == "POST" and path == "redis/start":
            try:
                redis.start_redis()
            except RedisUnavailable as exc:
                return json_response(start_response, 500, {"message": str(exc)})
            return json_response(start_response, 200, {"redis": "running", "url": redis.redis_url})
        return json_response(start_response, 404, {"message": f"unknown control request {method} {path}"})

    def _search_request(self, method: str, path: str, start_response: StartResponse) -> Iterable[bytes]:
        search = self._search
        if search is None:
            return json_response(start_response, 404, {"message": "this cloud runs no search node"})
        if method == "GET" and path == "search":
            return json_response(
                start_response, 200, {"running": search.search_running(), "url": search.search_url}
            )
        if method == "POST" and path == "search/stop":
            search.stop_search()
            return json_response(start_response, 200, {"search": "stopped"})
        if method == "POST" and path == "search/start":
            try:
                search.start_search()
            except SearchNodeUnavailable as exc:
                return json_response(start_response, 500, {"message": str(exc)})
            return json_response(start_response, 200, {"search": "running", "url": search.search_url})
        return json_response(start_response, 404, {"message": f"unknown control request {method} {path}"})
