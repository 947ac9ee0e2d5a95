"""kchat config: the settings in effect and where each came from."""

import typer

from kchat_cli import config
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.render import Format, emit

app = app_for("The settings in effect and where each came from.")

WHEN_UNSET = {
    "channel": "the store's only channel",
    "admin": "the channel's only admin",
    "webhook_secret": "not set: kchat serve will not start",
}


@app.command()
def show(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Show each setting, its value and where it came from: option, variable, file or default.

    Options come first, then the variables (KCHAT_DB…), then the config file
    ($KCHAT_CONFIG, or kchat/config.toml in $XDG_CONFIG_HOME, ~/.config by default).
    A database password is never shown.

    Example: kchat --db ./team.db config show
    """
    path = config.config_path()
    say(f"config file: {path}" + ("" if path.exists() else " (there is none)"))
    emit(
        runtime(ctx).settings(),
        output,
        fields=("setting", "value", "source"),
        table=[
            ("SETTING", lambda record: record["setting"]),
            ("VALUE", _shown_value),
            ("SOURCE", lambda record: record["source"]),
        ],
    )


def _shown_value(record: dict) -> str:
    value = record["value"]
    return f"({WHEN_UNSET[record['setting']]})" if value is None else value
