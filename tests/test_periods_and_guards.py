"""Guards against costly mistakes: typed periods (today, yesterday, relative forms, dates,
ISO 8601; empty periods refused), `settings hours add`, where a verification code is and
hints that keep `--as`, a coupon's last valid day, and listings cut by --limit that say so.

Times are pinned with explicit values (clock.now patched, or `reference=`), never by
waiting, and decided in Korea time whatever the machine's zone.
"""

import shlex
import time
from datetime import datetime

import pytest
from conftest import room_of

from kchat_cli import clock
from kchat_cli.clock import KST, parse_when
from kchat_cli.domain.chat_settings.hours import merged, parse_ranges
from kchat_cli.errors import Invalid

FORMS = "use today, yesterday, 7d, 12h, 30m, 2026-11-01 or 2026-11-01T09:00"


def at(text: str) -> datetime:
    """A Korea time, 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=KST)


@pytest.fixture
def pin(monkeypatch):
    """Make kchat's now a given Korea time."""

    def set_now(text: str) -> None:
        moment = at(text)
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_now


@pytest.fixture(params=["Asia/Seoul", "America/New_York"])
def machine_zone(request, monkeypatch):
    """Run under this machine zone: kchat decides in Korea time all the same."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


# Periods


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


# auth send-code and hints that keep the global options typed


@pytest.fixture
def bob(kchat):
    kchat("admins", "add", "bob", "--name", "박보검")
    return kchat


def test_send_code_says_the_code_waits_in_the_outbox_and_keeps_as(bob):
    sent = bob("--as", "bob", "auth", "send-code")
    assert sent.stderr == (
        "your code waits in the outbox, to go by kakao: it leaves with the next "
        "`kchat --as bob jobs run deliver`, as no scheduler runs for this store\n"
        "when it arrives: kchat --as bob auth verify CODE\n"
    )
    assert "on its way" not in sent.stderr
    (item,) = bob.json("outbox", "list")
    assert (item["kind"], item["status"]) == ("code", "pending")


def test_send_code_without_options_names_plain_commands(bob):
    sent = bob("auth", "send-code", env={"KCHAT_ADMIN": "bob"})
    assert sent.stderr.splitlines()[-1] == "when it arrives: kchat auth verify CODE"


def test_error_hints_carry_the_global_options_typed(bob):
    gated = bob("--as", "bob", "rooms", "list", code=1)
    assert gated.stderr == (
        "error: additional verification needed; run kchat --as bob auth send-code\n"
    )
    from_env = bob("rooms", "list", code=1, env={"KCHAT_ADMIN": "bob"})
    assert from_env.stderr == "error: additional verification needed; run kchat auth send-code\n"
    typed = bob("--db", bob.url, "--as", "bob", "auth", "verify", "123456", code=1)
    assert typed.stderr == (
        f"error: no code is waiting; run kchat --db {shlex.quote(bob.url)} --as bob "
        "auth send-code\n"
    )


# A coupon's last valid day


@pytest.fixture
def friend_room(kchat, ev):
    kchat.ingest(ev.friend("u1", "2026-11-23 09:00"), ev.says("u1", "2026-11-23 09:01"))
    return room_of(kchat, "u1")["id"]


def test_a_coupon_is_valid_through_its_last_day_and_shown_as_that_day(kchat, friend_room, pin):
    pin("2026-12-20 10:00")
    created = kchat(
        "coupons", "create", "겨울 할인", "--benefit", "10% 할인", "--valid-until", "2026-12-31"
    )
    coupon = created.stdout.strip()
    assert created.stderr == f"coupon {coupon} created, valid until 2026-12-31\n"
    (listed,) = kchat.json("coupons", "list")
    assert (listed["valid_until"], listed["expired"]) == ("2026-12-31", False)
    assert "2026-12-31" in kchat("coupons", "list").stdout
    assert "2027-01-01" not in kchat("coupons", "list").stdout

    pin("2026-12-31 23:59")
    (message,) = kchat.json("send", friend_room, "--coupon", coupon)
    assert message["text"] == "[쿠폰] 겨울 할인 · 10% 할인 · 2026-12-31까지"
    queued = [item for item in kchat.json("outbox", "list") if item["kind"] == "coupon"]
    assert [item["text"] for item in queued] == ["[쿠폰] 겨울 할인 · 10% 할인 · 2026-12-31까지"]
    assert kchat.json("coupons", "list")[0]["expired"] is False

    pin("2027-01-01 00:00")
    refused = kchat("send", friend_room, "--coupon", coupon, code=1)
    assert refused.stderr == (
        f"error: coupon {coupon} has expired: it was valid until 2026-12-31\n"
    )
    assert kchat.json("coupons", "list")[0]["expired"] is True


def test_a_coupon_valid_until_a_time_stops_at_that_time(kchat, pin):
    pin("2026-12-20 10:00")
    kchat("coupons", "create", "점심", "--benefit", "음료", "--valid-until", "2026-12-24T14:00")
    assert kchat.json("coupons", "list")[0]["valid_until"] == "2026-12-24 14:00"
    today = kchat("coupons", "create", "오늘만", "--benefit", "1+1", "--valid-until", "today")
    assert today.stderr.endswith("valid until 2026-12-20\n")


# Listings cut by --limit


@pytest.fixture
def five_rooms(kchat, ev):
    kchat.ingest(
        *(ev.says(f"u{n}", f"2026-11-2{n} 10:00", text=f"환불 문의 {n}") for n in range(1, 6))
    )
    return kchat


def test_a_cut_listing_says_how_many_match_on_stderr(five_rooms):
    kchat = five_rooms
    cut = kchat("rooms", "list", "--limit", "2", "-o", "ids")
    assert len(cut.stdout.split()) == 2
    assert cut.stderr == "(showing 2 of 5 rooms; --limit 0 for all)\n"
    for limit in ("5", "0"):
        whole = kchat("rooms", "list", "--limit", limit, "-o", "ids")
        assert (len(whole.stdout.split()), whole.stderr) == (5, "")
    found = kchat("search", "환불", "--limit", "3", "-o", "ids")
    assert found.stderr == "(showing 3 of 5 messages found; --limit 0 for all)\n"
    assert kchat("search", "환불", "--limit", "5", "-o", "ids").stderr == ""


def test_a_cut_pipeline_says_so_and_the_bulk_summary_counts(five_rooms):
    kchat = five_rooms
    kchat("labels", "create", "이벤트대상")
    ids = kchat("rooms", "list", "--limit", "2", "-o", "ids")
    assert ids.stderr == "(showing 2 of 5 rooms; --limit 0 for all)\n"
    labelled = kchat("rooms", "label", "-", "--add", "이벤트대상", input=ids.stdout)
    assert "2 changed, 0 unchanged" in labelled.stderr
    assert len(kchat.json("rooms", "list", "--label", "이벤트대상")) == 2


def test_other_listings_say_when_they_are_cut(five_rooms):
    kchat = five_rooms
    for room in kchat("rooms", "list", "-o", "ids").stdout.split()[:3]:
        kchat("send", room, "안녕하세요")
        kchat("users", "block", room)
    assert kchat("outbox", "list", "--limit", "2").stderr.endswith(
        "(showing 2 of 3 outbox items; --limit 0 for all)\n"
    )
    assert kchat("users", "blocked", "--limit", "1", "-o", "ids").stderr == (
        "(1 shown, more with --limit 0)\n"
    )
    for _ in range(2):
        kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{kchat.home}/out.jsonl"})
    assert kchat("jobs", "history", "--limit", "1", "-o", "ids").stderr == (
        "(showing 1 of 2 runs; --limit 0 for all)\n"
    )
    assert kchat("jobs", "history", "-o", "ids").stderr == ""
