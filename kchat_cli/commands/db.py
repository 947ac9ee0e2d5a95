"""kchat db: schema migrations."""

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.render import Format, emit_one

app = app_for("Schema migrations.")


@app.command()
def upgrade(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Upgrade the store to this kchat's schema, keeping its data.

    Example: kchat db upgrade
    """
    emit_one(runtime(ctx).upgrade_store(), output, fields=("store", "from", "to", "files_moved"))


@app.command()
def current(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Show the store's schema revision and the newest this kchat knows.

    Example: kchat db current
    """
    emit_one(runtime(ctx).schema(), output, fields=("store", "current", "head"))
