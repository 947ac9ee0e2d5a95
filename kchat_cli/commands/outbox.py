"""kchat outbox."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, limit_option
from kchat_cli.commands.speech import say_if_cut
from kchat_cli.domain.outbox import OUTBOX_FIELDS, OUTBOX_STATUSES, list_outbox
from kchat_cli.render import Column, Format, emit, field, status_style

app = app_for("What the channel sends, and how its delivery went.")

OutboxStatus = enum.StrEnum("OutboxStatus", {name: name for name in OUTBOX_STATUSES})

OUTBOX_TABLE = [
    Column("ID", field("id")),
    Column("ROOM", field("room")),
    Column("KIND", field("kind"), cut=False),
    Column("TEXT", field("text")),
    Column("STATUS", field("status"), cut=False, style=status_style),
    Column("TRIES", field("attempts")),
    Column("CREATED", field("created_at")),
    Column("SENT", field("sent_at")),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        OutboxStatus | None,
        typer.Option("--status", help="Only items in this state [default: all]."),
    ] = None,
    limit: Annotated[
        int,
        limit_option("At most this many, newest first; 0 for all."),
    ] = 50,
    output: OutputOption = Format.table,
) -> None:
    """List outbox items, newest first.

    Example: kchat outbox list --status failed
    """
    records = runtime(ctx).look(list_outbox, status=status and status.value, limit=limit)
    empty = f"no {status.value} items" if status else "the outbox is empty"
    emit(records, output, fields=OUTBOX_FIELDS, table=OUTBOX_TABLE, empty=empty)
    say_if_cut(records, "outbox items")
