"""Room management: R-BLOCK-1…3, R-LEAVE-1…2, R-STAR-1, R-ASSIGN-1, R-LABEL-1, R-ROOM-1,
R-GROUP-1 and bulk actions, through the CLI, on both stores; and the summaries they print
(what was done, then changed, unchanged, refused; counts of one singular)."""

import csv
import io

import pytest
import sqlalchemy as sa
from conftest import audit_entries, kst, room_of, verify

from kchat_cli import clock
from kchat_cli.domain.actor import Actor, Home
from kchat_cli.domain.conversations import room_actions
from kchat_cli.domain.conversations.bulk import apply_to_rooms
from kchat_cli.store.batches import Batches
from kchat_cli.store.opening import find_channel

BLOCKED_NOTICE = "헬로카페에 의해 차단된 사용자로 1:1 채팅을 할 수 없습니다."
NOW = ("--as-of", kst("2026-11-23 10:00"))


def rooms_of(kchat, *args) -> list[str]:
    return sorted(room["user"] for room in kchat.json("rooms", "list", "--limit", "0", *args))


def outbox(kchat, kind=None):
    items = kchat.json("outbox", "list", "--limit", "0")
    return [item for item in items if kind is None or item["kind"] == kind]


@pytest.fixture
def two_rooms(kchat, ev):
    kchat.ingest(
        ev.open("u1", "2026-11-23 09:00", nickname="민지"),
        ev.says("u1", "2026-11-23 09:01", text="환불 문의"),
        ev.says("u2", "2026-11-23 09:02", text="배송 문의"),
    )
    return room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]


# Blocking


def test_r_block_1_blocked_user_gets_the_exact_notice_and_stays_out_of_the_room(
    kchat, ev, two_rooms
):
    u1, _ = two_rooms
    kchat("users", "block", u1)
    kchat.ingest(ev.says("u1", "2026-11-23 10:00", text="왜 차단했어요"), args=NOW)
    (notice,) = outbox(kchat, "blocked")
    assert notice["text"] == BLOCKED_NOTICE
    assert notice["user"] == "u1"
    room = room_of(kchat, "u1", "--blocked")
    assert room["unread"] == 1, "the blocked message never reaches the unread count"
    texts = [m["text"] for m in kchat.json("rooms", "show", u1, "--peek")["messages"]]
    assert texts == ["환불 문의"], "nor the room"
    exported = kchat("export", "messages", "--include-hidden").stdout
    kept = [
        (row["from"], row["text"])
        for row in csv.DictReader(io.StringIO(exported))
        if row["hidden"] == "true"
    ]
    assert kept == [("user", "왜 차단했어요"), ("system", BLOCKED_NOTICE)], "kept for the record"


