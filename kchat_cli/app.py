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
from pathlib import Path
from typing import Annotated

import typer
from typer.main import get_command

from kchat_cli import __version__, interrupts
from kchat_cli.commands import COMMANDS
from kchat_cli.errors import (
    EXIT_ERROR,
    EXIT_USAGE,
    Invalid,
    KchatError,
    debug_traceback,
    describe,
    masked,
)
from kchat_cli.runtime import Runtime, home_setting
from kchat_cli.typer_internals import (
    Command,
    NoArgsIsHelpError,
    ParameterSource,
    UsageError,
    completion_item,
    start_completion,
)
from kchat_cli.usage import COMPLETE_VARIABLE, CommandGroup, speak_human, usage_error_line

EXAMPLES = (
    "kchat demo                           # a demo channel to try kchat on",
    "kchat rooms list --status unread     # rooms with messages nobody has read",
    "kchat rooms show 42                  # a room's history, marked read",
    'kchat send 42 "확인해 드릴게요." --complete',
    "kchat rooms list -o ids | kchat rooms read -",
    "kchat --as minji rooms list          # global options go before the command",
    "kchat completion bash                # shell completion (also zsh, fish)",
)
ARGV = "kchat.argv"  # the command line after `kchat`, kept in the root context's meta


def _usage_failure(exc: UsageError, argv: list[str]):
    """Every usage error ends here: one line on stderr, exit 2."""
    from kchat_cli.render import visible

    typer.echo(visible(f"error: {masked(usage_error_line(exc, argv))}"), err=True)
    raise typer.Exit(EXIT_USAGE) from None


class KchatGroup(CommandGroup):
    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def make_context(self, info_name, args, parent=None, **extra):
        argv = list(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_failure(exc, argv)
        ctx.meta[ARGV] = argv
        return ctx

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        for position, arg in enumerate(args, start=1):
            if not _is_utf8(arg):
                typer.echo(f"error: argument {position} is not valid UTF-8", err=True)
                raise typer.Exit(EXIT_USAGE)
        return super().parse_args(ctx, args)

    def summaries(self, ctx) -> list[tuple[str, str]]:
        """The commands and their summaries, from COMMANDS: no command module is imported."""
        return [(name, summary) for name, (_, summary) in COMMANDS.items()]

    def format_epilog(self, ctx, formatter) -> None:
        """A few real commands, after the list of commands, as they are typed."""
        with formatter.section("Examples"):
            for line in EXAMPLES:
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n")

    def shell_complete(self, ctx, incomplete: str):
        """Completes the command names from COMMANDS too, importing no command module."""
        commands = [
            completion_item(name, help=summary)
            for name, summary in self.summaries(ctx)
            if name.startswith(incomplete)
        ]
        return commands + Command.shell_complete(self, ctx, incomplete)

    def _main_shell_completion(self, ctx_args, prog_name: str, complete_var=None) -> None:
        """Answers the completion script (`kchat completion SHELL`) when it asks."""
        if os.environ.get(COMPLETE_VARIABLE):
            start_completion()
        super()._main_shell_completion(ctx_args, prog_name, COMPLETE_VARIABLE)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"kchat_cli.commands.{module_name}")
        command = get_command(module.app)
        command.name = cmd_name
        speak_human(command)
        return command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KchatError as exc:
            from kchat_cli.commands.speech import as_typed
            from kchat_cli.render import visible

            typer.echo(visible(f"error: {masked(as_typed(str(exc)))}"), err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as interrupt:
            raise typer.Exit(interrupts.exit_code(interrupt)) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise typer.Exit(0) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            _usage_failure(exc, ctx.meta.get(ARGV, []))
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except OSError as exc:
            from kchat_cli.render import visible

            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(visible(f"error: {exc.strerror or exc}{where}"), err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except Exception as exc:
            from kchat_cli.render import visible

            if os.environ.get("KCHAT_DEBUG"):
                typer.echo(debug_traceback(exc), err=True, nl=False)
                typer.echo(visible(f"error: {masked(describe(exc))}"), err=True)
                raise typer.Exit(EXIT_ERROR) from None
            typer.echo(
                visible(f"error: {masked(describe(exc))}; run with KCHAT_DEBUG=1 for a traceback"),
                err=True,
            )
            raise typer.Exit(EXIT_ERROR) from None


app = typer.Typer(
    cls=KchatGroup,
    name="kchat",
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
            metavar="PATH|URL",
            help="The store: a path, sqlite:///PATH or postgresql+psycopg://… "
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

    Global options go before the command; each command has its own --help.
    """
    given = {"db": ("db", db), "channel": ("channel", channel), "admin": ("acting", acting)}
    resolved = {key: _resolved(ctx, key, *named) for key, named in given.items()}
    home = home_setting()
    ctx.obj = Runtime(
        db=resolved["db"].value,
        folder=Path(home.value),
        channel_name=resolved["channel"].value,
        admin_login=resolved["admin"].value,
        command=ctx.invoked_subcommand or "",
        sources={"home": home.source, **{key: found.source for key, found in resolved.items()}},
    )


def _resolved(ctx: typer.Context, key: str, parameter: str, value: str | None):
    """A global option's setting (config.resolve), saying whether the option or its variable
    gave it."""
    from kchat_cli import config

    variable = config.VARIABLES[key]
    if value is not None and not _is_utf8(value):
        raise Invalid(f"{variable} (or its option) is not valid UTF-8")
    typed = ctx.get_parameter_source(parameter) is ParameterSource.COMMANDLINE
    return config.resolve(key, value, given_by="option" if typed else f"variable {variable}")


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
