"""kchat chat: the full-screen console (kchat_cli.console)."""

import sys
from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.speech import say
from kchat_cli.domain.vocabulary import MAX_ID
from kchat_cli.errors import Invalid
from kchat_cli.render import visible

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
    rt = runtime(ctx)
    rt.engine()  # the access check, before the screen is taken
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise Invalid("kchat chat needs a terminal", "in scripts: rooms list, rooms show, send")
    if room is not None:
        from kchat_cli.domain.conversations.room_actions import room_record

        rt.mirror("rooms show").look(room_record, room)
    from kchat_cli.console.app import ChatConsole

    console = ChatConsole(rt, room)
    console.run()
    for traceback in console.tracebacks:
        say(traceback.rstrip("\n"))
    for typed in console.sending:  # left at once while it was being sent
        say(visible(f"maybe not sent (see kchat rooms show {typed.room}): {typed.text}"))
    for room, draft in console.drafts.items():
        say(visible(f"not sent, a draft in room {room}: {draft}"))
    if console.failure is not None:
        raise console.failure
