"""Rendering execution rows with rich: a summary table, then each execution's state-by-state timeline.

Names, states and errors come from the workflow, so they are `Text`, never markup (`[code] message`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from reelstack.domain.workflow.execution_rows import (
    ExecutionQuery,
    ExecutionRow,
    TimelineEntry,
    state_machine_name,
)

STATUS_STYLES = {
    "RUNNING": "yellow",
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "TIMED_OUT": "magenta",
    "ABORTED": "magenta",
}
OUTCOME_STYLES = {
    "succeeded": "green",
    "retried": "yellow",
    "caught": "dark_orange",
    "failed": "bold red",
    "running": "cyan",
}


@dataclass(frozen=True)
class Listing:
    """What one refresh shows: the query, where it was read, the rows, and a problem if reading failed."""

    query: ExecutionQuery
    where: str
    as_of: datetime
    rows: list[ExecutionRow] = field(default_factory=list)
    problem: str | None = None


def clock(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def offset(seconds: float | None) -> str:
    return "-" if seconds is None else f"+{seconds:.3f}s"


def header(listing: Listing) -> Text:
    query = listing.query
    filters = [f"status {query.status}"] if query.status else []
    if query.video:
        filters.append(f"video {query.video}")
    text = Text.assemble(
        (f"{state_machine_name(query.state_machine_arn)} executions", "bold"),
        f" on {listing.where}, newest first (at most {query.limit})",
        f", {', '.join(filters)}" if filters else "",
        f"; read at {clock(listing.as_of)}",
    )
    return text


def summary_table(rows: list[ExecutionRow]) -> Table:
    table = Table(title=None, show_lines=False)
    table.add_column("execution (video id)", no_wrap=True)
    for column in ("status", "started", "stopped", "state"):
        table.add_column(column, no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("failed in", no_wrap=True)
    for row in rows:
        failed = row.failed_state
        table.add_row(
            Text(row.name),
            Text(row.status, style=STATUS_STYLES.get(row.status, "")),
            clock(row.started),
            clock(row.stopped),
            Text(row.current_state or "-"),
            f"{row.total_seconds:.3f}",
            Text("" if failed is None else failed.name, style="red"),
        )
    return table


def problem_text(entry: TimelineEntry) -> str:
    if entry.error is None:
        return ""
    text = entry.error if entry.cause is None else f"{entry.error}: {entry.cause}"
    return f"after {entry.attempts} attempts, {text}" if entry.attempts > 1 else text


def timeline_table(row: ExecutionRow) -> Table:
    title = Text.assemble(
        (row.name, "bold"), " ", (row.status, STATUS_STYLES.get(row.status, "")), f" {row.total_seconds:.3f}s"
    )
    if row.error:
        title.append(f"  {row.error}" + (f": {row.cause}" if row.cause else ""), style="red")
    table = Table(title=title, title_justify="left")
    table.add_column("state", no_wrap=True)
    table.add_column("entered", justify="right", no_wrap=True)
    table.add_column("exited", justify="right", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("error", overflow="fold")
    for entry in row.timeline():
        table.add_row(
            Text(entry.name),
            offset(entry.entered),
            offset(entry.exited),
            f"{entry.seconds:.3f}",
            Text(entry.outcome, style=OUTCOME_STYLES.get(entry.outcome, "")),
            Text(problem_text(entry)),
        )
    return table


def render(listing: Listing) -> RenderableType:
    parts: list[RenderableType] = [header(listing)]
    if listing.problem:
        parts.append(Text(f"error: {listing.problem}", style="bold red"))
    elif not listing.rows:
        video = listing.query.video
        parts.append(Text(f"no execution named {video}" if video else "no executions match", style="dim"))
    else:
        parts.append(summary_table(listing.rows))
        parts.extend(timeline_table(row) for row in listing.rows)
    return Group(*parts)
