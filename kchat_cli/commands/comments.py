"""kchat comments: users' comments on home posts (R-BLOCK-2)."""

from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, limit_option
from kchat_cli.commands.speech import say_if_cut
from kchat_cli.domain.conversations.comments import COMMENT_FIELDS, list_comments
from kchat_cli.render import Format, emit

app = app_for("Comments on the channel's home posts.")


@app.command("list")
def list_(
    ctx: typer.Context,
    hidden: Annotated[
        bool,
        typer.Option(
            "--hidden", help="Only the hidden ones: blocked users' comments after the block."
        ),
    ] = False,
    limit: Annotated[int, limit_option("0 for all.")] = 50,
    output: OutputOption = Format.table,
) -> None:
    """List comments, newest first; those hidden from other users only with --hidden.

    Example: kchat comments list --hidden
    """
    records = runtime(ctx).look(list_comments, hidden=hidden, limit=limit)
    emit(records, output, fields=COMMENT_FIELDS, empty="no comments")
    say_if_cut(records, "comments")
