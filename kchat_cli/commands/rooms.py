"""kchat rooms: list, show and manage chat rooms."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import (
    DryRunOption,
    OutputOption,
    RoomsArgument,
    SinceOption,
    UntilOption,
    app_for,
    finish_bulk,
    room_tokens,
    runtime,
)
from kchat_cli.commands.views import MESSAGE_TABLE, ROOM_TABLE
from kchat_cli.domain import actions, clock
from kchat_cli.domain.bulk import apply_to_rooms
from kchat_cli.domain.listing import (
    MESSAGE_FIELDS,
    ROOM_FIELDS,
    STATUS_FILTERS,
    RoomFilter,
    list_rooms,
)
from kchat_cli.render import Format, emit

app = app_for("List, read and manage chat rooms.")

StatusFilter = enum.StrEnum(
    "StatusFilter", {name.replace("-", "_"): name for name in STATUS_FILTERS}
)


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        StatusFilter | None,
        typer.Option("--status", "-s", help="[default: in-progress; all with --left or --blocked]"),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label", "-l", help="Only rooms with this label; repeat for rooms with all."
        ),
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option(
            "--assignee", metavar="LOGIN|none", help="Only rooms assigned to LOGIN, or to no one."
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    starred: Annotated[bool, typer.Option("--starred", help="Only starred rooms.")] = False,
    blocked: Annotated[bool, typer.Option("--blocked", help="Blocked users' rooms.")] = False,
    left: Annotated[bool, typer.Option("--left", help="Rooms that were left.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="At most this many rooms; 0 for all.")
    ] = 50,
    output: OutputOption = Format.table,
) -> None:
    """List rooms, newest first, by the time of their last message (R-FILTER-1).

    Example: kchat rooms list --status unread --since 7d -o json
    """
    rt = runtime(ctx)
    filt = RoomFilter(
        status=status and status.value,
        labels=label or [],
        assignee=assignee,
        since=since,
        until=until,
        starred=starred,
        blocked=blocked,
        left=left,
        limit=limit,
    )
    with rt.read() as session:
        records = list_rooms(session, rt.channel_id, filt)
    emit(records, output, fields=ROOM_FIELDS, table=ROOM_TABLE, empty="no rooms")


@app.command()
def show(
    ctx: typer.Context,
    room: Annotated[int, typer.Argument(help="The room id.")],
    peek: Annotated[bool, typer.Option("--peek", help="Do not mark the room read.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="The latest this many messages; 0 for all.")
    ] = 100,
    output: OutputOption = Format.table,
) -> None:
    """Show a room and its history; this marks it read for every admin unless --peek.

    Example: kchat rooms show 42 --peek
    """
    rt = runtime(ctx)
    record = rt.write(
        lambda session: actions.view_room(
            session, rt.channel_id, room, limit=limit, mark_read=not peek
        )
    )
    messages = record["messages"]
    if output is Format.json:
        from kchat_cli.render import emit_one

        emit_one(record, output, fields=(*ROOM_FIELDS, "messages"))
    elif output is Format.table:
        labels = ", ".join(record["labels"]) or "-"
        typer.echo(
            f"room {record['id']} · {record['name'] or record['user']} · "
            f"{record['status']} · labels {labels} · assignee {record['assignee'] or '-'}"
        )
        if record["memo"]:
            typer.echo(f"memo: {record['memo']}")
        emit(messages, output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE, empty="no messages")
    else:
        emit(messages, output, fields=MESSAGE_FIELDS)


def _bulk(ctx: typer.Context, room_args: list[str], action, verb: str, dry_run: bool) -> None:
    rt = runtime(ctx)
    report = apply_to_rooms(
        rt.engine(), rt.channel_id, room_tokens(room_args), action, dry_run=dry_run
    )
    finish_bulk(report, verb, dry_run=dry_run)


@app.command()
def read(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms read for every admin, clearing their unread counts (R-READ-1, R-UNR-2).

    Example: kchat rooms list --status unread -o ids | kchat rooms read -
    """
    _bulk(ctx, rooms, actions.read, "marked read", dry_run)


@app.command()
def complete(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark consultations complete (R-DONE-1); a new message puts them back in progress.

    Example: kchat rooms complete 12 13
    """
    _bulk(ctx, rooms, actions.completer(clock.now()), "completed", dry_run)


@app.command()
def reopen(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put completed consultations back in progress.

    Example: kchat rooms reopen 12
    """
    _bulk(ctx, rooms, actions.reopen, "reopened", dry_run)