def test_r_block_1_blocked_rooms_leave_the_default_lists(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("users", "block", u1)
    assert rooms_of(kchat) == ["u2"]
    assert rooms_of(kchat, "--blocked") == ["u1"]


def test_r_star_1_blocking_removes_the_star(kchat, two_rooms):
    u1, u2 = two_rooms
    kchat("rooms", "star", u1, u2)
    assert rooms_of(kchat, "--starred") == ["u1", "u2"]
    kchat("users", "block", u1)
    assert rooms_of(kchat, "--starred") == ["u2"]
    assert room_of(kchat, "u1", "--blocked")["starred"] is False
    result = kchat("rooms", "star", u1, code=3)
    assert "refused" in result.stderr and "blocked" in result.stderr


def test_r_block_2_comments_after_the_block_are_hidden(kchat, ev, two_rooms):
    """R-BLOCK-2: a blocked user's comments on home posts after the block are hidden."""
    u1, _ = two_rooms
    comment = {"type": "comment", "user": "u1", "post": "p1"}
    kchat.ingest({**comment, "id": "c1", "ts": kst("2026-11-23 09:30"), "text": "좋아요"})
    kchat("users", "block", u1)
    kchat.ingest({**comment, "id": "c2", "ts": "2099-01-01T00:00:00+09:00", "text": "광고"})
    assert [c["text"] for c in kchat.json("comments", "list")] == ["좋아요"]
    assert [c["text"] for c in kchat.json("comments", "list", "--hidden")] == ["광고"]


def test_r_block_3_blocked_list_history_and_unblock(kchat, ev, two_rooms):
    """R-BLOCK-3: blocked users are listed apart, their history stays readable, and they can be
    unblocked."""
    u1, _ = two_rooms
    kchat("users", "block", u1)
    (listed,) = kchat.json("users", "blocked")
    assert (listed["user"], listed["blocked"]) == ("u1", True)
    shown = kchat.json("rooms", "show", u1)
    assert [m["text"] for m in shown["messages"]] == ["환불 문의"]
    assert "unblocked" in kchat("users", "unblock", u1).stderr
    kchat.ingest(ev.says("u1", "2026-11-23 10:00", text="감사합니다"), args=NOW)
    assert room_of(kchat, "u1")["unread"] == 1
    assert kchat.json("users", "blocked") == []


def test_r_set_5_no_offhours_notice_to_a_blocked_user(kchat, ev, two_rooms):
    """R-SET-5: never an off-hours notice to a blocked user."""
    u1, _ = two_rooms
    kchat("settings", "hours", "set", "mon-fri", "09:00-18:00")
    kchat("users", "block", u1)
    kchat.ingest(ev.says("u1", "2026-11-23 20:00"), args=("--as-of", kst("2026-11-23 20:00")))
    kchat("jobs", "run", "offhours-notices", "--as-of", kst("2026-11-23 20:05"))
    assert outbox(kchat, "offhours") == []
    assert [item["text"] for item in outbox(kchat, "blocked")] == [BLOCKED_NOTICE]


def test_cannot_send_to_a_blocked_user(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("users", "block", u1)
    result = kchat("send", u1, "안녕하세요", code=1)
    assert result.stderr.startswith(f"error: the user of room {u1} is blocked")


# Leaving


def test_r_leave_1_left_room_leaves_every_list_and_comes_back_with_history(kchat, ev, two_rooms):
    u1, _ = two_rooms
    result = kchat("rooms", "leave", u1)
    assert "left: 1 changed, 0 unchanged, 0 refused" in result.stderr
    assert rooms_of(kchat, "--status", "all") == ["u2"]
    assert rooms_of(kchat, "--left") == ["u1"]
    assert kchat("unread").stdout.strip() == "1", "left rooms are not in the total (R-UNR-1)"
    kchat.ingest(ev.says("u1", "2026-11-23 11:00", text="다시 문의드려요"), args=NOW)
    assert rooms_of(kchat) == ["u1", "u2"]
    texts = [m["text"] for m in kchat.json("rooms", "show", u1, "--peek")["messages"]]
    assert texts == ["환불 문의", "다시 문의드려요"]


def test_r_leave_2_leaving_a_blocked_room_needs_yes_without_a_terminal(kchat, two_rooms):
    """R-LEAVE-2: leaving a blocked user's room is refused without --yes."""
    u1, u2 = two_rooms
    kchat("users", "block", u1)
    result = kchat("rooms", "leave", u1, u2, code=3)
    assert "left: 1 changed, 0 unchanged, 1 refused" in result.stderr
    assert "leaving makes the block permanent; pass --yes" in result.stderr
    assert rooms_of(kchat, "--blocked") == ["u1"], "still there, still only blocked"


def test_r_leave_2_leaving_a_blocked_room_makes_the_block_permanent(kchat, ev, two_rooms):
    """R-LEAVE-2, R-BLOCK-3: a blocked room left with --yes can no longer be unblocked."""
    u1, _ = two_rooms
    kchat("users", "block", u1)
    kchat("rooms", "leave", u1, "--yes")
    result = kchat("users", "unblock", u1, code=1)
    assert result.stderr == (
        "error: the block is permanent: the room was left while the user "
        "was blocked; it cannot be undone\n"
    )
    kchat.ingest(ev.says("u1", "2026-11-23 10:00", text="저기요"), args=NOW)
    assert rooms_of(kchat, "--status", "all") == ["u2"], "new messages do not bring it back"
    assert rooms_of(kchat, "--left", "--blocked") == ["u1"]
    assert [item["text"] for item in outbox(kchat, "blocked")] == [BLOCKED_NOTICE]


# Star, assign


def test_r_assign_1_assign_filter_and_any_admin_sends(kchat, two_rooms):
    u1, u2 = two_rooms
    kchat("admins", "add", "bob", "--name", "박보검")
    kchat("rooms", "assign", u1, "--to", "bob")
    assert rooms_of(kchat, "--assignee", "bob") == ["u1"]
    assert rooms_of(kchat, "--assignee", "none") == ["u2"]
    assert room_of(kchat, "u1")["assignee"] == "bob"
    (message,) = kchat.json("--as", "alice", "send", u1, "제가 대신 답변드려요")
    assert message["admin"] == "alice", "R-SEND-2: the sender is recorded, assigned or not"
    kchat("rooms", "assign", u1, "--clear")
    assert rooms_of(kchat, "--assignee", "none") == ["u1", "u2"]


def test_r_assign_1_unknown_admin_changes_nothing(kchat, two_rooms):
    u1, _ = two_rooms
    result = kchat("rooms", "assign", u1, "--to", "nobody", code=1)
    assert result.stderr == "error: no admin 'nobody' in this channel; see kchat admins list\n"
    assert kchat("rooms", "assign", u1, code=2).exit_code == 2


def test_removing_an_admin_unassigns_their_rooms_and_keeps_their_messages(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("admins", "add", "bob", "--name", "박보검")
    verify(kchat, "bob")
    kchat("rooms", "assign", u1, "--to", "bob")
    kchat("--as", "bob", "send", u1, "안녕하세요")
    assert "1 room unassigned" in kchat("admins", "remove", "bob", "--yes").stderr
    assert room_of(kchat, "u1")["assignee"] is None
    assert [a["login"] for a in kchat.json("admins", "list")] == ["alice"]
    assert kchat.json("rooms", "show", u1, "--peek")["messages"][-1]["admin"] == "bob"
    assert kchat("--as", "bob", "send", u1, "hi", code=1).stderr.startswith("error: no admin")
    last_owner = kchat("admins", "remove", "alice", "--yes", code=1)
    assert "last owner" in last_owner.stderr


# Labels


def test_r_label_1_create_apply_filter_rename_delete(kchat, two_rooms):
    u1, u2 = two_rooms
    for name in ("VIP", "단골", "재구매고객"):
        kchat("labels", "create", name)
    kchat("rooms", "label", u1, u2, "--add", "VIP")
    kchat("rooms", "label", u1, "--add", "단골", "--add", "재구매고객")
    assert room_of(kchat, "u1")["labels"] == ["VIP", "단골", "재구매고객"]
    assert rooms_of(kchat, "--label", "VIP") == ["u1", "u2"]
    assert rooms_of(kchat, "--label", "VIP", "--label", "단골") == ["u1"], "rooms with all"
    kchat("rooms", "label", u1, "--remove", "단골")
    assert rooms_of(kchat, "--label", "단골") == []
    kchat("labels", "rename", "재구매고객", "재구매")
    assert room_of(kchat, "u1")["labels"] == ["VIP", "재구매"]
    assert {label["name"]: label["rooms"] for label in kchat.json("labels", "list")} == {
        "VIP": 2,
        "단골": 0,
        "재구매": 1,
    }
    refused = kchat("labels", "delete", "VIP", code=1)
    assert "needs --yes" in refused.stderr and "on 2 rooms" in refused.stderr
    kchat("labels", "delete", "VIP", "--yes")
    assert room_of(kchat, "u2")["labels"] == []


def test_r_label_1_unknown_label_is_an_error_before_any_change(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("labels", "create", "VIP")
    result = kchat("rooms", "label", u1, "--add", "VIP", "--add", "없는라벨", code=1)
    assert result.stderr == "error: no label '없는라벨'; see kchat labels list\n"
    assert room_of(kchat, "u1")["labels"] == []
    assert kchat("rooms", "list", "--label", "없는라벨", code=1).stderr.startswith(
        "error: no label"
    )


# Rename, memo


def test_r_room_1_rename_and_memo(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("rooms", "rename", u1, "김민지 (강남점)")
    kchat("rooms", "memo", u1, "환불 완료 11/20")
    room = room_of(kchat, "u1")
    assert (room["name"], room["memo"]) == ("김민지 (강남점)", "환불 완료 11/20")
    kchat("rooms", "rename", u1, "")
    assert room_of(kchat, "u1")["name"] == "민지", "back to the nickname"


# Friend groups


def test_r_group_1_group_message_to_friends_who_are_not_blocked(kchat, ev, two_rooms):
    u1, u2 = two_rooms
    kchat.ingest(
        ev.friend("u1", "2026-11-23 09:10"),
        ev.says("u3", "2026-11-23 09:11"),
        ev.friend("u3", "2026-11-23 09:12"),
    )
    u3 = room_of(kchat, "u3")["id"]
    kchat("groups", "create", "겨울이벤트")
    result = kchat("rooms", "to-group", "-", "--group", "겨울이벤트", input=f"{u1}\n{u2}\n{u3}\n")
    assert "added to group 겨울이벤트: 3 changed" in result.stderr
    kchat("users", "block", u3)
    assert [
        (m["user"], m["friend"], m["blocked"])
        for m in kchat.json("groups", "members", "겨울이벤트")
    ] == [("u1", True, False), ("u2", False, False), ("u3", True, True)]
    result = kchat("groups", "message", "겨울이벤트", "겨울 한정 메뉴 출시!", code=3)
    assert "queued for 1 member, 2 skipped" in result.stderr
    assert "skipped u2: not a friend" in result.stderr and "skipped u3: blocked" in result.stderr
    assert [(item["user"], item["kind"]) for item in outbox(kchat, "group")] == [("u1", "group")]
    assert kchat.json("groups", "list")[0]["members"] == 3
    assert kchat("rooms", "to-group", u1, "--group", "없음", code=1).stderr.startswith(
        "error: no friend group"
    )


# Bulk


def test_bulk_from_stdin_dry_run_and_summary(kchat, ev):
    """R-BULK-1: room ids on standard input, --dry-run, and the bad ids refused (exit 3)."""
    kchat.ingest(*(ev.says(f"u{n}", f"2026-11-23 09:{n:02d}") for n in range(5)))
    kchat("labels", "create", "VIP")
    ids = kchat("rooms", "list", "-o", "ids").stdout
    dry = kchat("rooms", "label", "-", "--add", "VIP", "--dry-run", input=ids)
    assert "labels +VIP: 5 would change, 0 unchanged, 0 refused (dry run)" in dry.stderr
    assert rooms_of(kchat, "--label", "VIP") == []
    done = kchat("rooms", "label", "-", "--add", "VIP", input=ids + "99999\n", code=3)
    assert done.stderr.splitlines() == [
        "labels +VIP: 5 changed, 0 unchanged, 1 refused",
        "  refused 99999: no such room",
    ]
    assert rooms_of(kchat, "--label", "VIP") == [f"u{n}" for n in range(5)]
    again = kchat("rooms", "label", "-", "--add", "VIP", input=ids)
    assert again.stderr == "labels +VIP: 0 changed, 5 unchanged, 0 refused\n"


def test_bulk_changes_commit_one_transaction_per_batch(kchat, ev):
    """R-BULK-1: a batch is a transaction."""
    kchat.ingest(*(ev.says(f"u{n}", f"2026-11-23 09:{n:02d}") for n in range(5)))
    engine = kchat.engine
    channel = find_channel(engine, None)
    ids = [str(room["id"]) for room in kchat.json("rooms", "list")]
    commits = []

    def count(connection):
        commits.append(1)

    sa.event.listen(engine, "commit", count)
    try:
        report = apply_to_rooms(
            Batches(engine),
            ids,
            room_actions.Read(),
            actor_of=lambda session: Actor(session, channel, clock.now(), Home(kchat.home)),
            batch_size=2,
        )
    finally:
        sa.event.remove(engine, "commit", count)
    assert len(report.changed) == 5
    assert len(commits) == 3, "5 rooms in batches of 2: three transactions, never five"


# Summaries


def test_bulk_summaries_say_what_was_done_then_changed_unchanged_refused(kchat, two_rooms_asking):
    u1, u2 = two_rooms_asking
    kchat("labels", "create", "VIP")
    labelled = kchat("rooms", "label", u1, u2, "abc", "--add", "VIP", code=3)
    assert labelled.stderr == (
        "labels +VIP: 2 changed, 0 unchanged, 1 refused\n  refused abc: not a room id\n"
    )
    again = kchat("rooms", "label", u1, "--add", "VIP")
    assert again.stderr == "labels +VIP: 0 changed, 1 unchanged, 0 refused\n"
    removed = kchat("rooms", "label", u1, u2, "--remove", "VIP")
    assert removed.stderr == "labels -VIP: 2 changed, 0 unchanged, 0 refused\n"
    assert kchat("rooms", "star", u1, "--dry-run").stderr == (
        "starred: 1 would change, 0 unchanged, 0 refused (dry run)\n"
    )
    assert kchat("rooms", "star", u1).stderr == "starred: 1 changed, 0 unchanged, 0 refused\n"
    assert kchat("rooms", "assign", u1, "--to", "alice").stderr == (
        "assigned to alice: 1 changed, 0 unchanged, 0 refused\n"
    )
    cleared = kchat("rooms", "assign", u1, u2, "--clear")
    assert cleared.stderr == "unassigned: 1 changed, 1 unchanged, 0 refused\n"
    assert room_of(kchat, "u1")["assignee"] is None


def test_an_empty_memo_is_cleared_not_saved(kchat, two_rooms_asking):
    u1, _ = two_rooms_asking
    assert kchat("rooms", "memo", u1, "VIP 고객").stderr == f"memo of room {u1} saved\n"
    assert kchat("rooms", "memo", u1, "").stderr == f"memo of room {u1} cleared\n"
    assert room_of(kchat, "u1")["memo"] is None


def test_an_empty_filtered_listing_says_nothing_matched_the_filter(kchat, two_rooms_asking):
    assert kchat("outbox", "list").stderr == "the outbox is empty\n"
    assert kchat("outbox", "list", "--status", "pending").stderr == "no pending items\n"
    kchat("labels", "create", "VIP")
    assert kchat("rooms", "list", "--label", "VIP").stderr == "no rooms match these filters\n"
    assert kchat("rooms", "list", "--label", "VIP", "-o", "json").stdout == "[]\n"


def test_counts_of_one_are_singular(kchat, ev, two_rooms_asking):
    u1, u2 = two_rooms_asking
    kchat.ingest(ev.friend("u1", "2026-11-20 10:05"))
    kchat("groups", "create", "단골")
    kchat("rooms", "to-group", u1, u2, "--group", "단골")
    sent = kchat("groups", "message", "단골", "감사 쿠폰 드려요", code=3)
    assert sent.stderr.splitlines()[0] == "queued for 1 member, 1 skipped"
    assert kchat("groups", "delete", "단골", "--yes").stderr == "group '단골' deleted (2 members)\n"
    assert kchat("export", "rooms", "--who", "u1").stderr == "exported 1 room\n"
    assert kchat("export", "messages", "--who", "u2").stderr == "exported 1 message\n"
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", u1, "--add", "VIP")
    deleted = kchat("labels", "delete", "VIP", "--dry-run")
    assert deleted.stderr.splitlines()[0] == "label 'VIP' is on 1 room"
    (entry,) = [entry for entry in audit_entries(kchat) if entry["action"] == "rooms.label"]
    assert entry["target"] == "1 room"
