"""What people read and open (issue 17): summaries in the README's words with plurals
right, message tags, watch's who and when, a scheduler log quiet when nothing happened,
CSV with a byte order mark, one message shape, and audit details as objects."""

import csv
import io
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from conftest import room_of

from jobs.scheduler import Daemon, run_summary
from kchat_cli import clock
from kchat_cli.domain.actor import Home
from kchat_cli.domain.conversations import watch
from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS
from kchat_cli.render import short_time
from kchat_cli.store.opening import find_channel
from kchat_cli.store.session import read_session
from kchat_cli.views import message_body

SHA = "ab" * 32
RECEIPT = {"name": "영수증.png", "size": 2048, "mime": "image/png", "sha256": SHA}


@pytest.fixture
def two_rooms(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="환불 문의"),
        ev.says("u2", "2026-11-20 10:01", text="배송 문의"),
    )
    return room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]


# Summaries


def test_bulk_summaries_say_what_was_done_then_changed_unchanged_refused(kchat, two_rooms):
    u1, u2 = two_rooms
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


def test_an_empty_memo_is_cleared_not_saved(kchat, two_rooms):
    u1, _ = two_rooms
    assert kchat("rooms", "memo", u1, "VIP 고객").stderr == f"memo of room {u1} saved\n"
    assert kchat("rooms", "memo", u1, "").stderr == f"memo of room {u1} cleared\n"
    assert room_of(kchat, "u1")["memo"] is None


def test_an_empty_filtered_listing_says_nothing_matched_the_filter(kchat, two_rooms):
    assert kchat("outbox", "list").stderr == "the outbox is empty\n"
    assert kchat("outbox", "list", "--status", "pending").stderr == "no pending items\n"
    kchat("labels", "create", "VIP")
    assert kchat("rooms", "list", "--label", "VIP").stderr == "no rooms match these filters\n"
    assert kchat("rooms", "list", "--label", "VIP", "-o", "json").stdout == "[]\n"


def test_counts_of_one_are_singular(kchat, ev, two_rooms):
    u1, u2 = two_rooms
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


# Message tags


def test_message_tags_have_no_stray_space_and_say_a_coupon_once():
    def message(kind, text, file=None):
        return {"kind": kind, "text": text, "file": file}

    assert message_body(message("text", "안녕하세요")) == "안녕하세요"
    assert message_body(message("notice", "지금은 상담시간이 아닙니다")) == (
        "[notice] 지금은 상담시간이 아닙니다"
    )
    assert message_body(message("coupon", "[쿠폰] 겨울 할인 · 10% 할인 · 2099-12-31까지")) == (
        "[coupon] 겨울 할인 · 10% 할인 · 2099-12-31까지"
    )
    assert message_body(message("image", None, RECEIPT)) == "[image 영수증.png]"
    assert message_body(message("add_request", None)) == "[add_request]"


def test_rooms_show_tags_a_coupon_once(kchat, ev, two_rooms):
    u1, _ = two_rooms
    kchat.ingest(ev.friend("u1", "2026-11-20 10:05"))
    coupon = kchat(
        "coupons", "create", "겨울 할인", "--benefit", "10% 할인", "--valid-until", "2099-12-31"
    ).stdout.strip()
    kchat("send", u1, "--coupon", coupon)
    shown = kchat("rooms", "show", u1).stdout
    assert "[coupon] 겨울 할인 · 10% 할인" in shown
    assert "[쿠폰]" not in shown and "[coupon ]" not in shown


# watch


def room_events(kchat, cursor) -> tuple[list[dict], watch.Cursor]:
    channel = find_channel(kchat.engine, None)
    with read_session(kchat.engine) as session:
        events, cursor = watch.changes(session, channel.id, cursor)
    return [event for event in events if event["type"] == "room"], cursor


def start_cursor(kchat) -> watch.Cursor:
    with read_session(kchat.engine) as session:
        return watch.start(session, find_channel(kchat.engine, None).id)


def test_a_room_change_has_its_own_time_and_says_who_made_it(kchat, ev, two_rooms):
    u1, _ = two_rooms
    cursor = start_cursor(kchat)
    before = clock.now()
    kchat("rooms", "star", u1)
    (starred,), cursor = room_events(kchat, cursor)
    assert (starred["room"], starred["by"]) == (u1, "alice")
    assert before - timedelta(seconds=1) <= starred["ts"] <= clock.now(), (
        "the change's time, not the last message's (2026-11-20 10:00)"
    )
    kchat.ingest(ev.says("u1", "2026-11-20 11:00", text="또 문의"))
    (written,), cursor = room_events(kchat, cursor)
    assert written["by"] == "ingest"
    kchat.ingest(ev.says("u3", "2021-01-02 10:00", text="아주 오래전"))
    cursor = start_cursor(kchat)
    kchat("jobs", "run", "retention")
    (purged,), _ = room_events(kchat, cursor)
    assert (purged["user"], purged["by"]) == ("u3", "retention")


