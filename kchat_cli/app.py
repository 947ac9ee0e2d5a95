"""The root command: global options, the command groups, and the one place errors become
exit codes.

Command modules are imported only when their command runs (`KchatGroup.get_command`), and
`kchat --help` lists them from their summaries in COMMANDS, so a light command such as
`kchat unread` never pays for the others' imports.
"""

import contextlib
import importlib
import os
import sys
from typing import Annotated

import typer
from typer._click.utils import make_default_short_help  # the one click help uses
from typer.core import TyperGroup
from typer.main import get_command

from kchat_cli import __version__, interrupts
from kchat_cli.commands import COMMANDS
from kchat_cli.errors import EXIT_ERROR, EXIT_USAGE, Invalid, KchatError, describe, masked
from kchat_cli.runtime import Runtime, default_home


class KchatGroup(TyperGroup):
    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        for position, arg in enumerate(args, start=1):
            if not _is_utf8(arg):
                typer.echo(f"error: argument {position} is not valid UTF-8", err=True)
                raise typer.Exit(EXIT_USAGE)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx, formatter) -> None:
        """The commands and their summaries, from COMMANDS: no command module is imported."""
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, make_default_short_help(summary, width))
            for name, (_, summary) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"kchat_cli.commands.{module_name}")
        command = get_command(module.app)
        command.name = cmd_name
        return command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KchatError as exc:
            from kchat_cli.render import visible

            typer.echo(visible(f"error: {masked(str(exc))}"), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as interrupt:
            raise typer.Exit(interrupts.exit_code(interrupt)) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except OSError as exc:
            from kchat_cli.render import visible

            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(visible(f"error: {exc.strerror or exc}{where}"), err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except Exception as exc:
            if os.environ.get("KCHAT_DEBUG"):
                raise
            from kchat_cli.render import visible

            typer.echo(
                visible(f"error: {masked(describe(exc))}; run with KCHAT_DEBUG=1 for a traceback"),
                err=True,
            )
            raise typer.Exit(EXIT_ERROR) from None


app = typer.Typer(
    cls=KchatGroup,
    help="Run a business channel's 1:1 customer chat from a shell.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kchat {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="KCHAT_DB",
            metavar="URL",
            help="The store: sqlite:///PATH or postgresql+psycopg://… "
            "[default: kchat.db under KCHAT_HOME]",
        ),
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            envvar="KCHAT_CHANNEL",
            metavar="NAME",
            help="The channel's profile name (may be left out when the store has one).",
        ),
    ] = None,
    acting: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="KCHAT_ADMIN",
            metavar="LOGIN",
            help="The admin you act as (may be left out when the channel has one).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Run a business channel's 1:1 customer chat from a shell.

    Example: kchat rooms list --status unread
    """
    for variable, value in (("KCHAT_DB", db), ("KCHAT_CHANNEL", channel), ("KCHAT_ADMIN", acting)):
        if value is not None and not _is_utf8(value):
            raise Invalid(f"{variable} (or its option) is not valid UTF-8")
    ctx.obj = Runtime(
        db=db,
        folder=default_home(),
        channel_name=channel,
        admin_login=acting,
        command=ctx.invoked_subcommand or "",
    )


def _is_utf8(text: str) -> bool:
    """Arguments arrive decoded with surrogate escapes: an escaped byte was not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _quiet_stdout() -> None:
    """The reader went away (`kchat … | head`), as `git log | head` knows: not an error, and
    nothing more to say to it, not even at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main() -> None:
    interrupts.install()
    try:
        app()
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)
