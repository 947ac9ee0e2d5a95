"""kchat rooms: list, show and manage chat rooms."""

import enum
import sys
from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import (
    DryRunOption,
    OutputOption,
    RoomArgument,
    RoomsArgument,
    YesOption,
    limit_option,
    room_filters,
    room_tokens,
)
from kchat_cli.commands.speech import finish_bulk, say, say_if_cut
from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS, ROOM_FIELDS, list_rooms
from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import Format, emit, visible
from kchat_cli.room_verbs import VERBS, act_on_room, act_on_rooms
from kchat_cli.views import MESSAGE_TABLE, ROOM_TABLE

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
    emit(records, output, fields=ROOM_FIELDS, table=ROOM_TABLE, empty=_none_listed(rooms))
    say_if_cut(records, "rooms")


def _none_listed(rooms) -> str:
    if rooms.chosen:
        return "no rooms match these filters"
    return "no rooms" if rooms.status == "all" else "no rooms in progress"


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
    rt = runtime(ctx)
    record = rt.look(_actions().view_room, room, limit=0 if everything else limit)
    fields = (*MESSAGE_FIELDS, "new")
    messages = record["messages"] = [
        {name: message[name] for name in fields} for message in record["messages"]
    ]
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
        emit(messages, output, fields=fields)
    sys.stdout.flush()  # shown before it is marked: a closed pipe marks nothing
    through = None if peek else record["read_through"]
    rt.act(_actions().mark_shown, room, through, target=f"room {room}")
    _say_what_was_left_out(record)


def _show_table(record: dict) -> None:
    """The room's head, memo and messages, wrapped to the terminal and paged when longer."""
    from io import StringIO

    from kchat_cli.render import Column, page, screen_of

    screen = screen_of(sys.stdout)
    shown = StringIO()
    labels = ", ".join(record["labels"]) or "-"
    head = [
        f"room {record['id']} · {record['name'] or record['user']} · "
        f"{record['status']} · labels {labels} · assignee {record['assignee'] or '-'}"
    ]
    if record["memo"]:
        head.append(f"memo: {record['memo']}")
    shown.writelines(f"{line}\n" for text in head for line in _wrapped(visible(text), screen))
    first_new = next((message["id"] for message in record["messages"] if message["new"]), None)

    def marker(message: dict) -> str:
        return "new" if message["id"] == first_new else ("·" if message["new"] else "")

    table = MESSAGE_TABLE
    if first_new is not None:
        table = [Column("", marker, cut=False), *MESSAGE_TABLE]
    fields = (*MESSAGE_FIELDS, "new")
    emit(
        record["messages"],
        Format.table,
        fields=fields,
        table=table,
        empty="no messages",
        stream=shown,
        screen=screen,
    )
    page(shown.getvalue(), screen)


def _wrapped(text: str, screen) -> list[str]:
    """A line of the room's head within the screen, going on indented under itself."""
    from kchat_cli.render import wrap

    if screen.width is None:
        return [text]
    first, *rest = wrap(text, max(screen.width - 2, 20))
    return [first, *(f"  {line}" for line in rest)]


def _say_what_was_left_out(record: dict) -> None:
    room = record["id"]
    if record["older_not_shown"]:
        say(
            f"{counted(record['older_not_shown'], 'older message')} not shown: "
            f"kchat rooms show {room} --all shows the whole history"
        )
    if record["newer_not_shown"]:
        say(
            f"{counted(record['newer_not_shown'], 'newer message')} not shown and still unread: "
            f"run kchat rooms show {room} again for the next ones, or add --all"
        )


def _bulk(ctx: typer.Context, tokens, verb: str, *arguments, dry_run: bool) -> None:
    """A room verb on the rooms given (ids, or - for standard input), summed up after as
    `WHAT IT DID: N changed, N unchanged, N refused`."""
    from kchat_cli.domain.conversations.bulk import BulkReport

    report = BulkReport()
    try:
        _, said = act_on_rooms(
            runtime(ctx), verb, tokens, *arguments, dry_run=dry_run, report=report
        )
    except KeyboardInterrupt:
        say(
            f"interrupted: {len(report.changed):,} changed ({VERBS[verb].said(*arguments)}) in "
            "the batches done; the rest were not touched: run it again to finish"
        )
        raise
    finish_bulk(report, said, dry_run=dry_run)


