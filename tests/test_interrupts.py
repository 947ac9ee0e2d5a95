"""Interruptions: Ctrl-C or SIGTERM at any point of ingest, retention, pii-purge, deliver,
export or a bulk label rolls the transaction in hand back, records the job as interrupted,
lets go of its lock and exits 130 (143); another process writes at once, and a rerun ends
in the state of an uninterrupted run. The search index never points at a deleted message,
whatever the kill point, SIGKILL included."""

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from conftest import Kchat, initialised, kst

from kchat_cli.domain.conversations import bulk
from kchat_cli.store import search_index
from kchat_cli.store.models import Lock

OLD, NEW = "2022-03-0{day} 10:{minute:02d}", "2026-11-2{day} 10:{minute:02d}"


def events(count: int, *, prefix: str = "e", old: bool = True) -> list[dict]:
    """Messages in `count // 10` rooms, half of them old enough for retention."""
    made = []
    for n in range(count):
        when = (OLD if old and n % 2 else NEW).format(day=n % 9 + 1, minute=n % 60)
        made.append(
            {
                "id": f"{prefix}{n}",
                "type": "message",
                "user": f"u{n % max(count // 10, 1)}",
                "ts": kst(when),
                "text": f"문의 {n} 환불 배송",
            }
        )
    return made


def write_events(path, made: list[dict]) -> str:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in made), "utf-8")
    return str(path)


def fingerprint(cli) -> dict:
    """What an uninterrupted run leaves: rooms, messages, labels, outbox, consents, by what
    they are rather than by when this run happened to write them."""
    with cli.engine.connect() as connection:

        def rows(sql: str) -> list:
            return sorted(tuple(row) for row in connection.exec_driver_sql(sql))

        return {
            # Admin messages sent while setting up are stamped with that moment: left out.
            "rooms": rows(
                "SELECT u.key, r.status, r.unread, r.seq, r.read_seq, r.held, "
                "r.last_user_at, CASE WHEN r.last_admin_at IS NULL THEN "
                "r.last_message_at END FROM rooms r JOIN users u ON u.id = r.user_id"
            ),
            "messages": rows(
                "SELECT u.key, m.sender, m.text, CASE WHEN m.sender = 'user' THEN "
                "m.ts END, m.seq, m.hidden FROM messages m JOIN rooms r ON "
                "r.id = m.room_id JOIN users u ON u.id = r.user_id"
            ),
            "labels": rows(
                "SELECT u.key, l.name FROM room_labels rl JOIN rooms r ON "
                "r.id = rl.room_id JOIN users u ON u.id = r.user_id "
                "JOIN labels l ON l.id = rl.label_id"
            ),
            "outbox": rows("SELECT kind, text, status FROM outbox"),
            "events": rows("SELECT event_id FROM ingested_events"),
            "consents": rows("SELECT count(*) FROM consents"),
            "unread": rows("SELECT unread_total FROM channels"),
        }


def assert_another_process_writes_at_once(cli) -> None:
    """The interrupted work holds no lock: a write that waits for nobody succeeds."""
    if cli.url.startswith("sqlite"):
        store = sqlite3.connect(
            cli.url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None
        )
        store.execute("BEGIN IMMEDIATE")
        store.execute("UPDATE rooms SET held = held")
        store.execute("ROLLBACK")
        store.close()
        return
    engine = sa.create_engine(cli.url.replace("postgresql+psycopg", "postgresql+psycopg", 1))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            connection.exec_driver_sql("UPDATE rooms SET held = held")
            connection.exec_driver_sql("UPDATE channels SET revision = revision")
            connection.exec_driver_sql("SELECT * FROM locks FOR UPDATE")
    finally:
        engine.dispose()


def assert_search_index_true(cli) -> None:
    """SQLite: every month's search table is sound (FTS5's integrity-check) and holds only
    messages that exist, of that month, with that text; searching works."""
    if not cli.url.startswith("sqlite"):
        return
    store = sqlite3.connect(cli.url.removeprefix("sqlite:///"))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    try:
        names = store.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name "
            "GLOB 'messages_fts_" + "[0-9]" * 6 + "'"
        ).fetchall()
        for (name,) in names:  # table names from the schema, not from input
            store.execute(f"INSERT INTO {name}({name}) VALUES ('integrity-check')")  # noqa: S608
            store.execute(
                f"CREATE VIRTUAL TABLE temp.v_{name} USING fts5vocab(main, {name}, 'instance')"
            )
            indexed = set(store.execute(f"SELECT DISTINCT doc FROM v_{name}"))  # noqa: S608
            start = datetime.strptime(name.removeprefix(search_index.PREFIX), "%Y%m")
            start = start.replace(tzinfo=UTC)
            bounds = [
                int((moment - epoch).total_seconds() * 1_000_000)
                for moment in (start, search_index.next_month(start))
            ]
            present = set(
                store.execute(
                    "SELECT id FROM messages WHERE ts >= ? AND ts < ? AND text IS NOT NULL", bounds
                )
            )
            assert indexed <= present, f"{name} points at deleted messages"
    finally:
        store.close()
    cli("search", "환불 배송", "--limit", "0")


