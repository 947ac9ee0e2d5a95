"""kchat outbox."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import OutputOption, app_for, limit_option, runtime
from kchat_cli.domain.upkeep.outbox import OUTBOX_FIELDS, OUTBOX_STATUSES, list_outbox
from kchat_cli.render import Format, clip, emit, field, short_time

app = app_for("What the channel sends, and how its delivery went.")

OutboxStatus = enum.StrEnum("OutboxStatus", {name: name for name in OUTBOX_STATUSES})

OUTBOX_TABLE = [
    ("ID", field("id")),
    ("ROOM", field("room")),
    ("KIND", field("kind")),
    ("TEXT", lambda item: clip(40)(item["text"])),
    ("STATUS", field("status")),
    ("TRIES", field("attempts")),
    ("CREATED", lambda item: short_time(item["created_at"])),
    ("SENT", lambda item: short_time(item["sent_at"])),
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
    emit(records, output, fields=OUTBOX_FIELDS, table=OUTBOX_TABLE, empty="the outbox is empty")
