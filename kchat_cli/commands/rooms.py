"""kchat rooms: list, show and manage chat rooms."""

import enum
import sys
from typing import Annotated

import typer

from kchat_cli.commands.common import (
    DryRunOption,
    OutputOption,
    RoomArgument,
    RoomsArgument,
    YesOption,
    app_for,
    confirmed,
    finish_bulk,
    limit_option,
    room_filters,
    room_tokens,
    runtime,
    say,
)
from kchat_cli.commands.views import MESSAGE_TABLE, ROOM_TABLE
from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS, ROOM_FIELDS, list_rooms
from kchat_cli.render import Format, emit, visible

app = app_for("List, read and manage chat rooms.")
RoomOrder = enum.StrEnum("RoomOrder", {"newest": "newest", "waiting": "waiting"})


def _actions():
    """The room actions, imported when a command acts: `rooms list` starts without the ORM."""
    from kchat_cli.domain.conversations import room_actions

    return room_actions


@app.command("list")
@room_filters()
def list_(
    ctx: typer.Context,
    rooms,
    limit: Annotated[int, limit_option("At most this many rooms; 0 for all.")] = 50,
    sort: Annotated[
        RoomOrder,
        typer.Option(
            "--sort",
            help="newest: by the last message; waiting: longest-waiting customer first.",
        ),
    ] = RoomOrder.newest,
    output: OutputOption = Format.table,
) -> None:
    """List rooms, newest first by their last message, or longest-waiting first.

    Example: kchat rooms list --sort waiting --who 김 -o json
    """
    rooms.limit = limit
    records = runtime(ctx).glance(list_rooms, rooms, sort=sort.value)
    emit(records, output, fields=ROOM_FIELDS, table=ROOM_TABLE, empty="no rooms")


@app.command()
def show(
    ctx: typer.Context,
    room: RoomArgument,
    peek: Annotated[bool, typer.Option("--peek", help="Do not mark the room read.")] = False,
    limit: Annotated[int, limit_option("The latest this many messages; 0 for all.")] = 100,
    everything: Annotated[
        bool, typer.Option("--all", help="The whole history (the same as --limit 0).")
    ] = False,
    output: OutputOption = Format.table,
) -> None:
    """Show a room and its history, marking read what it shows, unless --peek.

    A line marks where the new messages begin. With more unread messages than --limit, the
    oldest unread ones are shown and the rest stay unread: run it again for the next ones.

    Example: kchat rooms show 42 --peek
    """
    record = runtime(ctx).act(
        _actions().view_room,
        room,
        limit=0 if everything else limit,
        mark_read=not peek,
        target=f"room {room}",
    )
    messages = record["messages"]
    if output is Format.json:
        from kchat_cli.render import emit_one

        emit_one(
            record,
            output,
            fields=(*ROOM_FIELDS, "messages", "older_not_shown", "newer_not_shown"),
        )
    elif output is Format.table:
        _show_table(record)
    else:
        emit(messages, output, fields=(*MESSAGE_FIELDS, "new"))
    _say_what_was_left_out(record)


def _show_table(record: dict) -> None:
    labels = ", ".join(record["labels"]) or "-"
    typer.echo(
        visible(
            f"room {record['id']} · {record['name'] or record['user']} · "
            f"{record['status']} · labels {labels} · assignee {record['assignee'] or '-'}"
        )
    )
    if record["memo"]:
        typer.echo(visible(f"memo: {record['memo']}"))
    first_new = next((message["id"] for message in record["messages"] if message["new"]), None)

    def marker(message: dict) -> str:
        return "new" if message["id"] == first_new else ("·" if message["new"] else "")

    table = [("", marker), *MESSAGE_TABLE] if first_new is not None else MESSAGE_TABLE
    fields = (*MESSAGE_FIELDS, "new")
    emit(record["messages"], Format.table, fields=fields, table=table, empty="no messages")


def _say_what_was_left_out(record: dict) -> None:
    room = record["id"]
    if record["older_not_shown"]:
        say(
            f"{record['older_not_shown']:,} older messages not shown: "
            f"kchat rooms show {room} --all shows the whole history"
        )
    if record["newer_not_shown"]:
        say(
            f"{record['newer_not_shown']:,} newer messages not shown and still unread: "
            f"run kchat rooms show {room} again for the next ones, or add --all"
        )


def _bulk(ctx: typer.Context, tokens, room_action, verb: str, dry_run: bool) -> None:
    """A room action on the rooms given (ids, or - for standard input), summed up after."""
    from kchat_cli.domain.conversations.bulk import BulkReport

    rt, report = runtime(ctx), BulkReport()
    try:
        rt.bulk(tokens, room_action, dry_run=dry_run, report=report)
    except KeyboardInterrupt:
        say(
            f"interrupted: {len(report.changed)} {verb} in the batches done; the rest were not "
            "touched: run it again to finish"
        )
        raise
    finish_bulk(report, verb, dry_run=dry_run)


