"""Chat settings and automatic messages: R-SET-1…6, through the CLI, on both stores."""

import json

import sqlalchemy as sa
from conftest import kst, room_of

from kchat_cli import clock
from kchat_cli.domain.chat_settings import settings
from kchat_cli.domain.conversations import notices
from kchat_cli.domain.conversations.conversation import Conversation
from kchat_cli.domain.conversations.rooms import load_rooms
from kchat_cli.store.models import NoticeClaim
from kchat_cli.store.opening import find_channel
from kchat_cli.store.session import run_write

OFFICE = ("mon-fri", "09:00-18:00")
MONDAY_NIGHT = "2026-11-23 20:00"  # Korea time, after hours


def office_hours(kchat):
    kchat("settings", "hours", "set", *OFFICE)


def notices_in(kchat, kind=None):
    items = kchat.json("outbox", "list", "--limit", "0")
    return [item for item in items if kind is None or item["kind"] == kind]


def test_r_set_1_chat_off_refuses_user_messages(kchat, ev, tmp_path):
    kchat("settings", "chat", "off")
    rejects = tmp_path / "rejects.jsonl"
    message = ev.says("u1", "2026-11-20 10:01")
    result = kchat.ingest(
        message, ev.answer("u2", "2026-11-20 10:02"), code=3, args=("--reject-file", rejects)
    )
    assert "line 1: chat_disabled" in result.stderr
    assert json.loads(rejects.read_text(encoding="utf-8")) == message
    assert kchat("unread").stdout.strip() == "0"
    kchat("settings", "chat", "on")
    kchat.ingest(message)
    assert kchat("unread").stdout.strip() == "1"


def test_r_set_1_no_offhours_notice_while_chat_is_off(kchat, ev):
    office_hours(kchat)
    kchat.ingest(ev.says("u1", MONDAY_NIGHT), args=("--as-of", kst(MONDAY_NIGHT)))
    kchat("settings", "chat", "off")
    kchat.ingest(ev.says("u2", MONDAY_NIGHT), args=("--as-of", kst(MONDAY_NIGHT)), code=3)
    result = kchat(
        "jobs", "run", "offhours-notices", "--as-of", kst("2026-11-23 20:05"), "-o", "json"
    )
    assert json.loads(result.stdout)["counts"] == {"sent": 0}
    assert [item["user"] for item in notices_in(kchat, "offhours")] == ["u1"]


def test_r_set_2_hours_per_weekday_show_in_korea_time(kchat):
    office_hours(kchat)
    kchat("settings", "hours", "set", "sat", "10:00-14:00")
    kchat("settings", "hours", "clear", "wed")
    shown = kchat.json("settings", "show")
    assert shown["hours"] == "월~화 09:00-18:00, 목~금 09:00-18:00, 토 10:00-14:00"


def test_a_schedule_read_is_kept_until_the_hours_or_holidays_change(kchat, ev):
    """Each process keeps a schedule it read by the channel's schedule version, which every
    change of the hours or holidays renews: a read after any change sees it, and a message
    ingested after it is decided by it (R-SET-2, R-SET-4)."""

    def shown() -> tuple[str, list[str]]:
        record = kchat.json("settings", "show")
        return record["hours"], record["holidays"]

    def versions() -> str:
        with kchat.engine.connect() as connection:
            return connection.exec_driver_sql("SELECT schedule_version FROM channels").scalar()

    seen = [versions()]
    assert shown() == (shown()[0], [])
    for change, expected_hours in [
        (("hours", "set", "mon-fri", "09:00-18:00"), "월~금 09:00-18:00"),
        (("hours", "add", "sat", "10:00-12:00"), "월~금 09:00-18:00, 토 10:00-12:00"),
        (("hours", "clear", "wed"), "월~화 09:00-18:00, 목~금 09:00-18:00, 토 10:00-12:00"),
    ]:
        kchat("settings", *change)
        assert shown()[0] == expected_hours, change
        seen.append(versions())
    kchat("settings", "holidays", "add", "2099-01-02")
    assert shown()[1] == ["2099-01-02"]
    seen.append(versions())
    kchat("settings", "holidays", "remove", "2099-01-02")
    assert shown()[1] == []
    seen.append(versions())
    assert len(set(seen)) == len(seen), "every change gives a new version"
    friday = "2026-11-20 10:01"  # within the hours
    kchat.ingest(ev.says("u1", friday), args=("--as-of", kst(friday)))
    kchat("settings", "holidays", "add", "2026-11-20")
    kchat.ingest(ev.says("u2", friday), args=("--as-of", kst(friday)))
    assert [item["user"] for item in notices_in(kchat, "offhours")] == ["u2"]


def test_r_set_2_bad_values_exit_2_with_one_line(kchat):
    for days, ranges, message in [
        ("mon", "25:00-26:00", "error: not a time of day: '25:00'"),
        ("mon", "10:00-10:00", "error: empty range '10:00-10:00'"),
        ("someday", "10:00-11:00", "error: unknown day 'someday'"),
    ]:
        result = kchat("settings", "hours", "set", days, ranges, code=2)
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_r_set_3_overnight_hours(kchat):
    kchat("settings", "hours", "set", "fri", "22:00-02:00")
    assert kchat.json("settings", "show")["hours"] == "금 22:00-다음날 02:00"


