"""kchat send."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.asking import written_in_editor
from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import OutputOption, RoomArgument
from kchat_cli.commands.speech import say, say_when_it_leaves
from kchat_cli.domain.vocabulary import MAX_ID
from kchat_cli.render import Format, emit
from kchat_cli.room_verbs import send_message
from kchat_cli.runtime import Runtime
from kchat_cli.views import MESSAGE_TABLE

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def send(
    ctx: typer.Context,
    room: RoomArgument,
    text: Annotated[
        str | None,
        typer.Argument(help="A text, up to 1,000 characters; - reads it from standard input."),
    ] = None,
    image: Annotated[
        Path | None, typer.Option("--image", help="A jpg, jpeg, png or gif up to 20 MiB.")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Any file up to 300 MiB.")] = None,
    reply: Annotated[
        str | None,
        typer.Option("--reply", metavar="NAME", help="A saved reply, by name."),
    ] = None,
    coupon: Annotated[
        int | None,
        typer.Option("--coupon", metavar="ID", min=1, max=MAX_ID, help="A coupon, to a friend."),
    ] = None,
    edit: Annotated[
        bool, typer.Option("--edit", help="Write the text in $VISUAL or $EDITOR.")
    ] = False,
    complete: Annotated[
        bool, typer.Option("--complete", help="Complete the consultation after sending.")
    ] = False,
    output: OutputOption = Format.table,
) -> None:
    """Send a text, image, file, saved reply or coupon to a room's user.

    One thing a message, queued in the outbox for delivery. The message records which
    admin sent it, for admins only; a completed consultation is back in progress.

    Example: kchat send 42 "안녕하세요, 주문 확인해 드릴게요." --complete
    """
    from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS
    from kchat_cli.domain.conversations.sending import Outgoing

    rt = runtime(ctx)
    if edit:
        text = text or ""
    elif text == "-":
        text = sys.stdin.read().rstrip("\n")
    outgoing = Outgoing(text=text, reply=reply, image=image, file=file, coupon=coupon)
    sending = _edited_and_sent if edit else send_message
    record = sending(rt, room, outgoing, complete=complete)
    say(f"queued message {record['id']} to room {room}" + (", completed" if complete else ""))
    say_when_it_leaves(rt, "it")
    emit([record], output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE)


def _edited_and_sent(rt: Runtime, room: int, outgoing, *, complete: bool) -> dict:
    """--edit: the room and the access check before the editor opens, the text's limits after
    it; a send refused after the editor ran keeps the draft (`written_in_editor`)."""
    from kchat_cli.domain.conversations.sending import check_text, sendable_room

    rt.look(sendable_room, room, for_update=False)
    with written_in_editor(outgoing.text) as written:
        outgoing.text = check_text(written)
        return send_message(rt, room, outgoing, complete=complete)
