"""kchat rooms: list, show and manage chat rooms."""

import sys
from typing import Annotated

import typer

from kchat_cli import clock
from kchat_cli.commands.common import (
    AssigneeOption,
    BlockedOption,
    DryRunOption,
    LabelOption,
    LeftOption,
    OutputOption,
    RoomArgument,
    RoomsArgument,
    SinceOption,
    StarredOption,
    StatusOption,
    UntilOption,
    YesOption,
    app_for,
    confirmed,
    finish_bulk,
    limit_option,
    room_filter,
    room_tokens,
    runtime,
    say,
)
from kchat_cli.commands.views import MESSAGE_TABLE, ROOM_TABLE
from kchat_cli.domain.conversations import actions
from kchat_cli.domain.conversations.listing import (
    MESSAGE_FIELDS,
    ROOM_FIELDS,
    list_rooms,
)
from kchat_cli.render import Format, emit, visible

app = app_for("List, read and manage chat rooms.")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: StatusOption = None,
    label: LabelOption = None,
    assignee: AssigneeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    starred: StarredOption = False,
    blocked: BlockedOption = False,
    left: LeftOption = False,
    limit: Annotated[int, limit_option("At most this many rooms; 0 for all.")] = 50,
    output: OutputOption = Format.table,
) -> None:
    """List rooms, newest first, by the time of their last message (R-FILTER-1).

    Example: kchat rooms list --status unread --since 7d -o json
    """
    rt = runtime(ctx)
    filt = room_filter(status, label, assignee, since, until, starred, blocked, left, limit)
    with rt.read() as session:
        records = list_rooms(session, rt.channel_id, filt)
    emit(records, output, fields=ROOM_FIELDS, table=ROOM_TABLE, empty="no rooms")


@app.command()
def show(
    ctx: typer.Context,
    room: RoomArgument,
    peek: Annotated[bool, typer.Option("--peek", help="Do not mark the room read.")] = False,
    limit: Annotated[int, limit_option("The latest this many messages; 0 for all.")] = 100,
    output: OutputOption = Format.table,
) -> None:
    """Show a room and its history; this marks it read for every admin unless --peek.

    Example: kchat rooms show 42 --peek
    """
    rt = runtime(ctx)
    record = rt.write(
        lambda session: actions.view_room(
            session, rt.channel_id, room, limit=limit, mark_read=not peek
        ),
        action="rooms.show",
        target=f"room {room}",
    )
    messages = record["messages"]
    if output is Format.json:
        from kchat_cli.render import emit_one

        emit_one(record, output, fields=(*ROOM_FIELDS, "messages"))
    elif output is Format.table:
        labels = ", ".join(record["labels"]) or "-"
        typer.echo(
            visible(
                f"room {record['id']} · {record['name'] or record['user']} · "
                f"{record['status']} · labels {labels} · assignee {record['assignee'] or '-'}"
            )
        )
        if record["memo"]:
            typer.echo(visible(f"memo: {record['memo']}"))
        emit(messages, output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE, empty="no messages")
    else:
        emit(messages, output, fields=MESSAGE_FIELDS)


def _bulk(
    ctx: typer.Context, room_args: list[str], room_action, verb: str, dry_run: bool, *, action: str
) -> None:
    from kchat_cli.domain.conversations.bulk import BulkReport

    rt, report = runtime(ctx), BulkReport()
    try:
        rt.apply_to_rooms(
            room_tokens(room_args), room_action, action=action, dry_run=dry_run, report=report
        )
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
    _bulk(ctx, rooms, actions.read, "marked read", dry_run, action="rooms.read")


