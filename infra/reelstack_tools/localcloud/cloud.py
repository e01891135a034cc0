"""`LocalCloud`: the whole template running on loopback, started and stopped as one thing.

Start order: redis-server, the OpenSearch node when the template declares a search domain (started on
a thread: the JVM takes seconds, and nothing before the functions needs it; `start()` waits for it to
be green before the cloud is ready), the AWS endpoint (dispatcher + moto), the resources the template declares,
the local issuer, the Lambda runtime and SageMaker models, the dispatcher's handlers, SQS pollers,
the scheduler, the API; then `<state_dir>/cloud.json` is written with `"ready": true`. `stop()`
undoes all of it and leaves no child process behind. One LocalCloud per process (moto's state is
process-wide).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from reelstack_tools.localcloud import cloudfile
from reelstack_tools.localcloud.api_routes import RouteTable, routes_from_stack
from reelstack_tools.localcloud.api_server import ApiGateway
from reelstack_tools.localcloud.appconfig import AppConfigApi, AppConfigState
from reelstack_tools.localcloud.async_invoke import AsyncInvoker
from reelstack_tools.localcloud.cdn import LocalCdn
from reelstack_tools.localcloud.cdn_signing import KEY_FILE as SIGNING_KEY_FILE
from reelstack_tools.localcloud.cdn_signing import (
    SECRET_PARAMETER,
    ensure_key,
    private_pem,
    signing_parameters,
)
from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.control import ControlApi
from reelstack_tools.localcloud.custom_resources import run_custom_resources
from reelstack_tools.localcloud.destinations import Destinations
from reelstack_tools.localcloud.emr_serverless import EmrServerlessApi, JobRunner
from reelstack_tools.localcloud.eventbridge import EventRouter, EventsEdge, rules_from_stack
from reelstack_tools.localcloud.functions import FunctionSpec, function_specs, sandbox_environment
from reelstack_tools.localcloud.identity_api import IdentityApi
from reelstack_tools.localcloud.lambda_api import LambdaApi
from reelstack_tools.localcloud.local_env import INFRA_DIR, LOG, apply_credentials
from reelstack_tools.localcloud.local_sign_in import LocalSignIn
from reelstack_tools.localcloud.logs import FunctionLogs
from reelstack_tools.localcloud.moto_server import MotoServer
from reelstack_tools.localcloud.naming import USER_POOL_CLIENT_ID, USER_POOL_ID, Naming
from reelstack_tools.localcloud.pool import InvokeResult
from reelstack_tools.localcloud.provision import provision
from reelstack_tools.localcloud.provision_cdn import trusted_keys
from reelstack_tools.localcloud.redis_server import RedisServer
from reelstack_tools.localcloud.runtime import LambdaRuntime
from reelstack_tools.localcloud.sagemaker import ModelEndpoint, SageMakerRuntimeApi, endpoints_from_stack
from reelstack_tools.localcloud.sagemaker_deployed import UpdateEndpointEdge, deployed_model
from reelstack_tools.localcloud.sagemaker_training import SageMakerTrainingApi, TrainingRunner
from reelstack_tools.localcloud.scheduler import Scheduler, schedules_from_stack
from reelstack_tools.localcloud.search_node import SEARCH_RESOURCE_TYPES, SEARCH_START_TIMEOUT_S, SearchNode
from reelstack_tools.localcloud.sfn_edge import StepFunctionsEdge
from reelstack_tools.localcloud.sqs_poller import SqsPoller, sqs_mappings
from reelstack_tools.localcloud.stack import STACK_NAME, Stack
from reelstack_tools.localcloud.template import Template
from reelstack_tools.localcloud.web_site import WebSite
from reelstack_tools.localcloud.wsgi import MountedApp
from reelstack_tools.tokens import KEY_FILE, IssuerState, TokenVerifier, ensure_signing_key, issue_token

log = logging.getLogger(LOG)


def declares_search(template: Template) -> bool:
    """Does the template declare a search domain (or collection), which the local cloud then runs?"""
    return any(resource.type in SEARCH_RESOURCE_TYPES for resource in template.resources.values())


class CloudBusy(RuntimeError):
    """Another running local cloud owns this state directory."""


def _alive(pid: int) -> bool:
    """Is `pid` a running local cloud (not just any process that reused the number)?"""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"reelstack" in command


@dataclass
class CloudOptions:
    template: Path = Path("template.yaml")
    state_dir: Path = Path(".reelstack")
    host: str = "127.0.0.1"
    aws_port: int = 4566
    api_port: int = 8000
    redis_port: int = 6390
    search_port: int = 9250
    visibility_timeout_cap: int | None = None
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    default_concurrency: int = 4


class LocalCloud:
    def __init__(self, options: CloudOptions) -> None:
        self.options = options
        self.state_dir = options.state_dir.resolve()
        self.info: dict[str, Any] = {"ready": False}
        self.stack: Stack | None = None
        self.runtime: LambdaRuntime | None = None
        self.scheduler: Scheduler | None = None
        self._redis: RedisServer | None = None
        self._search: SearchNode | None = None
        self._moto: MotoServer | None = None
        self._models: LambdaRuntime | None = None
        self._async: AsyncInvoker | None = None
        self._jobs: JobRunner | None = None
        self._training: TrainingRunner | None = None
        self._pollers: list[SqsPoller] = []
        self._api: ApiGateway | None = None
        self._logs: FunctionLogs | None = None
        self._redis_lock = threading.Lock()
        self._search_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.info["startup_seconds"] = round(time.monotonic() - started, 3)
        self.info["ready"] = True
        cloudfile.write(self.state_dir, self.info)
        return self.info

    def stop(self) -> None:
        """Undo `start()`. Every step runs even when one before it fails (that one is logged), so a failure
        cannot leave redis-server or workers behind."""
        pollers = self._pollers
        steps: list[Callable[[], object] | None] = [
            self._api.stop if self._api else None,
            self.scheduler.stop if self.scheduler else None,
            *(poller.stop for poller in pollers),
            self._async.stop if self._async else None,
            self._jobs.stop if self._jobs else None,
            self._training.stop_all if self._training else None,
            *(runtime.stop for runtime in (self.runtime, self._models) if runtime),
            *(functools.partial(poller.join, timeout=3) for poller in pollers),  # their invocations ended
            self._moto.stop if self._moto else None,
            self._redis.stop if self._redis else None,
            self._search.stop if self._search else None,
            self._logs.close if self._logs else None,
            self._mark_stopped,
        ]
        for step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("stopping the local cloud: %r failed", step)
        self._api = self.scheduler = self._async = self.runtime = self._models = self._jobs = (
            self._training
        ) = None
        self._moto = self._redis = self._search = self._logs = None
        self._pollers = []

    def _mark_stopped(self) -> None:
        if self.info.get("ready"):
            self.info["ready"] = False
            current = cloudfile.read(self.state_dir)
            if current is None or current.get("pid") == os.getpid():
                cloudfile.write(self.state_dir, self.info)

    # -- operations -------------------------------------------------------------------------------------

    def invoke(
        self, function: str, event: Any = None, invocation_type: str = "RequestResponse"
    ) -> InvokeResult | str:
        """Invoke a function; an `Event` invocation returns its request id."""
        assert self.runtime is not None and self._async is not None, "the local cloud is not running"
        payload = json.dumps({} if event is None else event)
        if invocation_type == "Event":
            return self._async.submit(function, payload)
        return self.runtime.invoke(function, payload)

    def kill_worker(self, function: str) -> int | None:
        assert self.runtime is not None, "the local cloud is not running"
        return self.runtime.kill_worker(function)

    # The ElastiCache node's outages, for tests of the degraded paths (the control API's /redis).
    @property
    def redis_url(self) -> str:
        assert self._redis is not None, "the local cloud is not running"
        return self._redis.url

    def redis_running(self) -> bool:
        return self._redis is not None and self._redis.running

    def stop_redis(self) -> None:
        """Stop redis-server (SIGTERM, then SIGKILL): Redis clients of the functions start failing."""
        assert self._redis is not None, "the local cloud is not running"
        with self._redis_lock:
            self._redis.stop()

    def start_redis(self) -> None:
        """Start redis-server again on the same port, empty (nothing is persisted); no-op if running."""
        assert self._redis is not None, "the local cloud is not running"
        with self._redis_lock:
            if self._redis.running:
                return
            self._redis.start()
            pid = self._redis.process.pid if self._redis.process else None
            if self.info.get("ready"):
                self.info.setdefault("pids", {})["redis"] = pid
                cloudfile.write(self.state_dir, self.info)

    @property
    def search_url(self) -> str | None:
        return None if self._search is None else self._search.url

    # The search domain's outages, for fault tests (the control API's /search).
    def search_running(self) -> bool:
        return self._search is not None and self._search.running

    def stop_search(self) -> None:
        """Stop the search node (SIGTERM, then SIGKILL): search clients of the functions start failing."""
        assert self._search is not None, "this local cloud runs no search node"
        with self._search_lock:
            self._search.stop()

    def start_search(self) -> None:
        """Start the node again on the same port with the same data folder (indices survive); no-op if
        running. Returns once the cluster is green."""
        assert self._search is not None, "this local cloud runs no search node"
        with self._search_lock:
            if self._search.running:
                return
            self._search.start()
            pid = self._search.process.pid if self._search.process else None
            if self.info.get("ready"):
                self.info.setdefault("pids", {})["search"] = pid
                cloudfile.write(self.state_dir, self.info)

    def wait_search_ready(self, timeout: float = SEARCH_START_TIMEOUT_S) -> None:
        """Wait until the search node (started in the background) is green; raise if it did not start.
        A no-op when the template declares no search domain."""
        if self._search is not None:
            self._search.wait_ready(timeout)

    def fire_schedule(self, name: str, wait: bool = True) -> list[dict[str, Any]]:
        assert self.scheduler is not None, "the local cloud is not running"
        return self.scheduler.fire(name, wait=wait)

    def child_pids(self) -> list[int]:
        pids = [
            pid
            for runtime in (self.runtime, self._models)
            if runtime
            for group in runtime.worker_pids().values()
            for pid in group
        ]
        if self._redis is not None and self._redis.process is not None:
            pids.append(self._redis.process.pid)
        if self._search is not None and self._search.process is not None:
            pids.append(self._search.process.pid)
        return pids

    # -- start-up ---------------------------------------------------------------------------------------

    def _start(self) -> None:
        options = self.options
        self.state_dir.mkdir(parents=True, exist_ok=True)
        previous = cloudfile.read(self.state_dir)
        if previous and previous.get("ready") and _alive(int(previous.get("pid", 0))):
            raise CloudBusy(
                f"another local cloud (pid {previous['pid']}) is running with state dir {self.state_dir}"
            )
        apply_credentials()
        template = Template.load(options.template, options.parameter_overrides)
        # The private playback key pair, as a deployment with one has (cdn_signing).
        signing_key = ensure_key(self.state_dir / SIGNING_KEY_FILE)
        signing = signing_parameters(
            template.document.get("Parameters") or {}, options.parameter_overrides, signing_key
        )
        if signing:
            template = Template.load(options.template, {**options.parameter_overrides, **signing})

        self._redis = RedisServer(options.redis_port, self.state_dir / "redis", options.host)
        self._redis.start()
        if declares_search(template):
            # Fresh with every start, as moto's tables; it keeps its data across stop()/start() of the node.
            self._search = SearchNode(options.search_port, self.state_dir / "search")
            self._search.wipe()
            self._search.start_in_background()
        search_address = f"{self._search.host}:{self._search.port}" if self._search else ""
        self._moto = MotoServer(options.host, options.aws_port)
        local_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else options.host
        endpoint = f"http://{local_host}:{self._moto.port}"
        self._moto.start(endpoint)

        naming = Naming(STACK_NAME, endpoint, self._redis.host, self._redis.port, search_address)
        stack = self.stack = Stack(template, naming)
        clients = Clients(endpoint)
        # Before provisioning: the template's AppConfig resources are created through it.
        self._moto.dispatcher.mount(AppConfigApi.matches, AppConfigApi(AppConfigState()))
        if signing:
            clients.get("secretsmanager").create_secret(
                Name=signing[SECRET_PARAMETER], SecretString=private_pem(signing_key).decode()
            )
        report = provision(stack, clients, options.visibility_timeout_cap)

        issuer = IssuerState(
            issuer=naming.provider_url(),
            audience=USER_POOL_CLIENT_ID,
            signing_key=ensure_signing_key(self.state_dir / KEY_FILE),
            user_pool_id=USER_POOL_ID,
            client_id=USER_POOL_CLIENT_ID,
        )
        self._logs = FunctionLogs(self.state_dir / "logs")
        redis_url = self._redis.url
        search_url = self.search_url

        def environment(spec: FunctionSpec) -> dict[str, str]:
            return sandbox_environment(
                spec,
                aws_endpoint=endpoint,
                redis_url=redis_url,
                extra_python_path=str(INFRA_DIR),
                search_url=search_url,
            )

        specs = function_specs(stack, self.state_dir / "inline")
        runtime = self.runtime = LambdaRuntime(specs, environment, self._logs, options.default_concurrency)
        endpoints = endpoints_from_stack(stack)
        self._models = LambdaRuntime(
            {item.spec.name: item.spec for item in endpoints.values()}, environment, self._logs
        )
        invoker = self._async = AsyncInvoker(runtime)
        destinations = Destinations(clients, invoker.submit, runtime.invoke)
        invoker.destinations = destinations
        scheduler = self.scheduler = Scheduler(
            schedules_from_stack(stack), lambda arn, body, wait: destinations.send(arn, body, wait=wait)
        )
        router = EventRouter(rules_from_stack(stack), lambda arn, body: destinations.send(arn, body))

        dispatcher = self._moto.dispatcher
        dispatcher.mount(
            ControlApi.matches,
            ControlApi(
                lambda: self.info,
                runtime,
                scheduler,
                redis=self,
                search=self if self._search is not None else None,
                sources=lambda: self._pollers,
            ),
        )
        dispatcher.mount(LambdaApi.matches, LambdaApi(runtime, invoker))
        state_dir = self.state_dir

        def deployed(name: str) -> ModelEndpoint:
            variant, spec = deployed_model(clients, name, state_dir)
            return ModelEndpoint(name=name, variant=variant, spec=spec)

        dispatcher.mount(
            SageMakerRuntimeApi.matches, SageMakerRuntimeApi(endpoints, self._models, resolve=deployed)
        )
        dispatcher.mount(IdentityApi.matches, IdentityApi(issuer))
        jobs = self._jobs = JobRunner(clients, self.state_dir, self._logs.log_dir / "emr")
        applications = [
            str(stack.ref(resource.logical_id))
            for resource in stack.resources("AWS::EMRServerless::Application")
        ]
        dispatcher.mount(EmrServerlessApi.matches, EmrServerlessApi(jobs, lambda: applications))
        training = self._training = TrainingRunner(clients, self.state_dir, self._logs.log_dir / "training")
        dispatcher.mount(SageMakerTrainingApi.matches, SageMakerTrainingApi(training))
        dispatcher.mount(UpdateEndpointEdge.matches, UpdateEndpointEdge(dispatcher.moto_app))
        keys = trusted_keys(stack)
        dispatcher.mount(LocalCdn.matches, LocalCdn(lambda: keys))
        dispatcher.mount(StepFunctionsEdge.matches, StepFunctionsEdge(dispatcher.moto_app, clients))
        dispatcher.mount(EventsEdge.matches, EventsEdge(dispatcher.moto_app, router))

        mappings = [
            mapping for mapping in sqs_mappings(stack) if mapping.enabled and mapping.function in specs
        ]
        self._pollers = [SqsPoller(mapping, runtime, clients) for mapping in mappings]
        for poller in self._pollers:
            poller.start()
        scheduler.start()

        routes, apis = routes_from_stack(stack)
        sites: list[MountedApp] = [
            LocalSignIn(USER_POOL_CLIENT_ID, functools.partial(issue_token, issuer)),
            WebSite(),
        ]
        self._api = ApiGateway(RouteTable(routes), apis, runtime, TokenVerifier(issuer), sites)
        api_port = self._api.start(options.host, options.api_port)
        self.wait_search_ready()
        # After the node is green: the search bootstrap is a custom resource backed by a function.
        run_custom_resources(stack, runtime.invoke)

        self.info = cloudfile.describe(
            stack=stack,
            state_dir=self.state_dir,
            logs_dir=self._logs.log_dir,
            aws_endpoint=endpoint,
            api_url=f"http://{local_host}:{api_port}",
            redis_url=redis_url,
            redis_pid=self._redis.process.pid if self._redis.process else None,
            search_url=search_url,
            search_pid=self._search.process.pid if self._search and self._search.process else None,
            issuer=issuer,
            visibility_timeout_cap=options.visibility_timeout_cap,
            routes=routes,
            mappings=mappings,
            schedules=scheduler.schedules,
            model_endpoints=sorted(endpoints),
            unsupported=report.unsupported,
        )
