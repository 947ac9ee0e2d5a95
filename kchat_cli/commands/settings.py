"""kchat settings: chat ON/OFF, available hours, holidays, off-hours and guide messages."""

import enum
from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.chat_settings import settings as chat_settings
from kchat_cli.render import Format, emit, emit_one

app = app_for("Chat on or off, available hours and automatic messages.")
hours_app = app_for("Available hours per weekday, in Korea time.")
holidays_app = app_for("Dated holidays: a holiday closes its whole Korea-time day.")
offhours_app = app_for("The message to users who write outside available hours.")
guide_app = app_for("The guide message to non-friends entering for the first time.")
app.add_typer(hours_app, name="hours")
app.add_typer(holidays_app, name="holidays")
app.add_typer(offhours_app, name="offhours-message")
app.add_typer(guide_app, name="guide-message")


class OnOff(enum.StrEnum):
    on = "on"
    off = "off"


def _change(ctx: typer.Context, done: str, change, *args, **kwargs) -> None:
    """Apply a settings change (audited as `settings`, with what it did) and print the
    warnings it gives, if any."""
    warnings = runtime(ctx).act(change, *args, target=done, audit_as="settings", **kwargs)
    for warning in warnings if isinstance(warnings, list) else []:
        say(f"warning: {warning}")
    say(done)


@app.command()
def show(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Show the chat settings and whether chat is open now.

    Example: kchat settings show -o json
    """
    record = runtime(ctx).look(chat_settings.show)
    emit_one(record, output, fields=chat_settings.SETTINGS_FIELDS)


@app.command()
def chat(ctx: typer.Context, state: Annotated[OnOff, typer.Argument(help="on or off")]) -> None:
    """Turn chat ON or OFF; while OFF, users cannot write.

    Example: kchat settings chat off
    """
    on = state is OnOff.on
    _change(ctx, f"chat is {state.value}", chat_settings.set_chat, on)


@hours_app.command("set")
def hours_set(
    ctx: typer.Context,
    days: Annotated[str, typer.Argument(help="mon, mon-fri, sat,sun, all (or 월…일).")],
    ranges: Annotated[
        str,
        typer.Argument(
            help="HH:MM-HH:MM[,HH:MM-HH:MM…]; an end before the start runs into the next morning."
        ),
    ],
) -> None:
    """Set the available hours of some weekdays, replacing theirs (Korea time).

    Example: kchat settings hours set mon-fri 09:00-12:00,13:00-18:00
    """
    _change(ctx, f"hours of {days} set to {ranges}", chat_settings.set_hours, days, ranges)


@hours_app.command("add")
def hours_add(
    ctx: typer.Context,
    days: Annotated[str, typer.Argument(help="mon, mon-fri, sat,sun, all (or 월…일).")],
    ranges: Annotated[
        str,
        typer.Argument(
            help="HH:MM-HH:MM[,HH:MM-HH:MM…]; an end before the start runs into the next morning."
        ),
    ],
) -> None:
    """Add available hours to some weekdays, keeping theirs (Korea time); overlapping or
    touching hours are joined.

    Example: kchat settings hours add fri 22:00-02:00
    """
    now = runtime(ctx).act(
        chat_settings.add_hours,
        days,
        ranges,
        target=f"hours of {days}: {ranges} added",
        audit_as="settings",
    )
    say(f"{ranges} added; hours now: {now}")


@hours_app.command("clear")
def hours_clear(
    ctx: typer.Context,
    days: Annotated[str, typer.Argument(help="mon, mon-fri, sat,sun, all (or 월…일).")],
) -> None:
    """Remove the hours of some weekdays: chat is closed all day on them.

    Example: kchat settings hours clear sun
    """
    _change(ctx, f"hours of {days} cleared", chat_settings.clear_hours, days)


@holidays_app.command("add")
def holidays_add(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD (a Korea-time day).")],
    note: Annotated[str | None, typer.Option("--note", help="What the holiday is.")] = None,
) -> None:
    """Close chat for a whole Korea-time day.

    Example: kchat settings holidays add 2026-12-25 --note 성탄절
    """
    parsed = chat_settings.parse_day(day)
    _change(ctx, f"{parsed} is a holiday", chat_settings.add_holiday, parsed, note)


@holidays_app.command("remove")
def holidays_remove(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD.")],
) -> None:
    """Open a holiday again.

    Example: kchat settings holidays remove 2026-12-25
    """
    parsed = chat_settings.parse_day(day)
    _change(ctx, f"{parsed} is no longer a holiday", chat_settings.remove_holiday, parsed)


@holidays_app.command("list")
def holidays_list(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List the holidays.

    Example: kchat settings holidays list -o json
    """
    records = runtime(ctx).look(chat_settings.list_holidays)
    emit(records, output, fields=("day", "weekday", "note"), empty="no holidays")


@offhours_app.command("default")
def offhours_default(ctx: typer.Context) -> None:
    """Use the default off-hours message, built from the schedule.

    Example: kchat settings offhours-message default
    """
    _change(ctx, "the off-hours message is the default", chat_settings.set_offhours_text, None)


@offhours_app.command("set")
def offhours_set(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The message; {hours} becomes the schedule.")],
) -> None:
    """Set a custom off-hours message; it should name the available days and hours.

    Example: kchat settings offhours-message set "{hours}에 답변드릴게요."
    """
    _change(ctx, "the off-hours message is set", chat_settings.set_offhours_text, text)


@guide_app.command("on")
def guide_on(ctx: typer.Context) -> None:
    """Send the guide message to non-friends entering for the first time.

    Example: kchat settings guide-message on
    """
    _change(ctx, "the guide message is on", chat_settings.set_guide, on=True)


@guide_app.command("off")
def guide_off(ctx: typer.Context) -> None:
    """Stop sending the guide message.

    Example: kchat settings guide-message off
    """
    _change(ctx, "the guide message is off", chat_settings.set_guide, on=False)


@guide_app.command("set")
def guide_set(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The guide message.")],
) -> None:
    """Set the guide message's text (it goes to non-friends: no advertising).

    Example: kchat settings guide-message set "안녕하세요! 문의를 남겨 주세요."
    """
    _change(ctx, "the guide message is set", chat_settings.set_guide, text=text)
