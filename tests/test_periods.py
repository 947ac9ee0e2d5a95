"""Periods as people type them: today, yesterday, relative forms, dates and ISO 8601, each with
its exact bounds in Korea days; a time kchat cannot read, or an empty period, is one usage
line naming the option and the forms that work.

Times are pinned with explicit values (clock.now patched, or `reference=`), never by
waiting, and decided in Korea time whatever the machine's zone.
"""

import time

import pytest
from conftest import at, room_of

from kchat_cli.clock import parse_when
from kchat_cli.errors import Invalid

FORMS = "use today, yesterday, 7d, 12h, 30m, 2026-11-01 or 2026-11-01T09:00"


@pytest.fixture(params=["Asia/Seoul", "America/New_York"])
def machine_zone(request, monkeypatch):
    """Run under this machine zone: kchat decides in Korea time all the same."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "typed, since, until",
    [
        ("today", "2026-11-21 00:00", "2026-11-22 00:00"),
        ("yesterday", "2026-11-20 00:00", "2026-11-21 00:00"),
        ("30m", "2026-11-21 00:10", "2026-11-21 00:10"),
        ("12h", "2026-11-20 12:40", "2026-11-20 12:40"),
        ("7d", "2026-11-14 00:40", "2026-11-14 00:40"),
        ("2w", "2026-11-07 00:40", "2026-11-07 00:40"),
        ("2026-11-01", "2026-11-01 00:00", "2026-11-02 00:00"),
        ("2026-11-01T09:00", "2026-11-01 09:00", "2026-11-01 09:00"),
        ("2026-11-01T09:00:00Z", "2026-11-01 18:00", "2026-11-01 18:00"),
        ("2026-11-01 09:00+09:00", "2026-11-01 09:00", "2026-11-01 09:00"),
    ],
)
def test_every_form_of_a_time_gives_its_exact_bounds(machine_zone, typed, since, until):
    # 00:40 in Korea is still the day before in New York and in UTC: days are Korea days.
    now = at("2026-11-21 00:40")
    assert parse_when(typed, reference=now) == at(since)
    assert parse_when(typed, reference=now, end_of_day=True) == at(until)


@pytest.mark.parametrize("typed", ["3x", "", "tomorrow", "2026-13-01", "7 days", "-7d"])
def test_a_time_kchat_cannot_read_names_the_forms_that_work(typed):
    with pytest.raises(Invalid) as refused:
        parse_when(typed, reference=at("2026-11-21 00:40"))
    assert str(refused.value) == f"{typed!r} is not a time; {FORMS}"


@pytest.fixture
def rooms_around_midnight(kchat, ev):
    """Rooms whose last messages are a minute either side of a Korea midnight."""
    kchat.ingest(ev.says("late", "2026-11-20 23:59"), ev.says("early", "2026-11-21 00:00"))
    return {room_of(kchat, user)["id"]: user for user in ("late", "early")}


def users_listed(kchat, rooms, *period) -> list[str]:
    listed = kchat.json("rooms", "list", "--status", "all", *period)
    return sorted(rooms[room["id"]] for room in listed)


@pytest.mark.parametrize(
    "period, users",
    [
        (("--since", "today"), ["early"]),
        (("--until", "yesterday"), ["late"]),
        (("--since", "yesterday", "--until", "yesterday"), ["late"]),
        (("--since", "yesterday", "--until", "today"), ["early", "late"]),
        (("--since", "15h"), ["early"]),
        (("--since", "901m"), ["early", "late"]),
        (("--since", "2026-11-21"), ["early"]),
        (("--until", "2026-11-20"), ["late"]),
        (("--since", "2026-11-20T23:59"), ["early", "late"]),
        (("--until", "2026-11-20T23:59:30"), ["late"]),
    ],
)
def test_rooms_list_periods_in_korea_days(
    kchat, rooms_around_midnight, pin, machine_zone, period, users
):
    pin("2026-11-21 15:00")
    assert users_listed(kchat, rooms_around_midnight, *period) == users


@pytest.mark.parametrize(
    "command",
    [
        ("rooms", "list"),
        ("search", "환불"),
        ("report",),
        ("export", "messages"),
    ],
)
def test_a_bad_time_is_one_usage_line_naming_the_option_and_the_forms(kchat, command):
    result = kchat(*command, "--since", "3x", code=2)
    assert result.stderr == f"error: --since: '3x' is not a time; {FORMS}\n"
    assert result.stdout == ""


def test_bad_times_of_other_options_name_their_option(kchat):
    until = kchat("rooms", "list", "--until", "soon", code=2)
    assert until.stderr == f"error: --until: 'soon' is not a time; {FORMS}\n"
    coupon = kchat("coupons", "create", "c", "--benefit", "b", "--valid-until", "3x", code=2)
    assert coupon.stderr == f"error: --valid-until: '3x' is not a time; {FORMS}\n"
    as_of = kchat("jobs", "run", "retention", "--as-of", "3x", code=2)
    assert as_of.stderr == f"error: --as-of: '3x' is not a time; {FORMS}\n"


@pytest.mark.parametrize(
    "period, until, since",
    [
        (("--since", "30d", "--until", "40d"), "2026-10-12 15:00", "2026-10-22 15:00"),
        (("--until", "40d", "--since", "30d"), "2026-10-12 15:00", "2026-10-22 15:00"),
        (("--since", "today", "--until", "yesterday"), "2026-11-21 00:00", "2026-11-21 00:00"),
        (
            ("--since", "2026-11-10", "--until", "2026-11-05"),
            "2026-11-06 00:00",
            "2026-11-10 00:00",
        ),
    ],
)
def test_an_empty_period_is_a_usage_error_naming_both_ends(kchat, pin, period, until, since):
    pin("2026-11-21 15:00")
    for command in (("rooms", "list"), ("search", "환불"), ("report",)):
        result = kchat(*command, *period, code=2)
        assert result.stderr == (
            f"error: the period is empty: --until ({until}) is not after --since ({since})\n"
        )
