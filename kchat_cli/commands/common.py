"""What every command group stands on: its Typer app, and the runtime it acts through."""

import typer

from kchat_cli.runtime import Runtime
from kchat_cli.usage import CommandGroup


def app_for(help_text: str) -> typer.Typer:
    """A command group's Typer app; a group even when it has one command so far."""
    group = typer.Typer(
        cls=CommandGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )
    group.callback()(_group)
    return group


def _group(ctx: typer.Context) -> None:
    """A group's own callback: it names the command run, for the access check."""
    runtime(ctx).command += f" {ctx.invoked_subcommand}"


def runtime(ctx: typer.Context) -> Runtime:
    return ctx.find_root().obj
