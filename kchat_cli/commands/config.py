"""kchat config: the settings in effect and where each came from."""

import os

import typer
from typer._click.core import ParameterSource

from kchat_cli import config
from kchat_cli.commands.common import OutputOption, app_for, runtime, say
from kchat_cli.render import Format, emit

app = app_for("The settings in effect and where each came from.")

# setting -> the root option that sets it, for those that have one
OPTIONS = {"db": "db", "channel": "channel", "admin": "acting"}
WHEN_UNSET = {"channel": "the store's only channel", "admin": "the channel's only admin"}


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
    values = runtime(ctx).settings()
    records = [
        {"setting": key, "value": value, "source": _source(ctx, key)}
        for key, value in values.items()
    ]
    emit(
        records,
        output,
        fields=("setting", "value", "source"),
        table=[
            ("SETTING", lambda record: record["setting"]),
            ("VALUE", _shown_value),
            ("SOURCE", lambda record: record["source"]),
        ],
    )


def _source(ctx: typer.Context, key: str) -> str:
    variable = config.VARIABLES[key]
    if key in OPTIONS:
        given = ctx.find_root().get_parameter_source(OPTIONS[key])
        if given is ParameterSource.COMMANDLINE:
            return "option"
        if given is ParameterSource.ENVIRONMENT:
            return f"variable {variable}"
    elif os.environ.get(variable):
        return f"variable {variable}"
    return config.source() if config.from_file(key) else "default"


def _shown_value(record: dict) -> str:
    value = record["value"]
    return f"({WHEN_UNSET[record['setting']]})" if value is None else value
