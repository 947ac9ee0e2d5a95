"""kchat status."""

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def status(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """The channel at a glance: unread, rooms, hours, outbox, jobs.

    Unread messages, rooms by status, whether chat is open now, the outbox and the last
    job runs.

    Example: kchat status -o json
    """
    from kchat_cli.domain.reports.status import STATUS_FIELDS, channel_status

    record = runtime(ctx).glance(channel_status)
    emit_one(record, output, fields=STATUS_FIELDS)
