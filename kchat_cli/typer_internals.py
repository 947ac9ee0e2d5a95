"""What kchat uses of Typer below its public API (the Click it carries, its completion), in
one place: should Typer move them, only this module changes. The completion parts are
imported when used, to keep them off every command's start-up."""

from typer._click.core import Command, ParameterSource
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.globals import get_current_context

__all__ = [
    "BadOptionUsage",
    "BadParameter",
    "Command",
    "MissingParameter",
    "NoArgsIsHelpError",
    "NoSuchOption",
    "ParameterSource",
    "UsageError",
    "completion_item",
    "completion_script",
    "get_current_context",
    "start_completion",
]


def completion_item(value: str, help: str):
    from typer._click.shell_completion import CompletionItem

    return CompletionItem(value, help=help)


def start_completion() -> None:
    """Typer's own bash, zsh and fish answers, which its completion scripts read."""
    from typer._completion_classes import completion_init

    completion_init()


def completion_script(*, prog_name: str, complete_var: str, shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
