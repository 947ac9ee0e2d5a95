"""kchat users: block and unblock the users of rooms; the blocked list."""

from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, RoomArgument, limit_option
from kchat_cli.commands.speech import say, say_if_cut
from kchat_cli.domain.conversations.listing import ROOM_FIELDS, RoomFilter, list_rooms
from kchat_cli.render import Format, emit
from kchat_cli.room_verbs import act_on_room
from kchat_cli.views import ROOM_TABLE

app = app_for("Block and unblock users (친구차단).")


@app.command()
def block(ctx: typer.Context, room: RoomArgument) -> None:
    """Block a room's user: their messages get the automatic blocked reply, stay out of the
    room, and their later comments are hidden; a starred room loses its star.

    Example: kchat users block 12
    """
    say(act_on_room(runtime(ctx), "block", room))


@app.command()
def unblock(ctx: typer.Context, room: RoomArgument) -> None:
    """Unblock a room's user, unless the room was left while they were blocked.

    Example: kchat users unblock 12
    """
    say(act_on_room(runtime(ctx), "unblock", room))


@app.command()
def blocked(
    ctx: typer.Context,
    limit: Annotated[int, limit_option("0 for all.")] = 50,
    output: OutputOption = Format.table,
) -> None:
    """List blocked users' rooms apart (차단친구 목록).

    Their history up to the block can be read with `rooms show`.

    Example: kchat users blocked -o json
    """
    records = runtime(ctx).look(list_rooms, RoomFilter(blocked=True, limit=limit))
    emit(records, output, fields=ROOM_FIELDS, table=ROOM_TABLE, empty="no blocked users")
    say_if_cut(records, "blocked users' rooms")