@app.command()
def read(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms read for every admin, clearing their unread counts (R-READ-1, R-UNR-2).

    Example: kchat rooms list --status unread -o ids | kchat rooms read -
    """
    _bulk(ctx, room_tokens(rooms), _actions().Read(), "marked read", dry_run)


@app.command()
def complete(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark consultations complete (R-DONE-1); a new message puts them back in progress.

    Example: kchat rooms complete 12 13
    """
    _bulk(ctx, room_tokens(rooms), _actions().Complete(), "completed", dry_run)


@app.command()
def reopen(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put completed consultations back in progress.

    Example: kchat rooms reopen 12
    """
    _bulk(ctx, room_tokens(rooms), _actions().Reopen(), "reopened", dry_run)


@app.command()
def star(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms important (중요표시); `rooms list --starred` shows them apart (R-STAR-1).

    Example: kchat rooms star 12 13
    """
    _bulk(ctx, room_tokens(rooms), _actions().Star(True), "starred", dry_run)


@app.command()
def unstar(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Remove the important mark.

    Example: kchat rooms unstar 12
    """
    _bulk(ctx, room_tokens(rooms), _actions().Star(False), "unstarred", dry_run)


@app.command()
def assign(
    ctx: typer.Context,
    rooms: RoomsArgument,
    to: Annotated[
        str | None, typer.Option("--to", metavar="LOGIN", help="The admin in charge (담당자).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Assign to no one.")] = False,
    dry_run: DryRunOption = False,
) -> None:
    """Assign rooms to one admin of the channel, or to no one (R-ASSIGN-1).

    Any admin can still send in any room.

    Example: kchat rooms list --status unread -o ids | kchat rooms assign - --to bob
    """
    if (to is None) == (not clear):
        raise typer.BadParameter("give --to LOGIN or --clear")
    _bulk(ctx, room_tokens(rooms), _actions().Assign(to), "assigned", dry_run)


@app.command()
def label(
    ctx: typer.Context,
    rooms: RoomsArgument,
    add: Annotated[
        list[str] | None,
        typer.Option("--add", metavar="LABEL", help="Add this label; repeatable."),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", metavar="LABEL", help="Remove this label; repeatable."),
    ] = None,
    dry_run: DryRunOption = False,
) -> None:
    """Add or remove labels on rooms (R-LABEL-1); labels are made with `labels create`.

    Example: kchat rooms list --since 30d --limit 0 -o ids | kchat rooms label - --add VIP
    """
    from kchat_cli.domain.conversations.labels import LabelChange

    change = LabelChange(add or [], remove or [])
    _bulk(ctx, room_tokens(rooms), change, "relabelled", dry_run)


@app.command()
def leave(
    ctx: typer.Context,
    rooms: RoomsArgument,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Leave rooms (채팅방 나가기): they go from every list until the user writes again,
    history and all (R-LEAVE-1).

    Leaving a blocked user's room makes the block permanent (R-LEAVE-2): that needs --yes,
    or an answer on a terminal.

    Example: kchat rooms leave 12 13
    """
    rt = runtime(ctx)
    tokens = list(room_tokens(rooms))
    if not yes and not dry_run and sys.stdin.isatty():
        blocked = rt.look(_actions().blocked_among, tokens)
        if blocked:
            yes = confirmed(
                f"{blocked} of these rooms belong to blocked users; leaving makes "
                "their blocks permanent. Leave them",
                yes=False,
            )
    _bulk(ctx, tokens, _actions().Leave(confirmed=yes), "left", dry_run)


@app.command()
def rename(
    ctx: typer.Context,
    room: RoomArgument,
    name: Annotated[str, typer.Argument(help="The new name; empty for the user's nickname.")],
) -> None:
    """Rename a room, so admins tell customers apart; names survive retention (R-ROOM-1).

    Example: kchat rooms rename 12 "김민지 (VIP, 강남점)"
    """
    runtime(ctx).act(_actions().rename, room, name, target=f"room {room}")
    say(f"room {room} renamed")


@app.command()
def memo(
    ctx: typer.Context,
    room: RoomArgument,
    text: Annotated[str, typer.Argument(help="The memo; empty to clear it.")],
) -> None:
    """Keep a memo on a room; memos survive retention (R-ROOM-1).

    Example: kchat rooms memo 12 "환불 완료 11/20, 재구매 의사 있음"
    """
    runtime(ctx).act(_actions().memo, room, text, target=f"room {room}")
    say(f"memo of room {room} saved")


@app.command("request-add")
def request_add(ctx: typer.Context, room: RoomArgument, output: OutputOption = Format.table):
    """Send a channel-add request (채널 추가 요청) to a user who is not a friend (R-ADDREQ-1).

    Example: kchat rooms request-add 12
    """
    from kchat_cli.commands.common import say_when_it_leaves
    from kchat_cli.domain.conversations.sending import Outgoing, send

    rt = runtime(ctx)
    record = rt.act(send, room, Outgoing(add_request=True), target=f"room {room}")
    say(f"queued a channel-add request to room {room}")
    say_when_it_leaves(rt, "it")
    emit([record], output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE)


@app.command("to-group")
def to_group(
    ctx: typer.Context,
    rooms: RoomsArgument,
    group: Annotated[str, typer.Option("--group", metavar="G", help="The friend group.")],
    dry_run: DryRunOption = False,
) -> None:
    """Add the users of rooms to a friend group (친구그룹, R-GROUP-1).

    Example: kchat rooms list --label VIP --limit 0 -o ids | kchat rooms to-group - --group VIP
    """
    from kchat_cli.domain.conversations.groups import AddToGroup

    _bulk(ctx, room_tokens(rooms), AddToGroup(group), "added to the group", dry_run)


@app.command()
def hold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put rooms under legal hold: retention keeps their messages until they are released.

    Example: kchat rooms hold 12
    """
    _bulk(ctx, room_tokens(rooms), _actions().Hold(True), "held", dry_run)


@app.command()
def unhold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Release rooms from legal hold; the next retention run deletes what has expired.

    Example: kchat rooms unhold 12
    """
    _bulk(ctx, room_tokens(rooms), _actions().Hold(False), "released", dry_run)
