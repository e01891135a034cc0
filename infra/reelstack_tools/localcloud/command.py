"""`reelstack up`: bring the local cloud up from template.yaml and keep it running until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

HELP = "run the whole template on loopback (AWS APIs, Lambda, API Gateway, Redis) until Ctrl-C"


def _parameter(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template", type=Path, default=Path("template.yaml"), help="SAM template (default ./template.yaml)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="state directory (default $REELSTACK_STATE_DIR or ./.reelstack)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--aws-port", type=int, default=4566, help="AWS endpoint port (default 4566, 0 = any free port)"
    )
    parser.add_argument(
        "--api-port", type=int, default=8000, help="API port (default 8000, 0 = any free port)"
    )
    parser.add_argument(
        "--redis-port", type=int, default=6390, help="redis-server port (default 6390, 0 = any free port)"
    )
    parser.add_argument(
        "--search-port",
        type=int,
        default=9250,
        help="OpenSearch node's port, when the template declares a search domain (default 9250, 0 = any free port)",
    )
    parser.add_argument(
        "--visibility-timeout-cap",
        type=int,
        default=None,
        metavar="SECONDS",
        help="create queues with VisibilityTimeout = min(template value, SECONDS), so retries show in seconds",
    )
    parser.add_argument(
        "--parameter",
        type=_parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter override",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the endpoints and warnings, not function logs"
    )


def _configure_logging(quiet: bool) -> None:
    import logging

    from reelstack_tools.localcloud.local_env import LOG

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    cloud_log = logging.getLogger(LOG)
    cloud_log.addHandler(handler)
    cloud_log.setLevel(logging.WARNING if quiet else logging.INFO)
    cloud_log.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def summary(info: dict[str, Any], state_dir_given: bool) -> str:
    resources: dict[str, dict[str, Any]] = info["resources"]

    def names(*types: str) -> str:
        found = sorted(entry["name"] for entry in resources.values() if entry["type"] in types)
        return ", ".join(found) or "-"

    state_flag = f" --state-dir {info['state_dir']}" if state_dir_given else ""
    lines = [
        f"reelstack local cloud is up ({info['startup_seconds']:.1f} s)",
        f"  AWS endpoint    {info['aws_endpoint']}  (region {info['region']}, keys testing/testing)",
        f"  API             {info['api_url']}",
        f"  Redis           {info['redis_url']}",
        *(
            [f"  Search          {info['search_url']}  (OpenSearch 2.19, one node)"]
            if info.get("search_url")
            else []
        ),
        f"  State           {info['state_dir']}  (cloud.json, logs/)",
        f"  Issuer          {info['issuer']}",
        f"  Functions       {names('AWS::Serverless::Function', 'AWS::Lambda::Function')}",
        f"  Queues          {names('AWS::SQS::Queue')}",
        f"  Tables          {names('AWS::DynamoDB::Table', 'AWS::Serverless::SimpleTable')}",
        f"  Buckets         {names('AWS::S3::Bucket')}",
        f"  State machines  {names('AWS::Serverless::StateMachine', 'AWS::StepFunctions::StateMachine')}",
        f"  Schedules       {', '.join(item['name'] for item in info['schedules']) or '-'}",
    ]
    if info.get("sagemaker_endpoints"):
        lines.append(f"  Model endpoints {', '.join(info['sagemaker_endpoints'])}")
    if info.get("visibility_timeout_cap") is not None:
        lines.append(f"  Queue visibility timeouts capped at {info['visibility_timeout_cap']} s")
    lines += [
        f"Token:  reelstack token --user alice [--role reviewer] [--role operator]{state_flag}",
        f"AWS CLI/SDK:  export AWS_ENDPOINT_URL={info['aws_endpoint']} AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={info['region']}",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from reelstack_tools.localcloud.cloud import CloudOptions, LocalCloud
    from reelstack_tools.localcloud.cloudfile import default_state_dir

    _configure_logging(args.quiet)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    options = CloudOptions(
        template=args.template,
        state_dir=args.state_dir or default_state_dir(),
        host=args.host,
        aws_port=args.aws_port,
        api_port=args.api_port,
        redis_port=args.redis_port,
        search_port=args.search_port,
        visibility_timeout_cap=args.visibility_timeout_cap,
        parameter_overrides=dict(args.parameter),
    )
    cloud = LocalCloud(options)
    try:
        info = cloud.start()
    except Exception as error:
        sys.stderr.write(f"reelstack up: {error}\n")
        return 1
    sys.stdout.write(summary(info, args.state_dir is not None))
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sys.stdout.write("stopping the local cloud...\n")
        sys.stdout.flush()
        cloud.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reelstack up", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