def test_watch_prints_a_room_change_on_one_line_with_when_and_who(kchat, two_rooms):
    u1, _ = two_rooms
    watcher = subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", "--as", "alice", "watch", "--count", "1"],
        env={**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stderr.readline().startswith("watching 헬로카페 as alice")
        before = short_time(clock.now())
        kchat("rooms", "complete", u1)
        out, _ = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    (line,) = out.splitlines()
    stamp, _, rest = line.partition("  ")
    assert stamp in (before, short_time(clock.now()))
    assert rest == f"room {u1}  u1: completed, 1 unread (by alice)"


# The scheduler's log


def test_a_run_in_words_and_none_for_a_run_that_did_nothing():
    def run(name, outcome="ok", **counts):
        return {"name": name, "outcome": outcome, "counts": counts}

    assert run_summary(run("deliver", sent=0, retrying=0, failed=0)) is None
    assert run_summary(run("deliver", sent=3, retrying=1, failed=0)) == (
        "deliver: 3 sent, 1 to retry"
    )
    assert run_summary(run("retention", messages=1, files=0, rooms=1, batches=1)) == (
        "retention: 1 message deleted, 1 room touched"
    )
    assert run_summary(run("pii-purge", destroyed=2)) == (
        "pii-purge: 2 customer info records destroyed"
    )
    assert run_summary(run("deliver", "stopped", sent=0)) == "deliver: stopped"


def test_the_scheduler_logs_a_line_a_run_that_did_something_and_nothing_else(
    kchat, two_rooms, caplog
):
    u1, _ = two_rooms
    daemon = Daemon(kchat.engine, Home(folder=kchat.home))
    with caplog.at_level(logging.INFO, logger="kchat.scheduler"):
        assert daemon.run_once("deliver")["counts"]["sent"] == 0
        assert daemon.run_once("offhours-notices") is not None
        assert caplog.messages == [], "nothing happened"
        kchat("send", u1, "안녕하세요")
        daemon.run_once("deliver")
    assert caplog.messages == ["deliver: 1 sent"]


# Data people open


def audit_entries(kchat) -> list[dict]:
    return [
        json.loads(line) for line in kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    ]


def test_csv_with_a_byte_order_mark_for_spreadsheets(kchat, two_rooms, tmp_path):
    target = tmp_path / "messages.csv"
    kchat("export", "messages", "-o", "csv", "--bom", "--out", target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    assert [row["text"] for row in rows] == ["환불 문의", "배송 문의"]
    assert not kchat("export", "messages").stdout.startswith("\ufeff"), "only when asked"
    refused = kchat("export", "audit", "-o", "jsonl", "--bom", code=2)
    assert "csv" in refused.stderr


def test_a_message_has_one_shape_in_rooms_show_search_and_export(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="영수증 보내요", kind="image", file=RECEIPT)
    )
    room = room_of(kchat, "u1")["id"]
    (shown,) = kchat.json("rooms", "show", room, "--peek")["messages"]
    (found,) = kchat.json("search", "영수증")
    (exported,) = map(json.loads, kchat("export", "messages", "-o", "jsonl").stdout.splitlines())
    assert list(exported) == list(MESSAGE_FIELDS)
    assert list(shown) == [*MESSAGE_FIELDS, "new"]
    assert list(found) == [*MESSAGE_FIELDS, "name"]
    assert exported["file"] == RECEIPT
    assert {key: shown[key] for key in MESSAGE_FIELDS} == exported
    assert {key: found[key] for key in MESSAGE_FIELDS} == exported
    (row,) = csv.DictReader(io.StringIO(kchat("export", "messages").stdout))
    assert (row["file_name"], row["file_size"], row["file_sha256"]) == ("영수증.png", "2048", SHA)


def test_audit_details_are_an_object_in_json_and_json_text_in_csv(kchat, two_rooms):
    u1, _ = two_rooms
    kchat("send", u1, "해결되었습니다", "--complete")
    (sent,) = [entry for entry in audit_entries(kchat) if entry["action"] == "send"]
    assert isinstance(sent["details"], dict) and sent["details"]["complete"] is True
    rows = csv.DictReader(io.StringIO(kchat("export", "audit").stdout))
    (row,) = [row for row in rows if row["action"] == "send"]
    assert json.loads(row["details"]) == sent["details"]
