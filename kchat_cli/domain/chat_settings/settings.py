"""Chat settings (채팅 설정): ON/OFF, available hours and holidays, the off-hours and guide
messages (R-SET-1…6)."""

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.chat_settings import hours
from kchat_cli.domain.chat_settings.hours import Schedule, Window
from kchat_cli.domain.hostile import NAME_LIMIT, TEXT_LIMIT, typed
from kchat_cli.errors import Invalid, NotFound
from kchat_cli.store.tables import channels, chat_hours
from kchat_cli.store.tables import holidays as holidays_t

DEFAULT_OFFHOURS = (
    "지금은 채팅 상담 시간이 아닙니다. 채팅 가능 시간은 {hours}(한국시간)입니다. "
    "가능 시간에 답변드리겠습니다."
)
DEFAULT_GUIDE = (
    "안녕하세요, {profile} 채팅방입니다. 문의 내용을 남겨 주시면 확인 후 답변드리겠습니다."
)
NAMES_HOURS = re.compile(r"\{hours\}|\d{1,2}:\d{2}|\d{1,2}\s*시")
NO_HOURS_WARNING = (
    "the off-hours message names no hours: add {hours} (the schedule) or the "
    "available days and hours"
)
ADVERTISING_WARNING = (
    "the guide message goes to users who are not friends: advertising in it may be fined"
)
SETTINGS_FIELDS = (
    "chat",
    "open_now",
    "hours",
    "holidays",
    "offhours_message",
    "offhours_custom",
    "guide",
    "guide_message",
)


@dataclass(frozen=True)
class ChatSettings:
    profile: str
    chat_on: bool
    schedule: Schedule
    offhours_text: str | None
    guide_on: bool
    guide_text: str | None

    def offhours_message(self) -> str:
        """R-SET-4: the custom text with {hours} expanded, or one built from the schedule."""
        return (self.offhours_text or DEFAULT_OFFHOURS).replace(
            "{hours}", hours.describe(self.schedule)
        )

    def guide_message(self) -> str:
        return self.guide_text or DEFAULT_GUIDE.format(profile=self.profile)


# Built once: the receiver reads it in every transaction, and building it cost more than
# running it.
_CHANNEL_ROW = sa.select(channels).where(channels.c.id == sa.bindparam("channel_id"))


def load(db, channel_id: int) -> ChatSettings:
    """The channel's settings, from a session or a bare connection (`status` reads them
    without the ORM)."""
    channel = db.execute(_CHANNEL_ROW, {"channel_id": channel_id}).one()
    return ChatSettings(
        profile=channel.name,
        chat_on=channel.chat_on,
        schedule=_schedule(db, channel_id, channel.schedule_version),
        offhours_text=channel.offhours_text,
        guide_on=channel.guide_on,
        guide_text=channel.guide_text,
    )


# Schedules read, by the channel's schedule version: every write of the hours or holidays
# gives the channel a new random one in the same statement's transaction (`_change_schedule`),
# so a version names one schedule in any store. The receiver applies each small group of
# events in a transaction of its own, and reading the hours and holidays again was a
# seventh of each.
_SCHEDULES: dict[str, Schedule] = {}
SCHEDULES_KEPT = 64


def _schedule(db, channel_id: int, version: str) -> Schedule:
    if version in _SCHEDULES:
        return _SCHEDULES[version]
    windows = db.execute(
        sa.select(chat_hours.c.weekday, chat_hours.c.start_minute, chat_hours.c.end_minute).where(
            chat_hours.c.channel_id == channel_id
        )
    ).all()
    holidays = db.scalars(sa.select(holidays_t.c.day).where(holidays_t.c.channel_id == channel_id))
    schedule = Schedule(tuple(sorted(Window(*row) for row in windows)), frozenset(holidays))
    if len(_SCHEDULES) >= SCHEDULES_KEPT:
        _SCHEDULES.clear()
    _SCHEDULES[version] = schedule
    return schedule


def _change_schedule(actor: Actor, statement, rows: list[dict] | None = None):
    """A write of the hours or holidays, and the channel's new schedule version with it: a
    schedule read after it in this transaction or any other is read afresh."""
    result = actor.db.execute(statement, rows) if rows is not None else actor.db.execute(statement)
    actor.db.execute(
        sa.update(channels)
        .where(channels.c.id == actor.channel_id)
        .values(schedule_version=secrets.token_hex(16))
    )
    return result


def show(actor: Actor) -> dict:
    """The channel's chat settings, and whether chat is open now."""
    return record(load(actor.db, actor.channel_id), actor.now)


def record(settings: ChatSettings, now: datetime) -> dict:
    upcoming = sorted(
        day for day in settings.schedule.holidays if day >= now.astimezone(hours.KST).date()
    )
    return {
        "chat": "on" if settings.chat_on else "off",
        "open_now": settings.chat_on and hours.is_available(settings.schedule, now),
        "hours": hours.describe(settings.schedule),
        "holidays": [day.isoformat() for day in upcoming],
        "offhours_message": settings.offhours_message(),
        "offhours_custom": settings.offhours_text is not None,
        "guide": "on" if settings.guide_on else "off",
        "guide_message": settings.guide_message(),
    }