def test_r_set_4_default_offhours_message_names_days_and_hours(kchat, ev):
    """R-SET-4: the default off-hours message names the hours, built from the schedule."""
    office_hours(kchat)
    kchat.ingest(ev.says("u1", MONDAY_NIGHT), args=("--as-of", kst(MONDAY_NIGHT)))
    (notice,) = notices_in(kchat, "offhours")
    assert "월~금 09:00-18:00" in notice["text"]
    shown = kchat.json("rooms", "show", room_of(kchat, "u1")["id"], "--peek")
    assert [(m["from"], m["text"]) for m in shown["messages"]][-1] == ("system", notice["text"])


def test_r_set_4_custom_text_expands_hours_and_warns_without_them(kchat):
    """R-SET-4: a custom text expands {hours}; one that names no hours warns."""
    office_hours(kchat)
    result = kchat("settings", "offhours-message", "set", "지금은 상담 시간이 아니에요.")
    assert "warning: the off-hours message names no hours" in result.stderr
    result = kchat("settings", "offhours-message", "set", "상담 시간은 {hours}입니다.")
    assert "warning" not in result.stderr
    assert (
        kchat.json("settings", "show")["offhours_message"] == "상담 시간은 월~금 09:00-18:00입니다."
    )
    kchat("settings", "offhours-message", "default")
    assert kchat.json("settings", "show")["offhours_custom"] is False


def test_r_set_5_one_notice_per_room_per_offhours_period(kchat, ev):
    """R-SET-5: at most one off-hours notice per room per period."""
    office_hours(kchat)
    as_of = ("--as-of", kst("2026-11-23 23:00"))
    kchat.ingest(ev.says("u1", "2026-11-23 20:00"), ev.says("u1", "2026-11-23 20:01"), args=as_of)
    kchat.ingest(ev.says("u1", "2026-11-23 22:30"), ev.says("u2", "2026-11-23 22:40"), args=as_of)
    assert sorted(item["user"] for item in notices_in(kchat, "offhours")) == ["u1", "u2"]
    tuesday_night = kst("2026-11-24 19:00")
    kchat.ingest(ev.says("u1", "2026-11-24 19:00"), args=("--as-of", tuesday_night))
    assert sorted(item["user"] for item in notices_in(kchat, "offhours")) == ["u1", "u1", "u2"]


def test_r_set_5_no_notice_once_the_period_is_over(kchat, ev):
    """R-SET-5: no off-hours notice once the period is over."""
    office_hours(kchat)
    kchat.ingest(ev.says("u1", "2026-11-23 20:00"), args=("--as-of", kst("2026-11-24 09:30")))
    assert notices_in(kchat, "offhours") == []
    result = kchat(
        "jobs", "run", "offhours-notices", "--as-of", kst("2026-11-24 10:00"), "-o", "json"
    )
    assert json.loads(result.stdout)["counts"] == {"sent": 0}


def test_r_set_5_ingest_first_then_the_job_sends_no_second(kchat, ev):
    """R-SET-5: notices sent by ingest are not sent again by the job."""
    office_hours(kchat)
    kchat.ingest(
        ev.says("u1", "2026-11-23 20:00"),
        ev.says("u2", "2026-11-23 20:10"),
        ev.says("u3", "2026-11-23 20:15"),
        args=("--as-of", kst("2026-11-23 20:20")),
    )
    assert len(notices_in(kchat, "offhours")) == 3
    for when in ("2026-11-23 20:30", "2026-11-24 08:00"):
        run = kchat.json("jobs", "run", "offhours-notices", "--as-of", kst(when))
        assert run["counts"] == {"sent": 0}, "ingest sent them first; the claims hold"
    assert len(notices_in(kchat, "offhours")) == 3


def test_r_set_5_job_first_then_ingest_sends_no_second(kchat, ev):
    """R-SET-5: whichever runs first, the store's unique claim makes a second notice impossible."""
    kchat.ingest(ev.says("u1", "2026-11-23 20:00"), args=("--as-of", kst("2026-11-23 20:00")))
    assert notices_in(kchat, "offhours") == [], "no hours yet: open around the clock"
    office_hours(kchat)
    run = kchat.json("jobs", "run", "offhours-notices", "--as-of", kst("2026-11-23 20:30"))
    assert run["counts"] == {"sent": 1}
    kchat.ingest(ev.says("u1", "2026-11-23 20:40"), args=("--as-of", kst("2026-11-23 20:40")))
    assert [item["user"] for item in notices_in(kchat, "offhours")] == ["u1"]
    with kchat.engine.connect() as connection:
        claims = (
            connection.execute(sa.select(NoticeClaim.period).where(NoticeClaim.kind == "offhours"))
            .scalars()
            .all()
        )
    assert claims == [kst("2026-11-23 18:00")]


