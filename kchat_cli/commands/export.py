"""kchat export: rooms, messages and the audit log, streamed as CSV or JSON lines."""

import enum
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import SinceOption, UntilOption, room_filters
from kchat_cli.commands.speech import say
from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import Format, emit

app = app_for("Export rooms, messages or the audit log as CSV or JSON lines.")


class ExportFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write to this file (created 0600, in place only when complete) instead of "
        "standard output.",
    ),
]
ExportOutput = Annotated[ExportFormat, typer.Option("--output", "-o", help="csv or jsonl.")]
BomOption = Annotated[
    bool,
    typer.Option(
        "--bom",
        help="Start a CSV with a UTF-8 byte order mark, so that spreadsheets such as Excel "
        "read Korean text right.",
    ),
]
PiiOption = Annotated[
    bool,
    typer.Option("--include-pii", help="Add the customer info users gave; the export is audited."),
]


def _write(out: Path | None, output: ExportFormat, rows, fields, *, plain: bool, bom: bool) -> int:
    from kchat_cli.files import private_output
    from kchat_cli.progress import tracked

    with private_output(out) as stream:
        if bom:
            stream.write("\ufeff")
        rows = tracked(rows, "export", "rows") if out is not None else rows
        return emit(rows, Format(output.value), fields=fields, stream=stream, plain=plain)


def _check_bom(bom: bool, output: ExportFormat) -> None:
    if bom and output is not ExportFormat.csv:
        raise typer.BadParameter("a byte order mark is for -o csv only", param_hint="--bom")


def _export(ctx: typer.Context, out: Path | None, details: dict, rows_of) -> None:
    """An export: audited first (and refused if it would overwrite kchat's own files), then
    its rows, `rows_of(actor)`, streamed in one read transaction."""
    from kchat_cli.files import refuse_own

    rt = runtime(ctx)
    refuse_own(out, rt.own_files())
    rt.act(lambda actor: None, details=details)
    return rt.look(rows_of)


@app.command()
@room_filters(default_status="all")
def rooms(
    ctx: typer.Context,
    rooms,
    include_pii: PiiOption = False,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
    bom: BomOption = False,
) -> None:
    """Export room records, newest first, with the filters of `rooms list`.

    Example: kchat export rooms --label VIP -o jsonl --out vip.jsonl
    """
    from kchat_cli.domain.reports.export import room_fields, room_rows

    _check_bom(bom, output)
    rooms.limit = 0
    fields = room_fields(include_pii=include_pii)
    count = _export(
        ctx,
        out,
        {"include_pii": include_pii, "status": rooms.effective_status},
        lambda actor: _write(
            out, output, room_rows(actor, rooms, include_pii), fields, plain=False, bom=bom
        ),
    )
    say(f"exported {counted(count, 'room')}" + (f" to {out}" if out else ""))


@app.command()
@room_filters(default_status="all", period=False)
def messages(
    ctx: typer.Context,
    rooms,
    since: SinceOption = None,
    until: UntilOption = None,
    include_hidden: Annotated[
        bool,
        typer.Option(
            "--include-hidden",
            help="Also blocked users' messages, kept for the record with a hidden column.",
        ),
    ] = False,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
    bom: BomOption = False,
) -> None:
    """Export messages in time order, streamed. --since/--until are the messages' times;
    the other filters choose rooms as `rooms list` does (default: every room). In CSV the
    file's name, size, type and hash have columns of their own.

    Example: kchat export messages --since 2026-11-01 -o csv --bom --out november.csv
    """
    from kchat_cli.domain.reports.export import message_fields, message_rows

    _check_bom(bom, output)
    rooms.limit = 0
    spreadsheet = output is ExportFormat.csv
    fields = message_fields(include_hidden=include_hidden, spreadsheet=spreadsheet)

    def rows_of(actor):
        rows = message_rows(
            actor,
            since=since,
            until=until,
            rooms=rooms if rooms.chosen else None,
            include_hidden=include_hidden,
            spreadsheet=spreadsheet,
        )
        return _write(out, output, rows, fields, plain=not include_hidden, bom=bom)

    count = _export(ctx, out, {"include_hidden": include_hidden}, rows_of)
    say(f"exported {counted(count, 'message')}" + (f" to {out}" if out else ""))


@app.command()
def audit(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
    bom: BomOption = False,
) -> None:
    """Export the audit log in time order: who did what to which, and every view of
    personal data. Each entry's details are an object in JSON lines, its JSON text in CSV.

    Example: kchat export audit --since 30d --out audit.csv
    """
    from kchat_cli.domain.access.audit import AUDIT_FIELDS, entries

    _check_bom(bom, output)
    count = _export(
        ctx,
        out,
        {},
        lambda actor: _write(
            out,
            output,
            entries(actor, since=since, until=until),
            AUDIT_FIELDS,
            plain=False,
            bom=bom,
        ),
    )
    say(
        f"exported {counted(count, 'audit entry', 'audit entries')}" + (f" to {out}" if out else "")
    )
