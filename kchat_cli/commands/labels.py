"""kchat labels: room labels (R-LABEL-1)."""

from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import DryRunOption, OutputOption, YesOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.conversations import labels
from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import Format, emit

app = app_for("Room labels (채팅방 라벨), such as VIP, 단골 or 재구매고객.")

NameArgument = Annotated[str, typer.Argument(help="The label.")]


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List labels with how many rooms carry each.

    Example: kchat labels list
    """
    records = runtime(ctx).look(labels.list_labels)
    emit(records, output, fields=labels.LABEL_FIELDS, empty="no labels")


@app.command()
def create(ctx: typer.Context, name: NameArgument) -> None:
    """Create a label.

    Example: kchat labels create 재구매고객
    """
    rt = runtime(ctx)
    rt.act(labels.create, name, target=f"label {name}")
    say(f"label {name!r} created")


@app.command()
def rename(
    ctx: typer.Context, old: NameArgument, new: Annotated[str, typer.Argument(help="Its new name.")]
) -> None:
    """Rename a label; its rooms keep it.

    Example: kchat labels rename 단골 "단골 고객"
    """
    rt = runtime(ctx)
    rt.act(labels.rename, old, new, target=f"label {old}", details={"to": new})
    say(f"label {old!r} is now {new!r}")


@app.command()
def delete(
    ctx: typer.Context, name: NameArgument, yes: YesOption = False, dry_run: DryRunOption = False
) -> None:
    """Delete a label; it is removed from its rooms too (this cannot be undone).

    Example: kchat labels delete 이벤트 --yes
    """
    rt = runtime(ctx)
    count = rt.look(labels.rooms_with, name)
    say(f"label {name!r} is on {counted(count, 'room')}")
    if dry_run:
        say("dry run: nothing deleted")
        return
    if confirmed(f"delete label {name!r} from {counted(count, 'room')}", yes=yes):
        rt.act(labels.delete, name, target=f"label {name}", details=lambda rooms: {"rooms": rooms})
        say(f"label {name!r} deleted")
