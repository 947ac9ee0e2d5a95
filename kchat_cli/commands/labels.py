"""kchat labels: room labels (R-LABEL-1)."""

from typing import Annotated

import typer

from kchat_cli.commands.common import (
    DryRunOption,
    OutputOption,
    YesOption,
    app_for,
    confirmed,
    runtime,
    say,
)
from kchat_cli.domain.conversations import labels
from kchat_cli.render import Format, emit

app = app_for("Room labels (채팅방 라벨, R-LABEL-1), e.g. VIP, 단골, 재구매고객.")

NameArgument = Annotated[str, typer.Argument(help="The label.")]


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List labels with how many rooms carry each.

    Example: kchat labels list
    """
    rt = runtime(ctx)
    with rt.read() as session:
        records = labels.list_labels(session, rt.channel_id)
    emit(records, output, fields=labels.LABEL_FIELDS, empty="no labels")


@app.command()
def create(ctx: typer.Context, name: NameArgument) -> None:
    """Create a label.

    Example: kchat labels create 재구매고객
    """
    rt = runtime(ctx)
    rt.write(
        lambda session: labels.create(session, rt.channel_id, name),
        action="labels.create",
        target=f"label {name}",
    )
    say(f"label {name!r} created")


@app.command()
def rename(
    ctx: typer.Context, old: NameArgument, new: Annotated[str, typer.Argument(help="Its new name.")]
) -> None:
    """Rename a label; its rooms keep it.

    Example: kchat labels rename 단골 "단골 고객"
    """
    rt = runtime(ctx)
    rt.write(
        lambda session: labels.rename(session, rt.channel_id, old, new),
        action="labels.rename",
        target=f"label {old}",
        details={"to": new},
    )
    say(f"label {old!r} is now {new!r}")


@app.command()
def delete(
    ctx: typer.Context, name: NameArgument, yes: YesOption = False, dry_run: DryRunOption = False
) -> None:
    """Delete a label; it is removed from its rooms too (this cannot be undone).

    Example: kchat labels delete 이벤트 --yes
    """
    rt = runtime(ctx)
    with rt.read() as session:
        count = labels.rooms_with(session, rt.channel_id, name)
    say(f"label {name!r} is on {count} rooms")
    if dry_run:
        say("dry run: nothing deleted")
        return
    if confirmed(f"delete label {name!r} from {count} rooms", yes=yes):
        rt.write(
            lambda session: labels.delete(session, rt.channel_id, name),
            action="labels.delete",
            target=f"label {name}",
            details=lambda rooms: {"rooms": rooms},
        )
        say(f"label {name!r} deleted")
