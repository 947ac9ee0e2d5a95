"""kchat admins: the channel's admins; owners manage them (R-ROLE-1)."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.asking import confirmed
from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption, YesOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import Format, emit

app = app_for("The channel's admins.")

ADMIN_FIELDS = ("id", "login", "name", "role", "additional_auth", "notifications", "created_at")


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List the channel's admins (phone numbers are not shown).

    Example: kchat admins list -o json
    """
    from kchat_cli.domain.access.admins import list_admins

    records = runtime(ctx).look(list_admins)
    emit(records, output, fields=ADMIN_FIELDS)


@app.command()
def add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The new admin's login.")],
    name: Annotated[str, typer.Option("--name", help="Their name, shown to admins only.")],
    phone: Annotated[
        str | None, typer.Option("--phone", help="For SMS verification codes.")
    ] = None,
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="owner or manager.")
    ] = "manager",
) -> None:
    """Add an admin (owners only); additional verification starts ON for them.

    Example: kchat admins add bob --name 박보검 --phone 010-1234-5678
    """
    from kchat_cli.domain.access import admins

    runtime(ctx).act(
        admins.add_admin,
        login,
        name=name,
        phone=phone,
        role=role,
        target=f"admin {login}",
        details={"role": role},
    )
    say(f"admin {login!r} added")


@app.command()
def remove(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The admin's login.")],
    yes: YesOption = False,
) -> None:
    """Remove an admin (owners only): they can act no more, their sessions end and their
    rooms are unassigned; their messages keep their name. The last owner cannot be removed.

    Example: kchat admins remove bob --yes
    """
    from kchat_cli.domain.access import admins

    rt = runtime(ctx)
    if confirmed(f"remove admin {login!r}", yes=yes):
        count = rt.act(admins.remove_admin, login, target=f"admin {login}")
        say(f"admin {login!r} removed; {counted(count, 'room')} unassigned")


class Role(enum.StrEnum):
    owner = "owner"
    manager = "manager"


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The admin's login.")],
    role: Annotated[Role, typer.Argument(metavar="ROLE", help="owner or manager.")],
) -> None:
    """Make an admin an owner or a manager (owners only); the last owner stays an owner.

    Example: kchat admins set-role bob owner
    """
    from kchat_cli.domain.access import admins

    rt = runtime(ctx)
    changed = rt.act(
        admins.set_role, login, role.value, target=f"admin {login}", details={"role": role.value}
    )
    article = "an" if role is Role.owner else "a"
    say(f"admin {login!r} is {'now' if changed else 'already'} {article} {role.value}")
