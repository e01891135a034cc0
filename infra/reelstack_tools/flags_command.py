"""`reelstack flags`: show the feature flags and roll a change out to a share of users, or back.

- `reelstack flags` (or `flags show`): each flag, the value its rollout gives, to what share of users,
  in which regions, and what everyone else gets; the deployed version.
- `reelstack flags set FLAG --percent P [--value V] [--regions BR,IN]`: P % of users (by a stable hash
  of their id), optionally only in those regions, get V (a boolean flag's V is `true`); 100 with no
  regions releases it to everyone, 0 takes it back from everyone. Deployed at once: API processes see
  it within the stack's FeatureFlagsMaxAgeSeconds.
- `reelstack flags rollback`: deploy again the version that was live before the last change.

Against the running local cloud, or a deployed stack with `--stack NAME` (its outputs name the ids).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "feature flags: show them, roll one out to a percentage of users (and regions), or roll back"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=None, help="the local cloud's state directory")
    parser.add_argument("--stack", default=None, help="a deployed stack instead of the local cloud")
    parser.add_argument("--region", default=None, help="the stack's AWS region (the SDK's default)")
    parser.add_argument("--json", action="store_true", help="print the flags as JSON")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("show", help="the flags and their rollouts (the default)")
    change = actions.add_parser("set", help="roll a flag out to a percentage of users")
    change.add_argument("flag")
    change.add_argument("--percent", type=float, required=True, help="share of users, 0-100")
    change.add_argument("--value", default=None, help="the value rolled out (a ranker version's endpoint)")
    change.add_argument("--regions", default="", help="only viewers in these countries, e.g. BR,IN")
    actions.add_parser("rollback", help="deploy the version that was live before the last change")


def _value(raw: str | None) -> Any:
    if raw is None:
        return None
    lowered = raw.strip().lower()
    return {"true": True, "false": False}.get(lowered, raw)


def deployer_for(args: argparse.Namespace) -> Any:
    from reelstack_tools.flag_deploy import FlagDeployer, FlagsLocation

    if args.stack:
        import boto3

        from reelstack_tools.stack_outputs import stack_outputs

        session = boto3.session.Session(region_name=args.region)
        outputs = stack_outputs(session.client("cloudformation"), args.stack)
        where = FlagsLocation(
            outputs["FeatureFlagsApplicationId"],
            outputs["FeatureFlagsEnvironmentId"],
            outputs["FeatureFlagsProfileId"],
            outputs["FeatureFlagsStrategyId"],
        )
        return FlagDeployer(where, session.client("appconfig"), poll_s=2.0)
    from reelstack_tools.localcloud.client import CloudHandle
    from reelstack_tools.localcloud.cloudfile import default_state_dir

    cloud = CloudHandle.from_state_dir(args.state_dir or default_state_dir())
    where = FlagsLocation(
        cloud.name("FeatureFlagsApplication"),
        cloud.name("FeatureFlagsEnvironment"),
        cloud.name("FeatureFlagsProfile"),
        cloud.name("FeatureFlagsImmediate"),
    )
    return FlagDeployer(where, cloud.client("appconfig"), poll_s=0.1)


def _show(version: int, document: dict[str, Any], as_json: bool) -> None:
    from reelstack.domain.release.flags import describe

    rows = describe(document)
    if as_json:
        sys.stdout.write(json.dumps({"version": version, "flags": rows}, indent=2) + "\n")
        return
    sys.stdout.write(f"feature flags, deployed version {version}\n")
    sys.stdout.write(f"  {'flag':<16} {'rollout':>8}  {'regions':<10} {'value':<22} everyone else\n")
    for row in rows:
        regions = ",".join(row["regions"]) or "all"
        sys.stdout.write(
            f"  {row['flag']:<16} {row['percent']:>7.2f}%  {regions:<10} "
            f"{json.dumps(row['value']):<22} {json.dumps(row['others'])}\n"
        )


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from reelstack.domain.release.flags import rollout, with_rollout
    from reelstack.errors import InvalidRequest

    try:
        deployer = deployer_for(args)
        current = deployer.current()
        if args.action == "set":
            plan = rollout(
                args.flag,
                args.percent,
                value=_value(args.value),
                regions=[code for code in args.regions.split(",") if code.strip()],
            )
            described = f"{args.flag}: {plan.percent:g}% -> {json.dumps(plan.value)}" + (
                f" in {','.join(plan.regions)}" if plan.regions else ""
            )
            version = deployer.publish(with_rollout(current.document, args.flag, plan), described)
            sys.stdout.write(f"deployed version {version} ({described})\n")
            current = deployer.current()
        elif args.action == "rollback":
            version = deployer.rollback()
            sys.stdout.write(f"rolled back to version {version}\n")
            current = deployer.current()
    except InvalidRequest as error:
        sys.stderr.write(f"{error.message}\n")
        return 2
    except (LookupError, RuntimeError, TimeoutError, OSError, ClientError, BotoCoreError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    _show(current.version, current.document, args.json)
    return 0
