"""kchat customer-info: request and view customer info (R-PII-1, R-PII-2)."""

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, RoomArgument
from kchat_cli.commands.speech import say
from kchat_cli.domain.personal_data import pii
from kchat_cli.render import Format, emit_one

app = app_for("Request and read customer info; it is destroyed after 3 days.")


@app.command()
def request(ctx: typer.Context, room: RoomArgument) -> None:
    """Ask the room's user to consent to give their info (once; their consent answers it).

    Example: kchat customer-info request 12
    """
    runtime(ctx).act(
        pii.request,
        room,
        target=f"room {room}",
        details=lambda request_id: {"request": request_id},
    )
    say(f"consent request sent to room {room}")


@app.command()
def show(ctx: typer.Context, room: RoomArgument, output: OutputOption = Format.table) -> None:
    """Show the customer info the room's user gave, until it is destroyed (this view is
    audited).

    Example: kchat customer-info show 12 -o json
    """
    record = runtime(ctx).act(pii.show, room, target=f"room {room}")
    emit_one(record, output, fields=pii.INFO_FIELDS)
