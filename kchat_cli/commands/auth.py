"""kchat auth: additional verification (관리자 추가인증, R-AUTH-1/2)."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.access import auth
from kchat_cli.render import Format, emit_one

app = app_for("Additional verification: a code opens a 12-hour session.")


class Via(enum.StrEnum):
    kakao = "kakao"
    sms = "sms"


@app.command("send-code")
def send_code(
    ctx: typer.Context,
    via: Annotated[Via, typer.Option("--via", help="kakao or sms.")] = Via.kakao,
) -> None:
    """Send a 6-digit code, valid 5 minutes, to you alone (the deliver job sends it).

    Example: kchat auth send-code --via sms
    """
    from kchat_cli.domain.upkeep.delivery import scheduler_runs

    rt = runtime(ctx)
    rt.act(auth.send_code, via=via.value, details={"via": via.value})
    if not rt.look(scheduler_runs):
        leaves = (
            "it leaves with the next `kchat jobs run deliver`, as no scheduler runs for this store"
        )
    else:
        leaves = "the scheduler sends it within seconds"
    say(f"your code waits in the outbox, to go by {via.value}: {leaves}")
    say("when it arrives: kchat auth verify CODE")


@app.command()
def verify(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The 6-digit code.")],
) -> None:
    """Check the code and open a 12-hour verified session for this OS user.

    Example: kchat auth verify 123456
    """
    auth.check_code(code)
    outcome = runtime(ctx).act(
        auth.verify, code, details=lambda done: {"verified": done.path is not None}
    )
    if outcome.refusal is not None:
        raise outcome.refusal
    say(f"verified for 12 hours (session kept in {outcome.path})")


@app.command()
def status(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Whether you are verified, and until when.

    Example: kchat auth status
    """
    record = runtime(ctx).look(auth.status)
    emit_one(record, output, fields=("admin", "additional_auth", "verified", "session_until"))


@app.command()
def logout(ctx: typer.Context) -> None:
    """End your verified session.

    Example: kchat auth logout
    """
    ended = runtime(ctx).act(auth.logout)
    say("logged out" if ended else "there was no session")
