"""kchat init."""

from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The channel's profile name.")],
    owner: Annotated[str, typer.Option("--owner", metavar="LOGIN", help="The owner's login.")],
    owner_name: Annotated[
        str | None,
        typer.Option(
            "--owner-name",
            metavar="NAME",
            help="The owner's name, shown to admins [default: the login].",
        ),
    ] = None,
    new_channel: Annotated[
        bool,
        typer.Option(
            "--new-channel",
            help="Add this channel to a store that already has another one; every command "
            "there must then name its channel.",
        ),
    ] = False,
    output: OutputOption = Format.table,
) -> None:
    """Create the store (or upgrade it), the channel and its owner.

    A store that has a channel gets another one only with --new-channel.

    Example: kchat init --name 헬로카페 --owner alice
    """
    from kchat_cli import clock
    from kchat_cli.domain.setup.store import initialise

    rt = runtime(ctx)
    result = initialise(
        rt.url, name, owner=owner, owner_name=owner_name, now=clock.now(), new_channel=new_channel
    )
    emit_one(result, output, fields=("channel", "owner", "created", "schema", "store"))
