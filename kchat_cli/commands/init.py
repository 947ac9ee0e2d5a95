"""kchat init."""

from typing import Annotated

import typer

from kchat_cli.commands.common import OutputOption, runtime, say
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The channel's profile name.")],
    owner: Annotated[str, typer.Option("--owner", help="The owner's login.")],
    owner_name: Annotated[
        str | None,
        typer.Option(
            "--owner-name", help="The owner's name, shown to admins [default: the login]."
        ),
    ] = None,
    output: OutputOption = Format.table,
) -> None:
    """Create or upgrade the store, and create the channel and its owner.

    Example: kchat init --name 헬로카페 --owner alice
    """
    from kchat_cli import clock
    from kchat_cli.domain.setup.store import initialise

    rt = runtime(ctx)
    result = initialise(rt.url, name, owner=owner, owner_name=owner_name, now=clock.now())
    say(
        f"channel {result['channel']!r} "
        + ("created" if result["created"] else "exists")
        + f"; store {result['store']} at schema {result['schema']}"
    )
    emit_one(result, output, fields=("channel", "owner", "created", "schema", "store"))
