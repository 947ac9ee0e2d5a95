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
    from kchat_cli.domain.setup.store import upgrade as upgrade_store

    emit_one(upgrade_store(runtime(ctx).url), output, fields=("store", "from", "to"))


@app.command()
def current(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Show the store's schema revision and the newest this kchat knows.

    Example: kchat db current
    """
    from kchat_cli.domain.setup.store import current as current_revision

    emit_one(current_revision(runtime(ctx).url), output, fields=("store", "current", "head"))