class Fault:
    """Ctrl-C at the n-th statement the store is sent: between any two steps of a batch."""

    def __init__(self):
        self.at, self.seen = None, 0

    def __call__(self, *args, **kwargs):
        self.seen += 1
        if self.at is not None and self.seen == self.at:
            raise KeyboardInterrupt()


@pytest.fixture
def fault():
    hook = Fault()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", hook)
    yield hook
    sa.event.remove(sa.engine.Engine, "before_cursor_execute", hook)


def fresh(request, tmp_path, name: str):
    """A new store of the parametrized kind, with the channel."""
    if request.node.callspec.params["store_url"] == "sqlite":
        url = f"sqlite:///{tmp_path / name / 'kchat.db'}"
    else:
        url = request.getfixturevalue("pg_schemas")()
    cli = initialised(url, tmp_path / f"{name}-home")
    cli.env["KCHAT_RETENTION_BATCH"] = "4"
    return cli


def points(kchat, total: int) -> list[int]:
    """Where to interrupt: every statement on SQLite, a spread of them on PostgreSQL."""
    if kchat.url.startswith("sqlite"):
        return list(range(1, total + 1, max(1, total // 20)))
    return sorted({1, 2, total // 4, total // 2, 3 * total // 4, total - 1, total} - {0})


def prepare_consents(cli) -> None:
    cli("plugin", "register", "--biz-app", "shop", "--fields", "name,phone")
    for n in range(6):
        cli.ingest(
            {
                "id": f"m{n}",
                "type": "message",
                "user": f"c{n}",
                "ts": kst("2026-11-20 10:00"),
                "text": "문의",
            }
        )
        room = [r for r in cli.json("rooms", "list", "--status", "all") if r["user"] == f"c{n}"]
        cli("customer-info", "request", room[0]["id"])
        consent = {"id": f"k{n}", "type": "consent", "user": f"c{n}", "ts": kst("2026-11-20 10:05")}
        consent["fields"] = {"phone": f"010-0000-000{n}"}
        cli.ingest(consent)


def prepare_replies(cli) -> None:
    cli.ingest(*events(30, old=False))
    for n in range(12):
        cli("send", 1 + n % 3, f"답변 {n}")


def prepare_labels(cli) -> None:
    cli.ingest(*events(60, old=False))
    cli("labels", "create", "VIP")


# Each operation: how to set a store up for it, and the command that does the work.
OPERATIONS = {
    "ingest": (
        lambda cli, tmp: None,
        lambda cli, tmp: (
            "ingest",
            write_events(tmp / "in.jsonl", events(40)),
            "--batch-size",
            "5",
        ),
    ),
    "retention": (
        lambda cli, tmp: cli("ingest", write_events(tmp / "old.jsonl", events(40))),
        lambda cli, tmp: ("jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00")),
    ),
    "pii-purge": (
        lambda cli, tmp: prepare_consents(cli),
        lambda cli, tmp: ("jobs", "run", "pii-purge", "--as-of", kst("2026-11-24 12:00")),
    ),
    "deliver": (lambda cli, tmp: prepare_replies(cli), lambda cli, tmp: ("jobs", "run", "deliver")),
    "export": (
        lambda cli, tmp: cli.ingest(*events(30, old=False)),
        lambda cli, tmp: ("export", "messages", "--out", str(cli.home / "export.csv")),
    ),
    "label": (
        lambda cli, tmp: prepare_labels(cli),
        lambda cli, tmp: ("rooms", "label", *map(str, range(1, 7)), "--add", "VIP"),
    ),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_ctrl_c_at_any_statement_rolls_back_and_a_rerun_finishes(
    request, store_url, tmp_path, fault, monkeypatch, operation
):
    monkeypatch.setattr(bulk, "BULK_BATCH", 2)
    prepare, command = OPERATIONS[operation]
    whole = fresh(request, tmp_path, "whole")
    prepare(whole, tmp_path)
    fault.seen = 0
    whole(*command(whole, tmp_path))
    total, expected = fault.seen, fingerprint(whole)
    for number, point in enumerate(points(whole, total)):
        cli = fresh(request, tmp_path, f"cut{number}")
        prepare(cli, tmp_path)
        fault.seen, fault.at = 0, point
        result = cli(*command(cli, tmp_path), code=None)
        fault.at = None
        assert result.exit_code in (0, 130), result.stderr
        assert_another_process_writes_at_once(cli)
        with cli.engine.connect() as connection:
            assert connection.execute(sa.select(Lock.name)).all() == [], "the lock let go"
            outcomes = connection.exec_driver_sql("SELECT outcome FROM job_runs").scalars()
            assert "running" not in list(outcomes)
        assert_search_index_true(cli)
        if result.exit_code == 130:  # else Ctrl-C came as the work was done: nothing to redo
            assert not (cli.home / "export.csv").exists(), "no half-written export"
            cli(*command(cli, tmp_path))
        assert fingerprint(cli) == expected, f"after Ctrl-C at statement {point} of {total}"
        assert_search_index_true(cli)


def run_kchat(cli, *args, batch: int = 200, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ,
        "KCHAT_DB": cli.url,
        "KCHAT_HOME": str(cli.home),
        "KCHAT_ADMIN": "alice",
        "KCHAT_RETENTION_BATCH": str(batch),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the work never got under way"
        time.sleep(0.01)


def count(cli, sql: str) -> int:
    with cli.engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_real_signal_stops_ingest_at_once_and_says_what_was_applied(
    request, store_url, tmp_path, sig
):
    cli = fresh(request, tmp_path, "store")
    source = write_events(tmp_path / "big.jsonl", events(30_000, old=False))
    process = run_kchat(cli, "ingest", source, "--batch-size", "500")
    wait_for(lambda: count(cli, "SELECT count(*) FROM messages") >= 1000)
    process.send_signal(sig)  # how fast it stops: scripts/bench
    _, err = process.communicate(timeout=10)
    assert process.returncode == (130 if sig == signal.SIGINT else 143), err
    assert_another_process_writes_at_once(cli)
    applied = int(re.search(r"interrupted: ([\d,]+) events applied", err)[1].replace(",", ""))
    assert applied == count(cli, "SELECT count(*) FROM messages")
    assert "run the same ingest again to finish" in err
    cli("ingest", source)
    assert count(cli, "SELECT count(*) FROM messages") == 30_000


@pytest.mark.slow
def test_a_real_ctrl_c_stops_retention_at_once_and_a_rerun_finishes(request, store_url, tmp_path):
    cli = fresh(request, tmp_path, "store")
    twin = fresh(request, tmp_path, "twin")
    source = write_events(tmp_path / "old.jsonl", events(20_000))
    for each in (cli, twin):
        each("ingest", source)
    twin("jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00"))
    process = run_kchat(cli, "jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00"))
    wait_for(lambda: count(cli, "SELECT count(*) FROM messages") < 19_000)
    process.send_signal(signal.SIGINT)  # how fast it stops: scripts/bench
    _, err = process.communicate(timeout=10)
    assert process.returncode == 130, err
    assert "interrupted: retention stopped after" in err and "running it again finishes" in err
    assert_another_process_writes_at_once(cli)
    assert cli.json("jobs", "history", "retention")[0]["outcome"] == "interrupted"
    assert_search_index_true(cli)
    cli("jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00"))
    assert fingerprint(cli) == fingerprint(twin)
    assert_search_index_true(cli)


@pytest.mark.slow
def test_sigkill_at_any_moment_of_retention_leaves_search_working(sqlite_kchat, tmp_path):
    """The kill that broke search: a month's table pointing at messages a batch deleted."""
    sqlite_kchat("ingest", write_events(tmp_path / "old.jsonl", events(6_000)))
    pristine = tmp_path / "pristine.db"
    with contextlib.closing(sqlite3.connect(sqlite_kchat.url.removeprefix("sqlite:///"))) as db:
        db.execute(f"VACUUM INTO '{pristine}'")
    for left in (5_900, 5_000, 4_000, 3_500, 3_050):
        store = tmp_path / f"killed-{left}" / "kchat.db"
        store.parent.mkdir()
        shutil.copy(pristine, store)
        cli = Kchat(f"sqlite:///{store}", sqlite_kchat.home)

        def messages(store=store) -> int:
            with contextlib.closing(sqlite3.connect(store)) as connection:
                return connection.execute("SELECT count(*) FROM messages").fetchone()[0]

        process = run_kchat(
            cli, "jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00"), batch=50
        )
        wait_for(lambda left=left, messages=messages: messages() <= left)
        process.kill()
        process.wait()
        assert_search_index_true(cli)
        cli("jobs", "run", "retention", "--as-of", kst("2026-11-25 12:00"))
        assert messages() == 3_000
        assert_search_index_true(cli)
