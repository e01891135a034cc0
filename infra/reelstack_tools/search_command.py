"""`reelstack search`: `health` (`search_health`) and `reindex` (`search_reindex_command`)."""

from __future__ import annotations

import argparse

from reelstack_tools import search_health, search_reindex_command

HELP = (
    "search tools: `search health` prints the cluster's status and active shards (exit 1 if down); "
    "`search reindex` rebuilds the videos index behind its alias while searches go on"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    search_health.add_parser(actions)
    search_reindex_command.add_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.action == "health":
        return search_health.run(args)
    return search_reindex_command.run(args)