@app.command()
def read(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms read for every admin, clearing their unread counts.

    Example: kchat rooms list --status unread -o ids | kchat rooms read -
    """
    _bulk(ctx, room_tokens(rooms), "read", dry_run=dry_run)


@app.command()
def complete(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark consultations complete; a new message puts them back in progress.

    Example: kchat rooms complete 12 13
    """
    _bulk(ctx, room_tokens(rooms), "complete", dry_run=dry_run)


@app.command()
def reopen(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put completed consultations back in progress.

    Example: kchat rooms reopen 12
    """
    _bulk(ctx, room_tokens(rooms), "reopen", dry_run=dry_run)


@app.command()
def star(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Mark rooms important (중요표시), for `rooms list --starred`.

    Example: kchat rooms star 12 13
    """
    _bulk(ctx, room_tokens(rooms), "star", dry_run=dry_run)


@app.command()
def unstar(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Remove the important mark.

    Example: kchat rooms unstar 12
    """
    _bulk(ctx, room_tokens(rooms), "unstar", dry_run=dry_run)


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
    """Assign rooms to one admin of the channel, or to no one.

    Any admin can still send in any room.

    Example: kchat rooms list --status unread -o ids | kchat rooms assign - --to bob
    """
    if (to is None) == (not clear):
        raise typer.BadParameter("give --to LOGIN or --clear")
    _bulk(ctx, room_tokens(rooms), "assign", to, dry_run=dry_run)


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
    """Add or remove labels on rooms; labels are made with `labels create`.

    Example: kchat rooms list --since 30d --limit 0 -o ids | kchat rooms label - --add VIP
    """
    _bulk(ctx, room_tokens(rooms), "label", add or [], remove or [], dry_run=dry_run)


@app.command()
def leave(
    ctx: typer.Context,
    rooms: RoomsArgument,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Leave rooms (채팅방 나가기) until their users write again.

    A left room goes from every list, history and all, until its user writes again.

    Leaving a blocked user's room makes the block permanent: that needs --yes,
    or an answer on a terminal.

    Example: kchat rooms leave 12 13
    """
    rt = runtime(ctx)
    tokens = list(room_tokens(rooms))
    if not yes and not dry_run and sys.stdin.isatty():
        from kchat_cli.domain.conversations.room_actions import blocked_among

        blocked = rt.look(blocked_among, tokens)
        if blocked:
            yes = confirmed(
                f"{blocked} of these rooms belong to blocked users; leaving makes their "
                "blocks permanent. Leave them"
                if blocked > 1
                else "1 of these rooms belongs to a blocked user; leaving makes the block "
                "permanent. Leave it",
                yes=False,
            )
    _bulk(ctx, tokens, "leave", yes, dry_run=dry_run)


@app.command()
def rename(
    ctx: typer.Context,
    room: RoomArgument,
    name: Annotated[str, typer.Argument(help="The new name; empty for the user's nickname.")],
) -> None:
    """Rename a room, so admins tell customers apart; names survive retention.

    Example: kchat rooms rename 12 "김민지 (VIP, 강남점)"
    """
    say(act_on_room(runtime(ctx), "rename", room, name))


@app.command()
def memo(
    ctx: typer.Context,
    room: RoomArgument,
    text: Annotated[str, typer.Argument(help="The memo; empty to clear it.")],
) -> None:
    """Keep a memo on a room; memos survive retention.

    Example: kchat rooms memo 12 "환불 완료 11/20, 재구매 의사 있음"
    """
    say(act_on_room(runtime(ctx), "memo", room, text))


@app.command("request-add")
def request_add(ctx: typer.Context, room: RoomArgument, output: OutputOption = Format.table):
    """Ask a non-friend user to add the channel (채널 추가 요청).

    Example: kchat rooms request-add 12
    """
    from kchat_cli.commands.speech import say_when_it_leaves
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
    group: Annotated[str, typer.Option("--group", metavar="GROUP", help="The friend group.")],
    dry_run: DryRunOption = False,
) -> None:
    """Add the users of rooms to a friend group (친구그룹).

    Example: kchat rooms list --label VIP --limit 0 -o ids | kchat rooms to-group - --group VIP
    """
    _bulk(ctx, room_tokens(rooms), "to-group", group, dry_run=dry_run)


@app.command()
def hold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Put rooms under legal hold: retention keeps their messages until they are released.

    Example: kchat rooms hold 12
    """
    _bulk(ctx, room_tokens(rooms), "hold", dry_run=dry_run)


@app.command()
def unhold(ctx: typer.Context, rooms: RoomsArgument, dry_run: DryRunOption = False) -> None:
    """Release rooms from legal hold; the next retention run deletes what has expired.

    Example: kchat rooms unhold 12
    """
    _bulk(ctx, room_tokens(rooms), "unhold", dry_run=dry_run)
