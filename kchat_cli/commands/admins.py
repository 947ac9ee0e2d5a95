"""kchat admins."""

from typing import Annotated

import typer

from kchat_cli.commands.common import OutputOption, YesOption, app_for, confirmed, runtime, say
from kchat_cli.render import Format, emit

app = app_for("The channel's admins.")

ADMIN_FIELDS = ("id", "login", "name", "role", "additional_auth", "notifications", "created_at")


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List the channel's admins (phone numbers are not shown).

    Example: kchat admins list -o json
    """
    from kchat_cli.domain.admins import list_admins

    rt = runtime(ctx)
    with rt.read() as session:
        records = list_admins(session, rt.channel_id)
    emit(records, output, fields=ADMIN_FIELDS)


@app.command()
def add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="The new admin's login.")],
    name: Annotated[str, typer.Option("--name", help="Their name, shown to admins only.")],
    phone: Annotated[
        str | None, typer.Option("--phone", help="For SMS verification codes.")
    ] = None,
    role: Annotated[str, typer.Option("--role", help="owner or manager.")] = "manager",
) -> None:
    """Add an admin; additional verification starts ON for them (R-AUTH-1).

    Example: kchat admins add bob --name 박보검 --phone 010-1234-5678
    """
    from kchat_cli.domain import admins, clock

    rt = runtime(ctx)
    rt.write(
        lambda session: admins.add_admin(
            session, rt.channel_id, login, name=name, phone=phone, role=role, now=clock.now()
        ),
        action="admins.add",
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
    """Remove an admin: they can act no more and their rooms are unassigned; their messages
    keep their name. The last owner cannot be removed.

    Example: kchat admins remove bob --yes
    """
    from kchat_cli.domain import admins, clock

    rt = runtime(ctx)
    if confirmed(f"remove admin {login!r}", yes=yes):
        count = rt.write(lambda session: admins.remove_admin(session, rt.channel_id, login,
                                                             now=clock.now()),
                         action="admins.remove", target=f"admin {login}")  # fmt: skip
        say(f"admin {login!r} removed; {count} rooms unassigned")
