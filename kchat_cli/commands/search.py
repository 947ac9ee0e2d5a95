"""kchat search."""

from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import (
    OutputOption,
    SinceOption,
    UntilOption,
    limit_option,
    room_filters,
)
from kchat_cli.commands.speech import say_if_cut
from kchat_cli.render import Format, emit
from kchat_cli.views import search_table

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
@room_filters(default_status="all", period=False)
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What the messages contain (any length).")],
    rooms,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, limit_option("0 for all.")] = 50,
    output: OutputOption = Format.table,
) -> None:
    """Find messages containing TEXT, Korean included, newest first.

    Each hit names its room and customer. --since/--until are the messages' times; the
    other filters choose rooms as `rooms list` does, in every status unless --status.

    Example: kchat search 환불 --since 30d --label VIP
    """
    from kchat_cli.domain.conversations.search import SEARCH_FIELDS
    from kchat_cli.domain.conversations.search import search as find

    records = runtime(ctx).look(
        find, text, rooms=rooms if rooms.chosen else None, since=since, until=until, limit=limit
    )
    emit(records, output, fields=SEARCH_FIELDS, table=search_table(text), empty="nothing found")
    say_if_cut(records, "messages found")
