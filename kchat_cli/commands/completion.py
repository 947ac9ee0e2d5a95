"""kchat completion: the script that lets bash, zsh or fish complete kchat's commands."""

import enum
from typing import Annotated

import typer

from kchat_cli.usage import COMPLETE_VARIABLE

app = typer.Typer(add_completion=False, rich_markup_mode=None)


class Shell(enum.StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command()
def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Load it from your shell's start-up file: in ~/.bashrc or ~/.zshrc (after compinit),
    eval "$(kchat completion bash)" (or zsh); for fish, save it as
    ~/.config/fish/completions/kchat.fish.

    Example: kchat completion fish > ~/.config/fish/completions/kchat.fish
    """
    from kchat_cli.typer_internals import completion_script

    script = completion_script(prog_name="kchat", complete_var=COMPLETE_VARIABLE, shell=shell.value)
    typer.echo(script)
