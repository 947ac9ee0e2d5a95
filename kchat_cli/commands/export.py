"""kchat export: rooms, messages and the audit log, streamed as CSV or JSON lines."""

import enum
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.common import (
    AssigneeOption,
    BlockedOption,
    LabelOption,
    LeftOption,
    SinceOption,
    StarredOption,
    StatusOption,
    UntilOption,
    app_for,
    room_filter,
    runtime,
    say,
)
from kchat_cli.render import Format, emit

app = app_for("Export rooms, messages or the audit log as CSV or JSON lines, streamed.")


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
PiiOption = Annotated[
    bool,
    typer.Option(
        "--include-pii", help="Add the customer info users gave (R-PII-1); the export is audited."
    ),
]


def _write(out: Path | None, output: ExportFormat, rows, fields, *, plain: bool) -> int:
    from kchat_cli.files import private_output
    from kchat_cli.progress import tracked

    with private_output(out) as stream:
        rows = tracked(rows, "export", "rows") if out is not None else rows
        return emit(rows, Format(output.value), fields=fields, stream=stream, plain=plain)


def _audited(rt, action: str, details: dict, out: Path | None) -> None:
    """Record the export; first make sure it will not overwrite kchat's own files."""
    from kchat_cli.files import refuse_own
    from kchat_cli.store.engine import sqlite_path

    own = {"secret key": rt.home / "secret.key"}
    store = sqlite_path(rt.url)
    if store is not None:
        own |= {"store": store, "store's log": Path(f"{store}-wal")}
    refuse_own(out, own)
    rt.write(lambda session: None, action=action, details=details)


@app.command()
def rooms(
    ctx: typer.Context,
    status: StatusOption = None,
    label: LabelOption = None,
    assignee: AssigneeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    starred: StarredOption = False,
    blocked: BlockedOption = False,
    left: LeftOption = False,
    include_pii: PiiOption = False,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
) -> None:
    """Export room records (SPEC §3), newest first, with the filters of `rooms list`.

    Example: kchat export rooms --label VIP -o jsonl --out vip.jsonl
    """
    from kchat_cli.domain.reports.export import room_fields, room_rows

    rt = runtime(ctx)
    filt = room_filter(
        status, label, assignee, since, until, starred, blocked, left, 0, default_status="all"
    )
    _audited(rt, "export.rooms", {"include_pii": include_pii, "status": filt.effective_status}, out)
    sealer = rt.sealer() if include_pii else None
    with rt.read() as session:
        count = _write(
            out,
            output,
            room_rows(session, rt.channel_id, filt, sealer),
            room_fields(include_pii=include_pii),
            plain=False,
        )
    say(f"exported {count} rooms" + (f" to {out}" if out else ""))


@app.command()
def messages(
    ctx: typer.Context,
    status: StatusOption = None,
    label: LabelOption = None,
    assignee: AssigneeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    starred: StarredOption = False,
    blocked: BlockedOption = False,
    left: LeftOption = False,
    include_hidden: Annotated[
        bool,
        typer.Option(
            "--include-hidden",
            help="Also blocked users' messages, kept for the record "
            "(R-BLOCK-1), with a hidden column.",
        ),
    ] = False,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
) -> None:
    """Export messages in time order, streamed. --since/--until are the messages' times;
    the other filters choose rooms as `rooms list` does (default: every room).

    Example: kchat export messages --since 2026-11-01 -o jsonl --out november.jsonl
    """
    from kchat_cli.domain.reports.export import message_fields, message_rows

    rt = runtime(ctx)
    rooms_chosen = any([status, label, assignee, starred, blocked, left])
    filt = (
        room_filter(
            status, label, assignee, None, None, starred, blocked, left, 0, default_status="all"
        )
        if rooms_chosen
        else None
    )
    _audited(rt, "export.messages", {"include_hidden": include_hidden}, out)
    with rt.read() as session:
        rows = message_rows(
            session,
            rt.channel_id,
            since=since,
            until=until,
            rooms=filt,
            include_hidden=include_hidden,
            spreadsheet=output is ExportFormat.csv,
        )
        count = _write(
            out,
            output,
            rows,
            message_fields(include_hidden=include_hidden),
            plain=not include_hidden,
        )
    say(f"exported {count} messages" + (f" to {out}" if out else ""))


@app.command()
def audit(
    ctx: typer.Context,
    since: SinceOption = None,
    until: UntilOption = None,
    output: ExportOutput = ExportFormat.csv,
    out: OutOption = None,
) -> None:
    """Export the audit log in time order: who did what to which, and every view of
    personal data.

    Example: kchat export audit --since 30d --out audit.csv
    """
    from kchat_cli.domain.access.audit import AUDIT_FIELDS, entries

    rt = runtime(ctx)
    _audited(rt, "export.audit", {}, out)
    with rt.read() as session:
        rows = entries(session, rt.channel_id, since=since, until=until)
        count = _write(out, output, rows, AUDIT_FIELDS, plain=False)
    say(f"exported {count} audit entries" + (f" to {out}" if out else ""))