@app.command()
def complete(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark consultations complete (R-DONE-1); a new message puts them back in progress.

    Example: kchat rooms complete 12 13
    """
    rt = runtime(ctx)
    _bulk(
        ctx,
        rooms,
        actions.Complete(rt.channel_id, clock.now()),
        "completed",
        dry_run,
        action="rooms.complete",
    )


@app.command()
def reopen(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put completed consultations back in progress.

    Example: kchat rooms reopen 12
    """
    _bulk(ctx, rooms, actions.reopen, "reopened", dry_run, action="rooms.reopen")


@app.command()
def star(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms important (중요표시); `rooms list --starred` shows them apart (R-STAR-1).

    Example: kchat rooms star 12 13
    """
    _bulk(ctx, rooms, actions.starrer(True), "starred", dry_run, action="rooms.star")


@app.command()
def unstar(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Remove the important mark.

    Example: kchat rooms unstar 12
    """
    _bulk(ctx, rooms, actions.starrer(False), "unstarred", dry_run, action="rooms.unstar")


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
    rt = runtime(ctx)
    _bulk(ctx, rooms, actions.Assign(rt.channel_id, to), "assigned", dry_run, action="rooms.assign")


@app.command()
def label(
    ctx: typer.Context,
    rooms: RoomsArgument,
    add: Annotated[
        list[str] | None, typer.Option("--add", metavar="LABEL", help="Add this label; repeatable.")
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

    rt = runtime(ctx)
    _bulk(
        ctx,
        rooms,
        LabelChange(rt.channel_id, add or [], remove or []),
        "relabelled",
        dry_run,
        action="rooms.label",
    )


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
        with rt.read() as session:
            blocked = count_blocked(session, rt.channel_id, tokens)
        if blocked:
            yes = confirmed(
                f"{blocked} of these rooms belong to blocked users; leaving makes "
                "their blocks permanent. Leave them",
                yes=False,
            )
    report = rt.apply_to_rooms(
        tokens, actions.leaver(clock.now(), confirmed=yes), action="rooms.leave", dry_run=dry_run
    )
    finish_bulk(report, "left", dry_run=dry_run)


def count_blocked(session, channel_id: int, tokens: list[str]) -> int:
    from kchat_cli.domain.conversations.bulk import parse_room_ids
    from kchat_cli.domain.conversations.rooms import load_rooms

    ids, _ = parse_room_ids(tokens)
    found = load_rooms(session, channel_id, ids=ids, for_update=False)
    return sum(room.blocked_at is not None and not room.block_permanent for room in found)


@app.command()
def rename(
    ctx: typer.Context,
    room: RoomArgument,
    name: Annotated[str, typer.Argument(help="The new name; empty for the user's nickname.")],
) -> None:
    """Rename a room, so admins tell customers apart; names survive retention (R-ROOM-1).

    Example: kchat rooms rename 12 "김민지 (VIP, 강남점)"
    """
    rt = runtime(ctx)
    rt.write(
        lambda session: actions.rename(session, rt.channel_id, room, name),
        action="rooms.rename",
        target=f"room {room}",
    )
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
    rt = runtime(ctx)
    rt.write(
        lambda session: actions.memo(session, rt.channel_id, room, text),
        action="rooms.memo",
        target=f"room {room}",
    )
    say(f"memo of room {room} saved")


@app.command("request-add")
def request_add(
    ctx: typer.Context,
    room: RoomArgument,
    output: OutputOption = Format.table,
) -> None:
    """Send a channel-add request (채널 추가 요청) to a user who is not a friend (R-ADDREQ-1).

    Example: kchat rooms request-add 12
    """
    from kchat_cli.commands.views import MESSAGE_TABLE
    from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS

    rt = runtime(ctx)
    outgoing = actions.Outgoing(add_request=True)
    record = rt.write(
        lambda session: actions.send(
            session,
            rt.channel_id,
            room,
            outgoing,
            admin_id=rt.admin(session).id,
            home=rt.home,
            now=clock.now(),
        ),
        action="rooms.request-add",
        target=f"room {room}",
    )
    say(f"queued a channel-add request to room {room}")
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

    rt = runtime(ctx)
    _bulk(
        ctx,
        rooms,
        AddToGroup(rt.channel_id, group),
        "added to the group",
        dry_run,
        action="rooms.to-group",
    )


@app.command()
def hold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put rooms under legal hold: retention keeps their messages until they are released.

    Example: kchat rooms hold 12
    """
    _bulk(ctx, rooms, actions.holder(True), "held", dry_run, action="rooms.hold")


@app.command()
def unhold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Release rooms from legal hold; the next retention run deletes what has expired.

    Example: kchat rooms unhold 12
    """
    _bulk(ctx, rooms, actions.holder(False), "released", dry_run, action="rooms.unhold")
