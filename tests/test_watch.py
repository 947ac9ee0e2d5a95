"""`kchat watch` (R-SYNC-1, R-UNR-3): live, for several admins, without gaps; a room change
with its own time and who made it, printed on one line."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa
from conftest import room_of, verify

from kchat_cli import clock
from kchat_cli.domain.conversations import watch
from kchat_cli.render import short_time
from kchat_cli.store.opening import find_channel
from kchat_cli.store.session import read_session
from kchat_cli.store.wakeups import change_channel


def start_watch(kchat, login: str, count: int) -> subprocess.Popen:
    """A real `kchat watch` for `login`; returns once it is watching."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kchat_cli",
            "--as",
            login,
            "watch",
            "-o",
            "jsonl",
            "--count",
            str(count),
        ],
        env={**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    assert line.startswith(f"watching 헬로카페 as {login}"), line
    return process


def events_of(process: subprocess.Popen) -> tuple[list[dict], str]:
    out, err = process.communicate(timeout=60)
    return [json.loads(line) for line in out.splitlines()], err


def test_several_admins_follow_messages_and_room_changes_live(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00", text="처음"))
    kchat("admins", "add", "bob", "--name", "박보검")
    verify(kchat, "bob")
    kchat("--as", "bob", "account", "notifications", "off")
    alice = start_watch(kchat, "alice", count=4)
    bob = start_watch(kchat, "bob", count=4)
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:05", text="환불 문의"),
        ev.says("u2", "2026-11-20 10:06", text="배송 문의"),
    )
    kchat("rooms", "read", room_of(kchat, "u1")["id"])
    (alice_events, alice_err), (bob_events, bob_err) = events_of(alice), events_of(bob)
    for events in (alice_events, bob_events):
        assert [(e["type"], e["text"]) for e in events if e["type"] == "message"] == [
            ("message", "환불 문의"),
            ("message", "배송 문의"),
        ]
        rooms = [(e["user"], e["status"], e["unread"]) for e in events if e["type"] == "room"]
        assert ("u1", "unread", 2) in rooms or ("u1", "unanswered", 0) in rooms
    assert alice_err.count("\a") == 2, "notifications on: a bell a new message (R-UNR-3)"
    assert "\a" not in bob_err, "notifications off"


def test_the_cursor_misses_nothing_and_repeats_nothing(kchat, ev):
    engine = kchat.engine
    channel = find_channel(engine, None)
    with read_session(engine) as session:
        cursor = watch.start(session, channel.id)
    seen = []
    for batch in range(3):
        kchat.ingest(
            *(ev.says(f"u{n}", f"2026-11-20 10:{batch:02d}", text=f"{batch}-{n}") for n in range(4))
        )
        with read_session(engine) as session:
            events, cursor = watch.changes(session, channel.id, cursor)
        seen += [e["text"] for e in events if e["type"] == "message"]
    with read_session(engine) as session:
        events, _ = watch.changes(session, channel.id, cursor)
    assert events == [], "nothing new, nothing again"
    assert seen == [f"{b}-{n}" for b in range(3) for n in range(4)]


def messages_from(process: subprocess.Popen, how_many: int) -> list[str]:
    """Read the watcher's output until `how_many` messages came."""
    texts = []
    while len(texts) < how_many:
        line = process.stdout.readline()
        assert line, f"the watcher stopped: {process.stderr.read()}"
        event = json.loads(line)
        if event["type"] == "message":
            texts.append(event["text"])
    return texts


def test_watch_resumes_without_gaps_after_a_lost_connection(pg_kchat, ev, pg_admin):
    kchat = pg_kchat
    watcher = start_watch(kchat, "alice", count=0)
    try:
        kchat.ingest(
            ev.says("u1", "2026-11-20 10:00", text="하나"),
            ev.says("u1", "2026-11-20 10:01", text="둘"),
        )
        assert messages_from(watcher, 2) == ["하나", "둘"]
        with pg_admin.connect() as connection:
            cut = (
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND application_name = 'kchat watch'"
                    )
                )
                .scalars()
                .all()
            )
        assert cut, "the watcher's listening connection was cut"
        kchat.ingest(
            ev.says("u2", "2026-11-20 10:02", text="셋"),
            ev.says("u2", "2026-11-20 10:03", text="넷"),
        )
        assert messages_from(watcher, 2) == ["셋", "넷"], "after the cut: no gap, no repeat"
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)


def room_events(kchat, cursor) -> tuple[list[dict], watch.Cursor]:
    channel = find_channel(kchat.engine, None)
    with read_session(kchat.engine) as session:
        events, cursor = watch.changes(session, channel.id, cursor)
    return [event for event in events if event["type"] == "room"], cursor


def start_cursor(kchat) -> watch.Cursor:
    with read_session(kchat.engine) as session:
        return watch.start(session, find_channel(kchat.engine, None).id)


def test_a_room_change_has_its_own_time_and_says_who_made_it(kchat, ev, two_rooms_asking):
    u1, _ = two_rooms_asking
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


def test_watch_prints_a_room_change_on_one_line_with_when_and_who(kchat, two_rooms_asking):
    u1, _ = two_rooms_asking
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


def test_a_committed_change_tells_those_listening_on_postgresql(pg_kchat, ev):
    """R-SYNC-1: the transaction that takes the channel's revision NOTIFYs it at commit, so a
    listener wakes at once instead of at its timeout."""
    kchat = pg_kchat
    with kchat.engine.connect() as listening:
        channel_id = listening.exec_driver_sql("SELECT id FROM channels").scalar_one()
        listening.exec_driver_sql(f'LISTEN "{change_channel(channel_id)}"')
        listening.commit()
        kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
        driver = listening.connection.driver_connection
        told = [notice.payload for notice in driver.notifies(timeout=10, stop_after=1)]
        revision = listening.exec_driver_sql("SELECT revision FROM channels").scalar_one()
    assert told == [str(revision)]
