"""R-STATUS-1, R-STATUS-2, R-UNR-1, R-UNR-2, R-DONE-1, R-READ-1, R-FILTER-1."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import room_of, verify

from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.rooms import RoomState, derive_status

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def state(**fields) -> RoomState:
    base = dict(
        id=1,
        user_id=1,
        user_key="u",
        nickname=None,
        friend=False,
        blocked_at=None,
        entered_at=None,
        block_permanent=False,
        unread=0,
        status="unanswered",
        completed_at=None,
        last_message_at=None,
        last_user_at=None,
        last_admin_at=None,
        legacy=False,
        left_at=None,
        starred=False,
        assignee_id=None,
        seq=0,
        read_seq=0,
        opened_at=None,
        waiting_since=None,
    )
    return RoomState(**{**base, **fields})


def test_r_status_1_order_of_statuses():
    room = state()
    rooms.on_user_message(room, T0)
    assert derive_status(room) == "unread"
    rooms.mark_read(room)
    assert derive_status(room) == "unanswered"
    rooms.on_admin_message(room, T0 + timedelta(minutes=1))
    assert derive_status(room) == "answered"
    rooms.on_user_message(room, T0 + timedelta(minutes=2))
    assert derive_status(room) == "unread"
    rooms.complete(room, T0 + timedelta(minutes=3))
    assert derive_status(room) == "completed", "completed comes first, even with unread"


def test_r_status_1_unanswered_when_the_user_wrote_after_the_reply():
    room = state()
    rooms.on_admin_message(room, T0)
    rooms.on_user_message(room, T0 + timedelta(minutes=5))
    rooms.mark_read(room)
    assert derive_status(room) == "unanswered"


def test_r_status_2_legacy_room_shows_unanswered_until_completed():
    room = state(legacy=True)
    rooms.on_user_message(room, T0)
    rooms.on_admin_message(room, T0 + timedelta(minutes=1))
    assert derive_status(room) == "unanswered", "answered or not, a read legacy room"
    rooms.complete(room, T0 + timedelta(minutes=2))
    assert derive_status(room) == "completed"
    rooms.on_user_message(room, T0 + timedelta(minutes=3))
    rooms.on_admin_message(room, T0 + timedelta(minutes=4))
    assert derive_status(room) == "answered", "after completion it follows R-STATUS-1"


def test_r_status_2_legacy_room_with_unread_shows_unread():
    room = state(legacy=True)
    rooms.on_user_message(room, T0)
    assert derive_status(room) == "unread"


def test_r_done_1_message_after_completion_reopens():
    room = state()
    rooms.on_user_message(room, T0)
    rooms.complete(room, T0 + timedelta(minutes=1))
    rooms.on_admin_message(room, T0 + timedelta(minutes=2))
    assert room.completed_at is None
    assert derive_status(room) == "answered"


def test_r_done_1_history_before_completion_does_not_reopen():
    room = state()
    rooms.complete(room, T0)
    rooms.on_user_message(room, T0 - timedelta(days=1))
    assert derive_status(room) == "completed"


# Through the CLI, on both stores.


def test_r_status_1_through_ingest_read_send_complete(kchat, ev):
    kchat.ingest(
        ev.open("u1", "2026-11-20 10:00", nickname="민지"),
        ev.says("u1", "2026-11-20 10:01"),
        ev.says("u1", "2026-11-20 10:02"),
    )
    room = room_of(kchat, "u1")
    assert (room["status"], room["unread"]) == ("unread", 2)
    kchat("rooms", "read", room["id"])
    assert room_of(kchat, "u1")["status"] == "unanswered"
    kchat("send", room["id"], "안녕하세요 고객님, 확인해 드릴게요.")
    assert room_of(kchat, "u1")["status"] == "answered"
    kchat("rooms", "complete", room["id"])
    assert room_of(kchat, "u1")["status"] == "completed"


def test_r_done_1_user_message_reopens_completed_room(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    kchat("rooms", "complete", room_id)
    kchat.ingest(ev.says("u1", "2099-01-01 00:00"))
    room = room_of(kchat, "u1")
    assert (room["status"], room["unread"]) == ("unread", 2)


def test_r_done_1_admin_message_reopens_completed_room(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    kchat("rooms", "complete", room_id)
    kchat("send", room_id, "추가로 안내드립니다.")
    assert room_of(kchat, "u1")["status"] == "answered"


def test_r_done_1_reopen_command(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    kchat("rooms", "complete", room_id)
    result = kchat("rooms", "reopen", room_id)
    assert "reopened: 1 changed" in result.stderr
    assert room_of(kchat, "u1")["status"] == "unread"


def test_r_status_2_legacy_flag_from_ingest(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:01", legacy=True), ev.answer("u1", "2026-11-20 10:05")
    )
    room = room_of(kchat, "u1")
    assert room["legacy"] is True
    assert room["status"] == "unanswered"


def test_r_unr_1_total_is_the_sum_over_rooms(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:01"),
        ev.says("u1", "2026-11-20 10:02"),
        ev.says("u2", "2026-11-20 10:03"),
        ev.answer("u3", "2026-11-20 10:04"),
    )
    assert kchat("unread").stdout.strip() == "3"
    assert kchat.json("unread") == {"channel": "헬로카페", "unread": 3}


def test_r_unr_1_admin_messages_are_not_unread(kchat, ev):
    kchat.ingest(ev.answer("u1", "2026-11-20 10:04"))
    assert kchat("unread").stdout.strip() == "0"


def test_r_unr_2_reading_is_shared_by_all_admins(kchat, ev):
    kchat("admins", "add", "bob", "--name", "박밥")
    verify(kchat, "bob")
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    kchat("--as", "bob", "rooms", "show", room_id)
    assert kchat("--as", "alice", "unread").stdout.strip() == "0"
    assert room_of(kchat, "u1")["unread"] == 0


def test_r_read_1_marks_selected_rooms_read_at_once(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:01"),
        ev.says("u2", "2026-11-20 10:02"),
        ev.says("u3", "2026-11-20 10:03"),
    )
    ids = kchat("rooms", "list", "--status", "unread", "-o", "ids").stdout
    assert len(ids.split()) == 3
    result = kchat("rooms", "read", "-", input=ids)
    assert "marked read: 3 changed" in result.stderr
    assert kchat("unread").stdout.strip() == "0"
    assert kchat("rooms", "list", "--status", "unread", "-o", "ids").stdout == ""


def test_rooms_show_marks_read_unless_peek(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01", text="환불 문의"))
    room_id = room_of(kchat, "u1")["id"]
    shown = kchat.json("rooms", "show", room_id, "--peek")
    assert shown["unread"] == 1
    assert [m["text"] for m in shown["messages"]] == ["환불 문의"]
    assert room_of(kchat, "u1")["unread"] == 1
    kchat("rooms", "show", room_id)
    assert room_of(kchat, "u1")["unread"] == 0


@pytest.mark.parametrize(
    "status, expected",
    [
        ("unread", ["u_unread"]),
        ("unanswered", ["u_unanswered"]),
        ("answered", ["u_answered"]),
        ("completed", ["u_completed"]),
        ("in-progress", ["u_answered", "u_unanswered", "u_unread"]),
        ("all", ["u_answered", "u_completed", "u_unanswered", "u_unread"]),
    ],
)
def test_r_filter_1_by_status(kchat, ev, status, expected):
    kchat.ingest(
        ev.says("u_unread", "2026-11-20 10:01"),
        ev.says("u_unanswered", "2026-11-20 10:02"),
        ev.says("u_answered", "2026-11-20 10:03"),
        ev.answer("u_answered", "2026-11-20 10:04"),
        ev.says("u_completed", "2026-11-20 10:05"),
    )
    kchat("rooms", "read", room_of(kchat, "u_unanswered")["id"])
    kchat("rooms", "complete", room_of(kchat, "u_completed")["id"])
    rooms_listed = kchat.json("rooms", "list", "--status", status)
    assert sorted(room["user"] for room in rooms_listed) == expected
    assert all(room["status"] == status for room in rooms_listed) or status in (
        "in-progress",
        "all",
    )


def test_r_filter_1_default_is_in_progress_newest_first(kchat, ev):
    kchat.ingest(
        ev.says("old", "2026-11-01 09:00"),
        ev.says("new", "2026-11-20 09:00"),
        ev.says("done", "2026-11-21 09:00"),
    )
    kchat("rooms", "complete", room_of(kchat, "done")["id"])
    assert [room["user"] for room in kchat.json("rooms", "list")] == ["new", "old"]


def test_r_filter_1_by_period_of_last_message(kchat, ev):
    kchat.ingest(
        ev.says("early", "2026-11-01 09:00"),
        ev.says("mid", "2026-11-10 23:59"),
        ev.says("late", "2026-11-11 00:00"),
        ev.says("moved", "2026-10-01 00:00"),
        ev.says("moved", "2026-11-10 12:00"),
    )
    listed = kchat.json("rooms", "list", "--since", "2026-11-02", "--until", "2026-11-10")
    assert sorted(room["user"] for room in listed) == ["mid", "moved"]
    listed = kchat.json("rooms", "list", "--since", "2026-11-11T00:00:00+09:00")
    assert [room["user"] for room in listed] == ["late"]


def test_r_filter_1_limit_and_zero_for_all(kchat, ev):
    kchat.ingest(*(ev.says(f"u{n}", f"2026-11-20 10:{n:02d}") for n in range(60)))
    assert len(kchat.json("rooms", "list")) == 50
    assert len(kchat.json("rooms", "list", "--limit", "7")) == 7
    assert len(kchat.json("rooms", "list", "--limit", "0")) == 60
