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


def parse_when(
    text: str, *, end_of_day: bool = False, reference: datetime | None = None
) -> datetime:
    """A time a user typed: `7d` / `12h` ago, a Korea date, or ISO 8601.

    A bare date is that day's Korea midnight; with `end_of_day` (for `--until`), the next
    midnight, so the named day is included.
    """
    try:
        when = _parse_when(text.strip(), end_of_day, reference)
    except OverflowError:
        when = EARLIEST - timedelta(days=1)
    if not EARLIEST <= when < LATEST:
        raise Invalid(f"out of range: {text!r} (kchat keeps times from 1970 to 2199)")
    return when


def _parse_when(text: str, end_of_day: bool, reference: datetime | None) -> datetime:
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = relative.groups()
        if len(amount) > 9:
            raise OverflowError(text)
        return (reference or now()) - timedelta(**{_UNITS[unit]: int(amount)})
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise Invalid(f"not a date: {text!r} (use YYYY-MM-DD)") from None
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(), KST).astimezone(UTC)
    return parse_instant(text)


def to_kst(value: datetime) -> datetime:
    return value.astimezone(KST)


def kst_iso(value: datetime | None) -> str | None:
    """How records show a time: ISO 8601 in Korea time, to the second."""
    if value is None:
        return None
    return value.astimezone(KST).isoformat(timespec="seconds")
