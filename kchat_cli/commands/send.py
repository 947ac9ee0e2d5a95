"""kchat send."""

from typing import Annotated

import typer

from kchat_cli.commands.common import OutputOption, runtime, say
from kchat_cli.commands.views import MESSAGE_TABLE
from kchat_cli.render import Format, emit

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def send(
    ctx: typer.Context,
    room: Annotated[int, typer.Argument(help="The room id.")],
    text: Annotated[str, typer.Argument(help="The message, up to 1,000 characters.")],
    output: OutputOption = Format.table,
) -> None:
    """Send a message to a room's user; it is queued in the outbox for delivery (R-SEND-1).

    Example: kchat send 42 "안녕하세요, 주문 확인해 드릴게요."
    """
    from kchat_cli.domain import actions, clock
    from kchat_cli.domain.listing import MESSAGE_FIELDS

    rt = runtime(ctx)

    def work(session):
        admin = rt.admin(session)
        return actions.send_text(
            session, rt.channel_id, room, admin_id=admin.id, text=text, now=clock.now()
        )

    record = rt.write(work)
    say(f"queued message {record['id']} to room {room}")
    emit([record], output, fields=MESSAGE_FIELDS, table=MESSAGE_TABLE)
