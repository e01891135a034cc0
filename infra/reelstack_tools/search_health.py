"""`reelstack search health`: the search cluster's status and active-shards percent.

Where it asks: `--endpoint URL` when given (an `http://` URL is a local node, plain HTTP; an `https://`
one or a bare host is an AWS domain, SigV4-signed with your AWS credentials, `--region` or
`AWS_REGION`); else `SEARCH_ENDPOINT` from the environment (with the functions' other SEARCH_*
settings); else the running local cloud's node (its cloud.json in `--state-dir`, as every other
subcommand finds it). Exit 0 when the cluster is green or yellow, 1 when red or unreachable, 2 when
there is nothing to ask.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelstack.settings import SearchSettings

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USAGE = 2


class NoEndpoint(Exception):
    """Neither --endpoint, SEARCH_ENDPOINT nor a running local cloud with a search node."""


def add_parser(actions: Any) -> None:
    """`health` under `reelstack search` (`actions`: its subparsers)."""
    health = actions.add_parser("health", help="print the cluster status and active-shards percent")
    health.add_argument("--endpoint", metavar="URL", help="the search endpoint (default: see above)")
    health.add_argument("--region", help="AWS region of a domain endpoint (default: AWS_REGION)")
    health.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="request timeout (5 s)")
    health.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="the local cloud's state directory (default $REELSTACK_STATE_DIR or ./.reelstack)",
    )


def resolve_settings(args: argparse.Namespace) -> SearchSettings:
    """The settings to ask with: --endpoint, else SEARCH_ENDPOINT, else the local cloud's node."""
    from reelstack.settings import SearchSettings
    from reelstack_tools.localcloud import cloudfile

    overrides: dict[str, object] = {"search_timeout_seconds": args.timeout, "search_max_retries": 0}
    if args.region:
        overrides["aws_region"] = args.region
    if args.endpoint:
        local = args.endpoint.startswith("http://")
        return SearchSettings(search_endpoint=args.endpoint, reelstack_local=local, **overrides)  # type: ignore[arg-type]
    if os.environ.get("SEARCH_ENDPOINT"):
        return SearchSettings(**overrides)  # type: ignore[arg-type]
    state_dir = args.state_dir or cloudfile.default_state_dir()
    info = cloudfile.read(state_dir)
    if info is None or not info.get("ready"):
        raise NoEndpoint(
            f"no running local cloud in {state_dir} (start one with `reelstack up` or point --state-dir at "
            "it), and no --endpoint or SEARCH_ENDPOINT"
        )
    if not info.get("search_url"):
        raise NoEndpoint(f"the local cloud in {state_dir} runs no search node (its template has no domain)")
    return SearchSettings(search_endpoint=str(info["search_url"]), reelstack_local=True, **overrides)  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    from reelstack.adapters.distribution.search_client import SearchClient, SearchUnavailable

    try:
        settings = resolve_settings(args)
    except NoEndpoint as error:
        sys.stderr.write(f"reelstack search: {error}\n")
        return EXIT_USAGE
    try:
        health = SearchClient(settings).health()
    except SearchUnavailable as error:
        sys.stderr.write(f"search {settings.search_endpoint}: unreachable: {error.message}\n")
        return EXIT_UNHEALTHY
    sys.stdout.write(
        f"search {settings.search_endpoint}: status {health.status}, "
        f"active shards {health.active_shards_percent:.1f}%\n"
    )
    return EXIT_OK if health.healthy else EXIT_UNHEALTHY
