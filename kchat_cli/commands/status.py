"""kchat status."""

import typer

from kchat_cli.commands.common import OutputOption, runtime
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def status(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """The channel at a glance: unread, rooms by status, chat open now, outbox, last jobs.

    Example: kchat status -o json
    """
    from kchat_cli import clock
    from kchat_cli.domain.reports.status import STATUS_FIELDS, channel_status

    rt = runtime(ctx)
    with rt.read() as session:
        record = channel_status(session, rt.channel_id, clock.now())
    emit_one(record, output, fields=STATUS_FIELDS)
