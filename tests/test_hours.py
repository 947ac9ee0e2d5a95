"""Available hours in Korea time: R-SET-2, R-SET-3, holidays (R-SET-7), off-hours periods, and
`settings hours add`, which joins what it adds to a day's hours."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kchat_cli.clock import KST
from kchat_cli.domain.chat_settings.hours import (
    MINUTES_A_DAY,
    Schedule,
    Window,
    describe,
    is_available,
    merged,
    offhours_since,
    parse_days,
    parse_ranges,
)
from kchat_cli.errors import Invalid

MON = 0


def kst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KST)


def schedule(*windows, holidays=()) -> Schedule:
    return Schedule(
        tuple(Window(*window) for window in windows),
        frozenset(date.fromisoformat(day) for day in holidays),
    )


def test_r_set_2_parse_days():
    assert parse_days("mon") == [0]
    assert parse_days("mon-fri") == [0, 1, 2, 3, 4]
    assert parse_days("sat,sun") == [5, 6]
    assert parse_days("fri-mon") == [0, 4, 5, 6]
    assert parse_days("월-수") == [0, 1, 2]
    assert parse_days("all") == list(range(7))


def test_r_set_3_parse_ranges():
    assert parse_ranges("09:00-18:00") == [(540, 1080)]
    assert parse_ranges("09:00-12:00,13:00-18:00") == [(540, 720), (780, 1080)]
    assert parse_ranges("22:00-02:00") == [(1320, 120)]
    assert parse_ranges("00:00-24:00") == [(0, 1440)]


@pytest.mark.parametrize(
    "days, ranges",
    [
        ("funday", "09:00-18:00"),
        ("mon", "25:00-26:00"),
        ("mon", "09:00-09:00"),
        ("mon", "9-18"),
        ("mon", "24:00-02:00"),
        ("mon", "09:60-10:00"),
        ("mon", "24:30-01:00"),
    ],
)
def test_r_set_2_bad_values_are_refused(days, ranges):
    with pytest.raises(Invalid):
        parse_days(days)
        parse_ranges(ranges)


def test_r_set_2_decided_in_korea_time_whatever_the_zone_of_the_instant():
    office = schedule((MON, 9 * 60, 18 * 60))
    monday_9_kst = kst("2026-11-23T09:00")
    assert is_available(office, monday_9_kst.astimezone(UTC))
    assert is_available(office, datetime(2026, 11, 22, 16, 0, tzinfo=UTC) + timedelta(hours=8))
    assert not is_available(office, monday_9_kst - timedelta(seconds=1))


def test_r_set_3_overnight_window_runs_into_the_next_morning():
    night = schedule((MON, 22 * 60, 2 * 60))
    assert is_available(night, kst("2026-11-23T22:00"))  # Monday
    assert is_available(night, kst("2026-11-24T01:59"))  # Tuesday morning
    assert not is_available(night, kst("2026-11-24T02:00"))
    assert not is_available(night, kst("2026-11-23T01:00")), "Monday morning is Sunday's"


def test_r_set_3_overlapping_windows_are_a_union():
    both = schedule((MON, 9 * 60, 12 * 60), (MON, 11 * 60, 14 * 60), (MON, 13 * 60, 12 * 60))
    for moment in ("09:00", "11:30", "13:59", "23:00"):
        assert is_available(both, kst(f"2026-11-23T{moment}"))


def test_several_windows_a_day_leave_a_lunch_gap():
    lunch = schedule((MON, 9 * 60, 12 * 60), (MON, 13 * 60, 18 * 60))
    assert not is_available(lunch, kst("2026-11-23T12:30"))
    assert is_available(lunch, kst("2026-11-23T13:00"))


def test_a_holiday_closes_the_whole_korea_day_and_the_night_into_it():
    daily = schedule(*((day, 22 * 60, 2 * 60) for day in range(7)), holidays=["2026-12-25"])
    assert not is_available(daily, kst("2026-12-25T23:00")), "no window opens on a holiday"
    assert not is_available(daily, kst("2026-12-25T01:00")), "the night before stops at 00:00"
    assert is_available(daily, kst("2026-12-24T23:59"))
    assert not is_available(daily, kst("2026-12-26T01:00")), "the holiday's own night is closed"


def test_no_hours_means_open_around_the_clock_except_holidays():
    assert is_available(Schedule(), kst("2026-11-23T03:00"))
    assert not is_available(schedule(holidays=["2026-11-23"]), kst("2026-11-23T03:00"))


def test_offhours_period_begins_when_the_last_window_ended():
    office = schedule(*((day, 9 * 60, 18 * 60) for day in range(5)))
    friday_end = kst("2026-11-27T18:00")
    assert offhours_since(office, kst("2026-11-27T20:00")) == friday_end
    assert offhours_since(office, kst("2026-11-29T12:00")) == friday_end, "the whole weekend"
    assert offhours_since(office, kst("2026-11-30T08:59")) == friday_end
    assert offhours_since(office, kst("2026-11-30T09:00")) is None
    night = schedule((MON, 22 * 60, 2 * 60), (1, 1 * 60, 1 * 60 + 30))
    assert offhours_since(night, kst("2026-11-24T03:00")) == kst("2026-11-24T02:00"), (
        "Monday's overnight window ends after Tuesday's early one"
    )


def test_describe_names_days_and_hours():
    office = schedule(
        *((day, 9 * 60, 18 * 60) for day in range(5)), (5, 10 * 60, 14 * 60), (6, 22 * 60, 2 * 60)
    )
    assert describe(office) == "월~금 09:00-18:00, 토 10:00-14:00, 일 22:00-다음날 02:00"
    assert describe(Schedule()) == "매일 24시간"


# The oracle paints the open minutes of three days and looks one up: a different way to the
# same answer.


def oracle(plan: Schedule, instant: datetime) -> bool:
    local = instant.astimezone(KST)
    day = local.date()
    days = [day - timedelta(days=1), day, day + timedelta(days=1)]
    painted = [False] * (3 * MINUTES_A_DAY)
    for offset, current in enumerate(days[:2]):
        if current in plan.holidays:
            continue
        windows = plan.on(current.weekday()) if plan.windows else [Window(0, 0, MINUTES_A_DAY)]
        for window in windows:
            end = window.end + (MINUTES_A_DAY if window.end < window.start else 0)
            for minute in range(window.start, end):
                painted[offset * MINUTES_A_DAY + minute] = True
    for offset, current in enumerate(days):
        if current in plan.holidays:
            painted[offset * MINUTES_A_DAY : (offset + 1) * MINUTES_A_DAY] = [False] * MINUTES_A_DAY
    return painted[MINUTES_A_DAY + local.hour * 60 + local.minute]


@st.composite
def windows(draw):
    start = draw(st.integers(0, MINUTES_A_DAY - 1))
    end = draw(st.integers(0, MINUTES_A_DAY).filter(lambda end: end != start))
    return Window(draw(st.integers(0, 6)), start, end)


schedules = st.builds(
    lambda found, holidays: Schedule(tuple(found), frozenset(holidays)),
    st.lists(windows(), max_size=10),
    st.sets(st.dates(date(2026, 11, 1), date(2026, 11, 30)), max_size=6),
)
instants = st.datetimes(
    datetime(2026, 11, 1), datetime(2026, 11, 30, 23, 59), timezones=st.timezones()
)


@settings(max_examples=600, deadline=None)
@given(schedules, instants)
def test_r_set_3_available_matches_the_minute_by_minute_oracle(plan, instant):
    assert is_available(plan, instant) == oracle(plan, instant)


@settings(max_examples=150, deadline=None)
@given(schedules, instants)
def test_offhours_period_is_closed_from_its_start_to_the_instant(plan, instant):
    began = offhours_since(plan, instant)
    if began is None:
        assert is_available(plan, instant)
        return
    if began.year == 2000:  # never open within the look-back
        return
    assert began <= instant
    assert is_available(plan, began - timedelta(minutes=1))
    moment = began
    while moment <= instant:
        assert not is_available(plan, moment)
        moment += timedelta(minutes=1)


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Honolulu", "UTC"])
def test_r_set_2_a_machine_far_from_korea_decides_the_same(zone, tmp_path):
    """A real process with TZ set far from Korea: the answers do not move."""
    code = (
        "import json, datetime;"
        "from kchat_cli.domain.chat_settings.hours import Schedule, Window, is_available;"
        "from kchat_cli.clock import parse_when;"
        "office = Schedule((Window(0, 540, 1080),));"
        "times = ['2026-11-23T09:00', '2026-11-23T08:59', '2026-11-23', '2026-11-23T17:59'];"
        "print(json.dumps([is_available(office, parse_when(t)) for t in times]))"
    )
    env = {**os.environ, "TZ": zone}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == [True, False, False, True]


# settings hours add


def test_merged_joins_overlapping_and_touching_windows_overnight_included():
    assert merged(parse_ranges("09:00-12:00,11:00-14:00,14:00-15:00")) == [(540, 900)]
    assert merged(parse_ranges("22:00-02:00,23:00-03:00,09:00-10:00")) == [
        (540, 600),
        (1320, 180),
    ]
    assert merged(parse_ranges("20:00-24:00,22:00-02:00")) == [(1200, 120)]
    # a union of 24 hours or more is no single range: they stay apart
    assert merged(parse_ranges("05:00-20:00,19:00-06:00")) == [(300, 1200), (1140, 360)]


def test_hours_add_keeps_the_day_s_hours_and_joins_overlaps(kchat, pin):
    kchat("settings", "hours", "set", "mon-fri", "09:00-12:00,13:00-18:00")
    added = kchat("settings", "hours", "add", "fri", "22:00-02:00")
    assert added.stderr == (
        "22:00-02:00 added; hours now: fri 09:00-12:00,13:00-18:00,22:00-02:00\n"
    )
    joined = kchat("settings", "hours", "add", "thu-fri", "11:00-14:00,23:00-03:00")
    assert joined.stderr == (
        "11:00-14:00,23:00-03:00 added; hours now: thu 09:00-18:00,23:00-03:00; "
        "fri 09:00-18:00,22:00-03:00\n"
    )
    hours = kchat.json("settings", "show")["hours"]
    assert hours == (
        "월~수 09:00-12:00, 13:00-18:00, 목 09:00-18:00, 23:00-다음날 03:00, "
        "금 09:00-18:00, 22:00-다음날 03:00"
    )
    pin("2026-11-28 02:30")  # a Saturday morning, inside Friday's night window
    assert kchat.json("settings", "show")["open_now"] is True
    pin("2026-11-28 03:00")
    assert kchat.json("settings", "show")["open_now"] is False


def test_hours_add_to_a_day_without_hours_and_bad_ranges(kchat):
    added = kchat("settings", "hours", "add", "sat", "10:00-14:00")
    assert added.stderr == "10:00-14:00 added; hours now: sat 10:00-14:00\n"
    refused = kchat("settings", "hours", "add", "sat", "10:00-10:00", code=2)
    assert refused.stderr.startswith("error: empty range '10:00-10:00'")
    assert kchat.json("settings", "show")["hours"] == "토 10:00-14:00"
