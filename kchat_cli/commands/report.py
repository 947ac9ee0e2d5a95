"""kchat report."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import OutputOption, SinceOption, UntilOption
from kchat_cli.render import Column, Format, emit, visible

app = typer.Typer(add_completion=False, rich_markup_mode=None)


class By(enum.StrEnum):
    assignee = "assignee"
    label = "label"
    day = "day"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


REPORT_TABLE = [
    ("GROUP", lambda r: r["group"]),
    ("ROOMS", lambda r: r["rooms"]),
    ("MESSAGES", lambda r: r["messages"]),
    Column("RESPONSE P50", lambda r: duration(r["first_response_median"]), cut=False),
    Column("P90", lambda r: duration(r["first_response_p90"]), cut=False),
    Column("RESOLUTION P50", lambda r: duration(r["resolution_median"]), cut=False),
    Column("P90", lambda r: duration(r["resolution_p90"]), cut=False),
]
BAR = 30


@app.command()
def report(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    by: Annotated[
        By, typer.Option("--by", help="assignee, label or day (Korea time).")
    ] = By.assignee,
    output: OutputOption = Format.table,
) -> None:
    """Reply and resolution times, rooms and messages over a period.

    The first response and the resolution of each consultation, with their medians.

    Medians and p90 by assignee, label or day; times in seconds in json.

    Example: kchat report --since 30d --by day
    """
    from kchat_cli.domain.reports.report import REPORT_FIELDS
    from kchat_cli.domain.reports.report import report as build

    records = runtime(ctx).look(build, since=since, until=until, by=by.value)
    emit(records, output, fields=REPORT_FIELDS, table=REPORT_TABLE, empty="no activity")
    if output is Format.table and records:
        typer.echo("\nmedian first response")
        typer.echo(chart(records))


def chart(records: list[dict]) -> str:
    """A bar a group, as long as its median first response against the longest."""
    from wcwidth import wcswidth

    longest = max((r["first_response_median"] or 0 for r in records), default=0) or 1
    groups = [visible(str(record["group"])) for record in records]
    width = max(max(wcswidth(group), 0) for group in groups)
    lines = []
    for record, group in zip(records, groups, strict=True):
        value = record["first_response_median"]
        bar = "█" * max(1 if value else 0, round(BAR * (value or 0) / longest))
        pad = " " * (width - max(wcswidth(group), 0))
        lines.append(f"{group}{pad}  {bar} {duration(value)}")
    return "\n".join(lines)
