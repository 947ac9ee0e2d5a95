"""kchat demo."""

from typing import Annotated

import typer

from kchat_cli.commands.common import AsOfOption, OutputOption, runtime, say
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def demo(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", help="The demo channel's profile name.")
    ] = "데모카페",
    owner: Annotated[str, typer.Option("--owner", help="The demo owner's login.")] = "owner",
    count: Annotated[int, typer.Option("--rooms", min=1, max=10_000, help="How many rooms.")] = 200,
    as_of: AsOfOption = None,
    output: OutputOption = Format.table,
) -> None:
    """Create (or upgrade) the store and fill a demo channel with realistic rooms.

    The same seed builds the same rooms every time; their times end at --as-of.
    Running it again changes nothing.

    Example: kchat demo && kchat rooms list
    """
    from kchat_cli import clock
    from kchat_cli.domain.setup import demo as demo_data
    from kchat_cli.domain.setup.store import initialise
    from kchat_cli.progress import progress

    rt = runtime(ctx)
    now = clock.now()
    initialise(rt.url, name, owner=owner, owner_name="김사장", now=now)
    rt.channel_name = name
    with progress("demo", "events") as update:
        record = demo_data.build(
            rt.engine(),
            rt.channel(),
            count=count,
            anchor=as_of or now,
            now=now,
            home=rt.home,
            seal=rt.sealer().seal,
            on_batch=lambda done: update(done.applied),
        )
    say(f"demo channel {name!r}: {record['applied']} events applied")
    emit_one(
        {"channel": name, **record},
        output,
        fields=("channel", "rooms", "applied", "duplicates", "refused"),
    )
