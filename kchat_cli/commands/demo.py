"""kchat demo."""

import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import AsOfOption, OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.render import Format, emit_one
from kchat_cli.runtime import Runtime

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def demo(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", help="The demo channel's profile name.")
    ] = "데모카페",
    owner: Annotated[
        str, typer.Option("--owner", metavar="LOGIN", help="The demo owner's login.")
    ] = "owner",
    count: Annotated[int, typer.Option("--rooms", min=1, max=10_000, help="How many rooms.")] = 200,
    as_of: AsOfOption = None,
    output: OutputOption = Format.table,
) -> None:
    """Fill a demo channel with realistic rooms, creating the store.

    The same seed builds the same rooms every time; their times end at --as-of.
    Running it again changes nothing.

    Example: kchat demo && kchat rooms list
    """
    from kchat_cli import clock
    from kchat_cli.domain.setup import demo as demo_data
    from kchat_cli.progress import progress

    rt = runtime(ctx)
    now = clock.now()
    demo_data.prepare(rt.url, name, owner=owner, now=now)
    rt.channel_name = name
    with progress("demo", "events") as update:
        record = demo_data.build(
            rt.batches(),
            rt.channel(),
            count=count,
            anchor=as_of or now,
            now=now,
            home=rt.home,
            seal=rt.sealer().seal,
            on_batch=lambda done: update(done.applied),
        )
    emit_one(
        {"channel": name, **record},
        output,
        fields=("channel", "rooms", "applied", "duplicates", "refused"),
    )
    for line in next_steps(rt, owner):
        say(line)


def next_steps(rt: Runtime, owner: str) -> list[str]:
    """The lines to paste to go on with the demo store in one's own shell."""
    kchat = _program()
    outbox = rt.home.transport or str(rt.folder / "outbox.jsonl")
    shown_db = next(item["value"] for item in rt.settings() if item["setting"] == "db")
    store = [f"export KCHAT_DB={shlex.quote(shown_db)}"] if rt.db else []
    lines = [
        f"export KCHAT_HOME={shlex.quote(str(rt.folder))}",
        *store,
        f"export KCHAT_ADMIN={shlex.quote(owner)}",
        f"{kchat} auth send-code && {kchat} jobs run deliver",
        f"{kchat} auth verify CODE    # CODE: 6 digits, in the last code sent to {outbox}",
        f"{kchat} rooms list",
        f"{kchat} chat",
    ]
    return ["to go on with the demo in your shell, paste:", *("  " + line for line in lines)]


def _program() -> str:
    """kchat as it was run, to be run again: `.venv/bin/kchat`, or `kchat` when that is what
    the shell finds (or kchat ran as a module)."""
    ran = Path(sys.argv[0])
    found = shutil.which("kchat")
    if ran.name != "kchat" or (found and Path(found).resolve() == ran.resolve()):
        return "kchat"
    try:
        return shlex.quote(str(ran.absolute().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(ran.absolute()))
