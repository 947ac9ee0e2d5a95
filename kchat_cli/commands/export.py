"""kchat export: streamed CSV or JSON lines."""

import enum
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.common import SinceOption, UntilOption, app_for, runtime, say
from kchat_cli.render import Format, emit

app = app_for("Export conversations as CSV or JSON lines.")


class ExportFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write to this file (created 0600, replaced only when complete) "
        "instead of standard output.",
    ),
]
ExportOutput = Annotated[ExportFormat, typer.Option("--output", "-o", help="csv or jsonl.")]


@app.command()
def messages(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    include_hidden: Annotated[
        bool,
        typer.Option(
            "--include-hidden",
            help="Also blocked users' messages, kept for the record (R-BLOCK-1), "
            "with a hidden column.",
        ),
    ] = False,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
) -> None:
    """Export messages in time order, streamed.

    Example: kchat export messages --since 2026-11-01 -o jsonl --out november.jsonl
    """
    from kchat_cli.domain.export import message_fields, message_rows
    from kchat_cli.files import private_output

    rt = runtime(ctx)
    with rt.read() as session, private_output(out) as stream:
        rows = message_rows(
            session, rt.channel_id, since=since, until=until, include_hidden=include_hidden
        )
        count = emit(
            rows,
            Format(output.value),
            stream=stream,
            fields=message_fields(include_hidden=include_hidden),
        )
    say(f"exported {count} messages" + (f" to {out}" if out else ""))
