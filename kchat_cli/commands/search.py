"""kchat search."""

from typing import Annotated

import typer

from kchat_cli.commands.common import (
    AssigneeOption,
    BlockedOption,
    LabelOption,
    LeftOption,
    OutputOption,
    SinceOption,
    StarredOption,
    StatusOption,
    UntilOption,
    limit_option,
    room_filter,
    runtime,
)
from kchat_cli.commands.views import MESSAGE_TABLE
from kchat_cli.render import Format, emit

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What the messages contain (any length).")],
    status: StatusOption = None,
    label: LabelOption = None,
    assignee: AssigneeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    starred: StarredOption = False,
    blocked: BlockedOption = False,
    left: LeftOption = False,
    limit: Annotated[int, limit_option("0 for all.")] = 50,
    output: OutputOption = Format.table,
) -> None:
    """Find messages containing TEXT, Korean included, newest first. --since/--until are
    the messages' times; the other filters choose rooms as `rooms list` does.

    Example: kchat search 환불 --since 30d --label VIP
    """
    from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS
    from kchat_cli.domain.conversations.search import search as find

    rt = runtime(ctx)
    chosen = any([status, label, assignee, starred, blocked, left])
    rooms = (
        room_filter(
            status, label, assignee, None, None, starred, blocked, left, 0, default_status="all"
        )
        if chosen
        else None
    )
    with rt.read() as session:
        records = find(
            session, rt.channel_id, text, rooms=rooms, since=since, until=until, limit=limit
        )
    emit(records, output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE, empty="nothing found")
