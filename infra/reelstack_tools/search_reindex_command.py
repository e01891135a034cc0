"""`reelstack search reindex`: rebuild the `videos` index from the video records behind its alias.

It creates the next versioned index (`videos-vN+1`, the current mappings), fills it from the published
videos, swaps the alias in one `_aliases` call, catches up with what changed meanwhile and deletes the
old index (`reelstack.services.distribution.search_reindex`); searches go on throughout. It runs against the
running local cloud (its cloud.json in --state-dir) or a deployed stack (`--stack NAME`: the tables
and the search domain from CloudFormation; the domain's endpoint is VPC-only, so run it from inside
the VPC or through a tunnel given as --search-endpoint).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

TABLES = {
    "UPLOADS_TABLE": "UploadsTable",
    "VIDEOS_TABLE": "VideosTable",
    "LIKES_TABLE": "LikesTable",
    "LIKE_COUNTERS_TABLE": "LikeCountersTable",
    "PLAY_DAILY_STATS_TABLE": "PlayDailyStatsTable",
}


def add_parser(actions: Any) -> None:
    """`reindex` under `reelstack search` (`actions`: its subparsers)."""
    reindex = actions.add_parser("reindex", help=__doc__.splitlines()[0] if __doc__ else None)
    reindex.add_argument(
        "--state-dir", type=Path, default=None, help="the local cloud's state directory (./.reelstack)"
    )
    reindex.add_argument("--stack", default=None, help="a deployed stack instead of the local cloud")
    reindex.add_argument("--region", default=None, help="the stack's region (the SDK's default)")
    reindex.add_argument(
        "--search-endpoint", default=None, help="the search domain's URL (default: from the stack)"
    )
    reindex.add_argument("--page-size", type=int, default=200, help="videos per bulk request (200)")


def local_environment(state_dir: Path) -> dict[str, str]:
    """The variables the indexer's settings and the SDK read, for the local cloud in `state_dir`."""
    from reelstack_tools.localcloud.client import CloudHandle

    cloud = CloudHandle.from_state_dir(state_dir)
    if cloud.search_url is None:
        raise SystemExit(f"the local cloud in {state_dir} runs no search node")
    env = cloud.environment() | {"SEARCH_ENDPOINT": cloud.search_url, "REELSTACK_LOCAL": "1"}
    return env | {variable: cloud.name(logical_id) for variable, logical_id in TABLES.items()}


def stack_environment(stack: str, region: str | None, endpoint: str | None) -> dict[str, str]:
    """The same variables for a deployed stack (physical ids from CloudFormation)."""
    import boto3

    session = boto3.session.Session(region_name=region)
    cloudformation = session.client("cloudformation")
    resources: dict[str, Any] = {
        r["LogicalResourceId"]: r.get("PhysicalResourceId")
        for r in cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    }
    env = {variable: str(resources[logical_id]) for variable, logical_id in TABLES.items()}
    if endpoint is None:
        domain = session.client("opensearch").describe_domain(DomainName=resources["SearchDomain"])
        status = domain["DomainStatus"]
        endpoint = "https://" + str(status.get("Endpoints", {}).get("vpc") or status["Endpoint"])
    env["SEARCH_ENDPOINT"] = endpoint
    env["AWS_REGION"] = session.region_name or ""
    return env


def run(args: argparse.Namespace) -> int:
    from reelstack_tools.localcloud.cloudfile import default_state_dir

    if args.stack:
        env = stack_environment(args.stack, args.region, args.search_endpoint)
    else:
        env = local_environment(args.state_dir or default_state_dir())
        if args.search_endpoint:
            env["SEARCH_ENDPOINT"] = args.search_endpoint
    os.environ.update(env)  # the settings and the SDK read them (this process only)
    # A reindex is an operator's job: give a loaded engine time (the functions' budget is tighter).
    os.environ.setdefault("SEARCH_TIMEOUT_SECONDS", "30")
    from reelstack.search_wiring import build_reindexer
    from reelstack.settings import SearchIndexerSettings

    settings = SearchIndexerSettings()  # type: ignore[call-arg]
    report = build_reindexer(settings, page_size=args.page_size, say=_say).run()
    _say(
        f"videos -> {report.new} (was {', '.join(report.old) or 'nothing'}): {report.filled} filled, "
        f"{report.caught_up} caught up, {report.removed} removed"
    )
    return 0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
