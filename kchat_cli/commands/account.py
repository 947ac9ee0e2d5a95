"""kchat account: your own settings (내 계정 정보)."""

from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.settings import OnOff
from kchat_cli.commands.speech import say
from kchat_cli.domain.access import auth

app = app_for("Your account: additional verification and notifications.")

StateArgument = Annotated[OnOff, typer.Argument(help="on or off")]


@app.command("additional-auth")
def additional_auth(ctx: typer.Context, state: StateArgument) -> None:
    """Turn additional verification on or off for yourself; off needs a verified session.

    Example: kchat account additional-auth off
    """
    on = state is OnOff.on
    runtime(ctx).act(auth.set_additional_auth, on, details={"on": on})
    say(f"additional verification is {state.value}")


@app.command()
def notifications(ctx: typer.Context, state: StateArgument) -> None:
    """Turn your new-message alerts on or off (PC 알림; see kchat watch).

    Example: kchat account notifications off
    """
    from kchat_cli.domain.access.admins import set_notifications

    on = state is OnOff.on
    runtime(ctx).act(set_notifications, on, details={"on": on})
    say(f"notifications are {state.value}")
