"""kchat chat: the full-screen console (kchat_cli.console)."""

from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.domain.vocabulary import MAX_ID

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def chat(
    ctx: typer.Context,
    room: Annotated[
        int | None,
        typer.Argument(
            metavar="ROOM",
            min=1,
            max=MAX_ID,
            help="The room to open [default: the longest-waiting].",
        ),
    ] = None,
) -> None:
    """Answer customers in a full-screen console.

    The queue of rooms, the open room and an input.

    Enter sends, Alt-Enter starts a new line, /help lists the slash commands, Ctrl-C quits.

    Example: kchat chat 42
    """
    from kchat_cli.console import ChatConsole

    rt = runtime(ctx)
    rt.engine()  # the access check, before the screen is taken
    ChatConsole(rt, room).run()