def _change_channel(actor: Actor, **values) -> None:
    """Settings on the channel's own row; the row is locked too when nothing is set, so
    that changes of the hours queue behind one another."""
    query = sa.update(channels).where(channels.c.id == actor.channel_id)
    if not values:
        query = sa.select(channels.c.id).where(channels.c.id == actor.channel_id).with_for_update()
    actor.db.execute(query.values(**values) if values else query)


def set_chat(actor: Actor, on: bool) -> None:
    """R-SET-1."""
    _change_channel(actor, chat_on=on)


def set_hours(actor: Actor, days_text: str, ranges_text: str) -> None:
    """Replace the windows of the days named (R-SET-2, R-SET-3)."""
    channel_id = actor.channel_id
    days, ranges = hours.parse_days(days_text), hours.parse_ranges(ranges_text)
    clear_hours(actor, days_text)
    _change_schedule(
        actor,
        sa.insert(chat_hours),
        [
            {"channel_id": channel_id, "weekday": day, "start_minute": start, "end_minute": end}
            for day in days
            for start, end in dict.fromkeys(ranges)
        ],
    )


def add_hours(actor: Actor, days_text: str, ranges_text: str) -> str:
    """Add windows to the days named, keeping theirs; overlapping and touching windows of a
    day are joined. Returns those days' hours afterwards (`hours.summary`)."""
    session, channel_id = actor.db, actor.channel_id
    days, ranges = hours.parse_days(days_text), hours.parse_ranges(ranges_text)
    _change_channel(actor)  # the channel's row, locked: hours changes queue
    kept = load(session, channel_id).schedule
    _change_schedule(
        actor,
        sa.delete(chat_hours).where(
            chat_hours.c.channel_id == channel_id, chat_hours.c.weekday.in_(days)
        ),
    )
    rows = [
        {"channel_id": channel_id, "weekday": day, "start_minute": start, "end_minute": end}
        for day in days
        for start, end in hours.merged(
            [(window.start, window.end) for window in kept.on(day)] + ranges
        )
    ]
    _change_schedule(actor, sa.insert(chat_hours), rows)
    return hours.summary(load(session, channel_id).schedule, days)


def clear_hours(actor: Actor, days_text: str) -> None:
    """The days named get no hours: closed all day."""
    channel_id = actor.channel_id
    days = hours.parse_days(days_text)
    _change_channel(actor)
    _change_schedule(
        actor,
        sa.delete(chat_hours).where(
            chat_hours.c.channel_id == channel_id, chat_hours.c.weekday.in_(days)
        ),
    )


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"not a date: {text!r}", "write YYYY-MM-DD") from None


def _holiday(channel_id: int, day: date):
    return (holidays_t.c.channel_id == channel_id) & (holidays_t.c.day == day)


def add_holiday(actor: Actor, day: date, note: str | None) -> bool:
    """A Korea-time day closed for chat. Returns False when it was already a holiday."""
    session, channel_id = actor.db, actor.channel_id
    if note is not None:
        note = typed(note, "the note", limit=2 * NAME_LIMIT)
    _change_channel(actor)
    found = session.execute(sa.select(holidays_t.c.day).where(_holiday(channel_id, day))).first()
    if found is not None:
        if note is not None:
            session.execute(
                sa.update(holidays_t).where(_holiday(channel_id, day)).values(note=note)
            )
        return False
    _change_schedule(actor, sa.insert(holidays_t).values(channel_id=channel_id, day=day, note=note))
    return True


def remove_holiday(actor: Actor, day: date) -> None:
    removed = _change_schedule(actor, sa.delete(holidays_t).where(_holiday(actor.channel_id, day)))
    if removed.rowcount == 0:
        raise NotFound(f"{day} is not a holiday", "see kchat settings holidays list")


def list_holidays(actor: Actor) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    query = (
        sa.select(holidays_t)
        .where(holidays_t.c.channel_id == channel_id)
        .order_by(holidays_t.c.day)
    )
    return [
        {
            "day": holiday.day.isoformat(),
            "weekday": hours.KOREAN_DAYS[holiday.day.weekday()],
            "note": holiday.note,
        }
        for holiday in session.execute(query.order_by(holidays_t.c.day))
    ]


def set_offhours_text(actor: Actor, text: str | None) -> list[str]:
    """A custom off-hours message, or None for the default. Returns warnings."""
    if text is not None and not text.strip():
        raise Invalid("the message is empty", "use kchat settings offhours-message default")
    if text is not None:
        text = typed(text, "the message", limit=TEXT_LIMIT)
    _change_channel(actor, offhours_text=text)
    return [] if text is None or NAMES_HOURS.search(text) else [NO_HOURS_WARNING]


def set_guide(actor: Actor, *, on: bool | None = None, text: str | None = None) -> list[str]:
    """R-SET-6: turn the guide message on or off, or set its text. Returns warnings."""
    values = {} if on is None else {"guide_on": on}
    if text is not None:
        values["guide_text"] = typed(text, "the message", limit=TEXT_LIMIT)
    _change_channel(actor, **values)
    return [] if text is None else [ADVERTISING_WARNING]