def test_r_set_5_a_second_claim_in_the_store_is_refused(kchat, ev):
    """R-SET-5: two writers deciding the same notice: the second finds the claim taken."""
    office_hours(kchat)
    kchat.ingest(ev.says("u1", "2026-11-23 20:00"), args=("--as-of", kst("2026-11-23 20:00")))
    channel = find_channel(kchat.engine, None)
    at = clock.parse_instant(kst("2026-11-23 20:45"))

    def notify_again(session):
        conversation = Conversation(session, channel.id, clock.now())
        (room,) = load_rooms(session, channel.id, user_keys=["u1"])
        notices.offhours_notice(conversation, settings.load(session, channel.id), room, at, at)
        conversation.flush()
        return conversation.notices_sent

    assert run_write(kchat.engine, notify_again) == 0
    assert len(notices_in(kchat, "offhours")) == 1


def test_r_set_6_guide_once_per_user_ever_on_first_open(kchat, ev):
    """R-SET-6: the guide message goes once per user ever, at their first entry."""
    at = ("--as-of", kst("2026-11-23 10:00"))
    kchat.ingest(
        ev.open("stranger", "2026-11-23 10:00"), ev.open("later_fan", "2026-11-23 09:59"), args=at
    )
    kchat.ingest(ev.friend("later_fan", "2026-11-23 09:59"), args=at)
    kchat.ingest(
        ev.open("stranger", "2026-11-23 10:00"),
        ev.says("stranger", "2026-11-23 10:00"),
        ev.open("later_fan", "2026-11-23 10:00"),
        args=at,
    )
    guides = notices_in(kchat, "guide")
    assert sorted(item["user"] for item in guides) == ["later_fan", "stranger"], (
        "each got one, on the first entry, when neither was a friend"
    )
    assert (
        guides[0]["text"]
        == "안녕하세요, 헬로카페 채팅방입니다. 문의 내용을 남겨 주시면 확인 후 답변드리겠습니다."
    )


def test_r_set_6_guide_only_for_non_friends(kchat, ev):
    """R-SET-6: the guide message goes to non-friends only."""
    at = ("--as-of", kst("2026-11-23 10:00"))
    kchat.ingest(
        ev.friend("fan", "2026-11-23 09:00"),
        ev.open("fan", "2026-11-23 09:59"),
        ev.open("stranger", "2026-11-23 10:00"),
        args=at,
    )
    kchat.ingest(
        ev.open("stranger", "2026-11-23 10:00"), ev.open("fan", "2026-11-23 10:00"), args=at
    )
    assert [item["user"] for item in notices_in(kchat, "guide")] == ["stranger"]


def test_r_set_6_first_message_counts_as_entry_when_no_open_came(kchat, ev):
    """R-SET-6: a first message counts as the entry when no open came."""
    at = ("--as-of", kst("2026-11-23 10:00"))
    kchat.ingest(ev.says("u1", "2026-11-23 10:00"), ev.says("u1", "2026-11-23 10:01"), args=at)
    assert [item["user"] for item in notices_in(kchat, "guide")] == ["u1"]


def test_r_set_6_guide_on_off_and_warning(kchat, ev):
    """R-SET-6: no guide while it is off; setting its text warns about advertising."""
    kchat("settings", "guide-message", "off")
    at = ("--as-of", kst("2026-11-23 10:00"))
    kchat.ingest(ev.open("u1", "2026-11-23 10:00"), args=at)
    assert notices_in(kchat, "guide") == []
    result = kchat("settings", "guide-message", "set", "안녕하세요! 문의 남겨주세요.")
    assert "advertising" in result.stderr
    kchat("settings", "guide-message", "on")
    kchat.ingest(ev.open("u2", "2026-11-23 10:00"), args=at)
    (guide,) = notices_in(kchat, "guide")
    assert (guide["user"], guide["text"]) == ("u2", "안녕하세요! 문의 남겨주세요.")


def test_r_set_6_history_import_gets_no_guide(kchat, ev):
    kchat.ingest(ev.open("u1", "2025-01-01 10:00"))
    assert notices_in(kchat, "guide") == []


def test_holidays_add_list_remove(kchat, ev):
    kchat("settings", "holidays", "add", "2026-12-25", "--note", "성탄절")
    assert kchat.json("settings", "holidays", "list") == [
        {"day": "2026-12-25", "weekday": "금", "note": "성탄절"}
    ]
    kchat.ingest(ev.says("u1", "2026-12-25 11:00"), args=("--as-of", kst("2026-12-25 11:00")))
    assert [item["user"] for item in notices_in(kchat, "offhours")] == ["u1"]
    kchat("settings", "holidays", "remove", "2026-12-25")
    assert kchat("settings", "holidays", "remove", "2026-12-25", code=1).stderr.startswith(
        "error: 2026-12-25 is not a holiday"
    )
    assert kchat.json("settings", "holidays", "list") == []
