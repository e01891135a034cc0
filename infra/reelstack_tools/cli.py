"""The `reelstack` console script.

Each subcommand lives in its own module exposing `HELP`, `add_arguments(parser)` and `run(args) -> int`.
Command modules keep their top-level imports light (heavy ones go inside `run`), so `reelstack upload`
does not pay for moto or boto3.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: dict[str, str] = {
    "up": "reelstack_tools.localcloud.command",
    "token": "reelstack_tools.tokens",
    "upload": "reelstack_tools.uploader.command",
    "demo": "reelstack_tools.demo",
    "executions": "reelstack_tools.executions_command",
    "roi": "reelstack_tools.roi_command",
    "rank": "reelstack_tools.rank_command",
    "search": "reelstack_tools.search_command",
    "flags": "reelstack_tools.flags_command",
    "web": "reelstack_tools.web_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reelstack", description="reelstack: a serverless short-video backend"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMAND_MODULES.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
