"""kchat unread. Kept light: no models, no ORM (its whole run has a 0.5 s budget)."""

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def unread(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Print how many customer messages no admin has read.

    Example: kchat unread
    """
    from kchat_cli.store.catalog import unread_total

    rt = runtime(ctx)
    with rt.engine().connect() as connection:
        total = unread_total(connection, rt.channel().id)
    if output is Format.table:
        typer.echo(total)
    else:
        emit_one(
            {"channel": rt.channel().name, "unread": total}, output, fields=("channel", "unread")
        )
