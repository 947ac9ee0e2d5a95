"""Time: stored as UTC-aware values; rules are decided and times shown in Korea time."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kchat_cli.errors import Invalid

KST = ZoneInfo("Asia/Seoul")
# Times a user may type: any time kchat keeps, with room to spare for what rules add to it.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_RELATIVE = re.compile(r"^([0-9]+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken as Korea time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=KST)
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """ISO 8601 (Korea time when it has no offset) → aware UTC."""
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise Invalid(f"not an ISO 8601 time: {text!r}") from None
    except OverflowError:
        raise Invalid(f"out of range: {text!r} (kchat keeps times from 1970 to 2199)") from None


# The forms a typed time may take, as every "not a time" error names them.
TIME_FORMS = "today, yesterday, 7d, 12h, 30m, 2026-11-01 or 2026-11-01T09:00"
_DAYS_BACK = {"today": 0, "yesterday": 1}


def parse_when(
    text: str, *, end_of_day: bool = False, reference: datetime | None = None
) -> datetime:
    """A time a user typed: `today` or `yesterday` (Korea days), `30m` / `12h` / `7d` / `2w`
    before `reference` (default: now), a Korea date, or ISO 8601.

    A day is its Korea midnight; with `end_of_day` (for `--until`), the next midnight, so
    the named day is included.
    """
    try:
        when = _parse_when(text.strip().lower(), end_of_day, reference or now())
    except OverflowError:
        when = EARLIEST - timedelta(days=1)
    except ValueError:
        raise Invalid(f"{text!r} is not a time; use {TIME_FORMS}") from None
    if not EARLIEST <= when < LATEST:
        raise Invalid(f"out of range: {text!r} (kchat keeps times from 1970 to 2199)")
    return when


def _parse_when(text: str, end_of_day: bool, reference: datetime) -> datetime:
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = relative.groups()
        if len(amount) > 9:
            raise OverflowError(text)
        return reference - timedelta(**{_UNITS[unit]: int(amount)})
    if text in _DAYS_BACK:
        return _day_start(to_kst(reference).date() - timedelta(days=_DAYS_BACK[text]), end_of_day)
    if len(text) == 10:
        return _day_start(date.fromisoformat(text), end_of_day)
    return as_utc(datetime.fromisoformat(text.upper()))


def _day_start(day: date, end_of_day: bool) -> datetime:
    """A Korea day's midnight, or with `end_of_day` the next one."""
    if end_of_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(), KST).astimezone(UTC)


def kst_day_or_minute(value: datetime) -> str:
    """An end of validity as people read it: `2026-12-31` for one that ends at a Korea
    midnight (the day before is the last one included), else `2026-12-31 18:00`."""
    local = to_kst(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def to_kst(value: datetime) -> datetime:
    return value.astimezone(KST)


def kst_iso(value: datetime | None) -> str | None:
    """How records show a time: ISO 8601 in Korea time, to the second."""
    if value is None:
        return None
    return value.astimezone(KST).isoformat(timespec="seconds")
