"""Available hours, in Korea time whatever the machine's zone (R-SET-2, R-SET-3, R-SET-7).

A schedule is windows per weekday plus dated holidays. A window whose end is earlier than
its start runs into the next morning (`mon 22:00-02:00` is Monday 22:00 to Tuesday 02:00);
windows may overlap and chat is open in their union. A holiday closes its whole Korea day:
no window opens on it, and the morning tail of the previous night's window stops at its
midnight. A schedule with no windows at all is open around the clock, holidays aside.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from kchat_cli.clock import KST
from kchat_cli.errors import Invalid

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KOREAN_DAYS = ("월", "화", "수", "목", "금", "토", "일")
MINUTES_A_DAY = 24 * 60
LOOKBACK_DAYS = 400
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True, order=True)
class Window:
    weekday: int  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight; earlier than start: the next morning

    @property
    def overnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True)
class Schedule:
    windows: tuple[Window, ...] = ()
    holidays: frozenset[date] = frozenset()

    def on(self, weekday: int) -> list[Window]:
        return [window for window in self.windows if window.weekday == weekday]


def parse_days(text: str) -> list[int]:
    """`mon`, `mon-fri`, `sat,sun`, `fri-mon` (wrapping), `all`; Korean `월`… too."""
    days: list[int] = []
    for item in text.lower().replace(" ", "").split(","):
        if item in ("all", "daily", "매일"):
            days.extend(range(7))
            continue
        first, _, last = item.partition("-")
        start, stop = _day(first), _day(last or first)
        days.extend((start + offset) % 7 for offset in range((stop - start) % 7 + 1))
    return sorted(set(days))


def _day(name: str) -> int:
    for names in (DAY_NAMES, KOREAN_DAYS):
        if name in names:
            return names.index(name)
    raise Invalid(f"unknown day {name!r}", "use mon, tue, wed, thu, fri, sat, sun (or 월…일)")


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """`09:00-18:00` or `09:00-12:00,13:00-18:00`; `22:00-02:00` runs overnight."""
    ranges = []
    for item in text.replace(" ", "").split(","):
        start_text, dash, end_text = item.partition("-")
        if not dash:
            raise Invalid(f"not a range: {item!r}", "write HH:MM-HH:MM")
        start, end = _minute(start_text), _minute(end_text)
        if start == MINUTES_A_DAY:
            raise Invalid(f"a range cannot start at 24:00: {item!r}")
        if start == end:
            raise Invalid(f"empty range {item!r}", "its start and end must differ")
        ranges.append((start, end))
    return ranges


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One day's ranges with overlapping and touching ones joined, in order of start: an
    overnight range counts on to the next morning (`22:00-02:00` ends at 26:00). Ranges
    whose union would last 24 hours or more stay apart (no single range can say it)."""
    spans = sorted((start, end + MINUTES_A_DAY if end < start else end) for start, end in ranges)
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and start <= joined[-1][1] and _fits_a_range(joined[-1][0], end):
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return [(start, end if end <= MINUTES_A_DAY else end - MINUTES_A_DAY) for start, end in joined]


def _fits_a_range(start: int, end: int) -> bool:
    """A span from `start` to `end` (minutes, on past midnight) is one HH:MM-HH:MM range."""
    return end <= MINUTES_A_DAY or end - MINUTES_A_DAY < start


def _minute(text: str) -> int:
    match = _TIME.match(text)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise Invalid(f"not a time of day: {text!r}", "write HH:MM, from 00:00 to 24:00")
    return int(match.group(1)) * 60 + int(match.group(2))


def is_available(schedule: Schedule, instant: datetime) -> bool:
    """Is chat open at `instant` (any zone), decided in Korea time?"""
    local = instant.astimezone(KST)
    day, minute = local.date(), local.hour * 60 + local.minute
    if day in schedule.holidays:
        return False
    if not schedule.windows:
        return True
    for window in schedule.on(day.weekday()):
        if window.start <= minute < (MINUTES_A_DAY if window.overnight else window.end):
            return True
    if day - timedelta(days=1) in schedule.holidays:
        return False
    return any(
        window.overnight and minute < window.end for window in schedule.on((day.weekday() - 1) % 7)
    )


def _open_intervals(schedule: Schedule, day: date) -> list[tuple[datetime, datetime]]:
    """The open intervals of windows starting on `day`, cut at holidays."""
    if day in schedule.holidays:
        return []
    midnight = datetime.combine(day, time(), KST)
    windows = schedule.on(day.weekday()) if schedule.windows else [Window(0, 0, MINUTES_A_DAY)]
    intervals = []
    for window in windows:
        end_day = 1 if window.overnight else 0
        end = midnight + timedelta(days=end_day, minutes=window.end)
        if window.overnight and day + timedelta(days=1) in schedule.holidays:
            end = midnight + timedelta(days=1)
        intervals.append((midnight + timedelta(minutes=window.start), end))
    return intervals


def offhours_since(schedule: Schedule, instant: datetime) -> datetime | None:
    """When the off-hours period around `instant` began (the end of the last open interval),
    or None when chat is open then. It names the period: one notice per room per period."""
    if is_available(schedule, instant):
        return None
    day = instant.astimezone(KST).date()
    ends: list[datetime] = []
    first_found = None
    for back in range(LOOKBACK_DAYS):
        found = [
            end
            for start, end in _open_intervals(schedule, day - timedelta(days=back))
            if start <= instant
        ]
        ends += found
        if found and first_found is None:
            first_found = back
        if first_found is not None and back > first_found:
            break  # the day before was checked too: its overnight windows may end later
    return max(ends) if ends else datetime.combine(date(2000, 1, 1), time(), KST)


def describe(schedule: Schedule) -> str:
    """The schedule in Korean, for notices: `월~금 09:00-18:00, 토 10:00-14:00`."""
    if not schedule.windows:
        return "매일 24시간"
    groups: list[tuple[list[int], str]] = []
    for weekday in range(7):
        hours = ", ".join(_show(window) for window in sorted(schedule.on(weekday)))
        if not hours:
            continue
        if groups and groups[-1][1] == hours and groups[-1][0][-1] == weekday - 1:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], hours))
    return ", ".join(f"{_days(days)} {hours}" for days, hours in groups)


def _days(days: list[int]) -> str:
    if len(days) == 1:
        return KOREAN_DAYS[days[0]]
    return f"{KOREAN_DAYS[days[0]]}~{KOREAN_DAYS[days[-1]]}"


def summary(schedule: Schedule, days: list[int]) -> str:
    """These days' hours as they are typed, days with the same hours together:
    `mon-thu 09:00-18:00; fri 09:00-18:00,22:00-02:00; sat closed`."""
    groups: list[tuple[list[int], str]] = []
    for weekday in days:
        ranges = ",".join(_typed(window) for window in sorted(schedule.on(weekday))) or "closed"
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == weekday - 1:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], ranges))
    return "; ".join(f"{_day_span(group)} {ranges}" for group, ranges in groups)


def _day_span(days: list[int]) -> str:
    first, last = DAY_NAMES[days[0]], DAY_NAMES[days[-1]]
    return first if len(days) == 1 else f"{first}-{last}"


def _typed(window: Window) -> str:
    return f"{_clock(window.start)}-{_clock(window.end)}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _show(window: Window) -> str:
    start = f"{window.start // 60:02d}:{window.start % 60:02d}"
    end = f"{window.end // 60:02d}:{window.end % 60:02d}"
    return f"{start}-다음날 {end}" if window.overnight else f"{start}-{end}"
