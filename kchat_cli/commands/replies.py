"""kchat replies: saved replies (자주 쓰는 답변, R-SEND-3)."""

from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, YesOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.conversations import replies
from kchat_cli.render import Column, Format, emit, field

app = app_for("Saved replies (자주 쓰는 답변), sent with `send --reply NAME`.")

NameArgument = Annotated[str, typer.Argument(help="The reply's name.")]
TextArgument = Annotated[str, typer.Argument(help="Its text, up to 1,000 characters.")]
REPLY_TABLE = [
    Column("NAME", field("name"), cut=False),
    Column("TEXT", field("text")),
    Column("UPDATED", field("updated_at")),
]


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List saved replies.

    Example: kchat replies list
    """
    records = runtime(ctx).look(replies.list_replies)
    emit(records, output, fields=replies.REPLY_FIELDS, table=REPLY_TABLE, empty="no replies")


@app.command()
def create(ctx: typer.Context, name: NameArgument, text: TextArgument) -> None:
    """Save a reply.

    Example: kchat replies create 배송 "주문 후 2~3일 안에 받아보실 수 있어요."
    """
    rt = runtime(ctx)
    rt.act(replies.create, name, text, target=f"reply {name}")
    say(f"reply {name!r} saved")


@app.command()
def edit(ctx: typer.Context, name: NameArgument, text: TextArgument) -> None:
    """Change a saved reply's text.

    Example: kchat replies edit 배송 "주문 후 1~2일 안에 받아보실 수 있어요."
    """
    rt = runtime(ctx)
    rt.act(replies.edit, name, text, target=f"reply {name}")
    say(f"reply {name!r} changed")


@app.command()
def delete(ctx: typer.Context, name: NameArgument, yes: YesOption = False) -> None:
    """Delete a saved reply.

    Example: kchat replies delete 배송 --yes
    """
    rt = runtime(ctx)
    if confirmed(f"delete reply {name!r}", yes=yes):
        rt.act(replies.delete, name, target=f"reply {name}")
        say(f"reply {name!r} deleted")
