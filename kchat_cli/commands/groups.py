"""kchat groups: friend groups (친구그룹, R-GROUP-1)."""

from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, YesOption
from kchat_cli.commands.speech import say, say_when_it_leaves
from kchat_cli.domain.conversations import groups
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import EXIT_PARTIAL
from kchat_cli.render import Format, emit

app = app_for("Friend groups (친구그룹); add users with `rooms to-group`.")

NameArgument = Annotated[str, typer.Argument(metavar="GROUP", help="The group.")]


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List friend groups with their member counts.

    Example: kchat groups list
    """
    records = runtime(ctx).look(groups.list_groups)
    emit(records, output, fields=groups.GROUP_FIELDS, empty="no groups")


@app.command()
def create(ctx: typer.Context, name: NameArgument) -> None:
    """Create a friend group.

    Example: kchat groups create 겨울이벤트
    """
    rt = runtime(ctx)
    rt.act(groups.create, name, target=f"group {name}")
    say(f"group {name!r} created")


@app.command()
def delete(ctx: typer.Context, name: NameArgument, yes: YesOption = False) -> None:
    """Delete a friend group (its members stay users of the channel).

    Example: kchat groups delete 겨울이벤트 --yes
    """
    rt = runtime(ctx)
    if confirmed(f"delete group {name!r}", yes=yes):
        count = rt.act(groups.delete, name, target=f"group {name}")
        say(f"group {name!r} deleted ({counted(count, 'member')})")


@app.command()
def members(ctx: typer.Context, name: NameArgument, output: OutputOption = Format.table) -> None:
    """List a group's members, with whether each is a friend and blocked.

    Example: kchat groups members 겨울이벤트 -o csv
    """
    records = runtime(ctx).look(groups.members, name)
    emit(records, output, fields=groups.MEMBER_FIELDS, empty="no members")


@app.command()
def message(
    ctx: typer.Context,
    name: NameArgument,
    text: Annotated[str, typer.Argument(help="The message, up to 1,000 characters.")],
) -> None:
    """Send a group message to the members who are friends and not blocked; the others are
    listed as skipped (exit 3 when some were).

    Example: kchat groups message 겨울이벤트 "겨울 한정 메뉴가 나왔어요!"
    """
    rt = runtime(ctx)
    queued, skipped = rt.act(
        groups.message,
        name,
        text,
        target=f"group {name}",
        details=lambda done: {"queued": done[0], "skipped": len(done[1])},
    )
    say(f"queued for {counted(queued, 'member')}, {len(skipped)} skipped")
    if queued:
        say_when_it_leaves(rt, "the message")
    for user, reason in skipped:
        say(f"  skipped {user}: {reason}")
    if skipped:
        raise typer.Exit(EXIT_PARTIAL)
