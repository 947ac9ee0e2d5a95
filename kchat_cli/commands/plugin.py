"""kchat plugin: the personal-info plugin (비즈플러그인 '개인정보이용', R-PII-1)."""

from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.personal_data import pii
from kchat_cli.render import Format, emit_one

app = app_for("The personal-info plugin that lets you request customer info.")


@app.command()
def register(
    ctx: typer.Context,
    biz_app: Annotated[
        str, typer.Option("--biz-app", metavar="APP", help="The biz app linked to the channel.")
    ],
    fields: Annotated[
        str, typer.Option("--fields", metavar="F,…", help="What it collects: name,phone,…")
    ],
) -> None:
    """Register the plugin for the channel (owners only); its status becomes `available`.

    Example: kchat plugin register --biz-app myshop --fields name,phone,address
    """
    names = fields.split(",")
    runtime(ctx).act(
        pii.register, biz_app=biz_app, fields=names, details={"biz_app": biz_app, "fields": names}
    )
    say(f"the personal-info plugin of {biz_app} is available")


@app.command()
def status(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Show the plugin's status (`available` or `not registered`) and fields.

    Example: kchat plugin status
    """
    record = runtime(ctx).look(pii.status)
    emit_one(record, output, fields=pii.PLUGIN_FIELDS)
