"""R-RET-1 retention: three calendar years in Korea time, complete deletion, legal hold,
batches, rollback, and interruption."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import initialised, kst, room_of
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

import kchat_cli.store.maintenance as maintenance
from kchat_cli.clock import KST, parse_instant
from kchat_cli.domain.upkeep import retention
from kchat_cli.domain.upkeep.retention import Window, expires_at
from kchat_cli.errors import Busy
from kchat_cli.store import search_index
from kchat_cli.store.attachment_store import AttachmentStore, default_place
from kchat_cli.store.batches import Batches
from kchat_cli.store.bulk import batch_writer
from kchat_cli.store.engine import SQLITE_AUTOCHECKPOINT_PAGES, dispose_engines, get_engine
from kchat_cli.store.models import Attachment, AttachmentChunk, Message, OutboxItem, Room

AS_OF = kst("2026-11-25 12:00")


def files_of(kchat) -> AttachmentStore:
    """The attachment store that `kchat jobs run retention` would use for this store."""
    return AttachmentStore(kchat.engine, kchat.home, default_place(kchat.engine))


def at(text: str) -> datetime:
    return parse_instant(kst(text))


def test_r_ret_1_three_calendar_years_in_korea_time():
    assert expires_at(at("2024-02-29 12:00")) == at("2027-02-28 12:00")
    assert expires_at(at("2023-11-25 00:30")) == at("2026-11-25 00:30")
    # 2023-11-24 16:00 UTC is already the 25th in Korea.
    assert expires_at(datetime(2023, 11, 24, 16, 0, tzinfo=UTC)) == at("2026-11-25 01:00")


def test_r_ret_1_leap_day_expires_before_part_of_the_day_before():
    window = Window.at(at("2027-02-28 12:00"))
    assert window.expired(at("2024-02-29 12:00"))
    assert not window.expired(at("2024-02-29 12:01"))
    assert not window.expired(at("2024-02-28 13:00")), "expires at 2027-02-28 13:00"
    assert window.expired(at("2024-02-28 12:00"))


instants = st.datetimes(datetime(2021, 1, 1), datetime(2029, 12, 31), timezones=st.just(KST))


@settings(max_examples=500, deadline=None)
@given(instants, instants)
def test_r_ret_1_window_agrees_with_relativedelta(ts, as_of):
    window = Window.at(as_of)
    assert window.expired(ts) == (expires_at(ts) <= as_of)
    if ts <= window.sure:
        assert expires_at(ts) <= as_of
    if expires_at(ts) <= as_of:
        assert ts <= window.maybe


def store_with_history(kchat, ev):
    """Two rooms: u1 with messages from 2022 and 2026; u2 only from 2023 (all expire)."""
    kchat.ingest(
        ev.open("u1", "2022-05-01 09:00", nickname="민지"),
        ev.says("u1", "2022-05-01 09:01", text="옛날 환불 문의"),
        ev.answer("u1", "2022-05-01 09:05", text="옛날 답변"),
        ev.says("u1", "2026-11-20 10:00", text="최근 문의"),
        ev.says("u2", "2023-11-25 11:00", text="만료될 문의"),
        ev.says("u2", "2023-11-25 11:30", text="만료될 두번째"),
    )
    return room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]


def texts(kchat) -> list[str]:
    with kchat.engine.connect() as connection:
        return sorted(connection.execute(sa.select(Message.text)).scalars())


def index_state(kchat) -> dict[str, list[tuple]]:
    """SQLite: each month's search table and the pieces its index holds, read from the
    index itself (fts5vocab), not from the messages it points to."""
    if not kchat.url.startswith("sqlite"):
        return {}
    with Session(kchat.engine) as session:
        names = [search_index.table_name(month) for month in search_index.months(session)]
        connection = session.connection()
        state = {}
        for name in names:
            connection.exec_driver_sql(
                f"CREATE VIRTUAL TABLE temp.v_{name} USING fts5vocab(main, {name}, 'row')"
            )
            terms = f"SELECT term, doc FROM temp.v_{name} ORDER BY term"  # noqa: S608
            state[name] = connection.exec_driver_sql(terms).all()
        return state


def pieces(text: str) -> set[str]:
    """The three-character pieces the trigram index holds of `text`."""
    return {text[start : start + 3] for start in range(len(text) - 2)}


def indexed_pieces(kchat, table: str) -> set[str]:
    return {term for term, _ in index_state(kchat).get(table, [])}


def test_r_ret_1_deletes_what_expired_and_keeps_the_rest(kchat, ev):
    u1, u2 = store_with_history(kchat, ev)
    kchat("rooms", "memo", u2, "중요한 메모")
    kchat("rooms", "rename", u2, "오래된 고객")
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", u2, "--add", "VIP")
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert run["counts"]["messages"] == 4
    assert texts(kchat) == ["최근 문의"]
    room = room_of(kchat, "u1")
    assert (room["unread"], room["status"]) == (1, "unread")
    assert room["last_message_at"] == kst("2026-11-20 10:00")
    assert kchat("unread").stdout.strip() == "1", "u2's two unread messages went with them"
    with kchat.engine.connect() as connection:
        u2_row = connection.execute(sa.select(Room).where(Room.id == u2)).one()
    assert (u2_row.memo, u2_row.name, u2_row.unread, u2_row.last_message_at) == (
        "중요한 메모",
        "오래된 고객",
        0,
        None,
    ), "memo and name stay; counters follow the messages"
    assert kchat.json("labels", "list") == [{"name": "VIP", "rooms": 1}]


def recounted(engine) -> tuple[dict, dict]:
    """Each room's counters as stored, and as recounted from the messages that remain."""
    messages = Message.__table__
    shown = sa.and_(messages.c.room_id == Room.id, messages.c.hidden.is_(False))

    def latest(sender):
        return (
            sa.select(sa.func.max(messages.c.ts))
            .where(shown, messages.c.sender == sender)
            .scalar_subquery()
        )

    unread = (
        sa.select(sa.func.count())
        .where(shown, messages.c.sender == "user", messages.c.seq > Room.read_seq)
        .scalar_subquery()
    )
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                Room.id,
                Room.unread,
                Room.last_user_at,
                Room.last_admin_at,
                Room.last_message_at,
                unread,
                latest("user"),
                latest("admin"),
            )
        ).all()
    stored = {row[0]: tuple(row[1:5]) for row in rows}
    truth = {}
    for room_id, *_, unread_now, last_user, last_admin in rows:
        times = [t for t in (last_user, last_admin) if t is not None]
        truth[room_id] = (unread_now, last_user, last_admin, max(times) if times else None)
    return stored, truth


def test_r_ret_1_rooms_describe_what_remains(kchat, ev):
    """Read and unread, answered and not, blocked users' hidden messages, whole rooms gone:
    after batches of three, every room's counters equal a recount of what remains."""
    lines = []
    for n in range(12):
        user = f"u{n}"
        lines.append(ev.says(user, f"2022-0{n % 9 + 1}-10 10:00", text=f"옛 문의 {n}"))
        if n % 2:
            lines.append(ev.answer(user, f"2022-0{n % 9 + 1}-10 10:05", text=f"옛 답변 {n}"))
        lines.append(ev.says(user, f"2023-0{n % 9 + 1}-11 09:00", text=f"두번째 {n}"))
        if n % 3:
            lines.append(ev.says(user, f"2026-0{n % 9 + 1}-12 09:00", text=f"최근 {n}"))
    kchat.ingest(*lines)
    for n in (0, 3, 6):
        kchat("rooms", "read", room_of(kchat, f"u{n}")["id"])
    kchat("users", "block", room_of(kchat, "u4")["id"])
    kchat.ingest(
        ev.says("u4", "2023-01-01 10:00", text="차단 후 옛 메시지"),
        ev.says("u4", "2026-01-01 10:00", text="차단 후 최근"),
    )
    before = kchat("unread").stdout
    report = retention.run(
        Batches(kchat.engine), as_of=parse_instant(AS_OF), files=files_of(kchat), batch_size=3
    )
    assert report.batches > 5 and report.messages > 20
    stored, truth = recounted(kchat.engine)
    assert stored == truth
    assert any(unread for unread, *_ in stored.values()), "some rooms keep unread messages"
    assert any(last is None for *_, last in stored.values()), "some rooms emptied"
    total = sum(unread for unread, *_ in stored.values())
    assert kchat("unread").stdout.strip() == str(total) != before.strip()


def test_batches_write_through_a_connection_handed_back_as_found(sqlite_kchat):
    """SQLite: a job's batches commit without checkpointing (the job settles the WAL between
    them), keep temporary tables in memory and leave foreign keys to the job; the connection
    goes back to the pool with the store's usual settings."""

    def settings(driver) -> tuple:
        return tuple(
            driver.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("wal_autocheckpoint", "temp_store", "foreign_keys")
        )

    with batch_writer(sqlite_kchat.engine) as writer:
        driver = writer.connection.driver_connection
        assert settings(driver) == (0, 2, 0)
    assert settings(driver) == (SQLITE_AUTOCHECKPOINT_PAGES, 0, 1)
    with pytest.raises(RuntimeError), batch_writer(sqlite_kchat.engine) as writer:
        driver = writer.connection.driver_connection
        raise RuntimeError("a batch failed")
    assert settings(driver) == (SQLITE_AUTOCHECKPOINT_PAGES, 0, 1), "after a failure too"


def test_retention_vacuums_what_it_deleted_on_postgresql(pg_kchat, ev):
    """The deleted rows' space is reclaimed and the planner counts what remains, even where
    autovacuum is off."""
    store_with_history(pg_kchat, ev)
    pg_kchat("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    with pg_kchat.engine.connect() as connection:
        counted = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass"
        ).scalar()
        vacuumed = connection.exec_driver_sql(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'messages'::regclass"
        ).scalar()
    assert (counted, vacuumed) == (1, 1), "one message remains: 최근 문의"


def test_r_ret_1_expiry_is_to_the_minute(kchat, ev):
    store_with_history(kchat, ev)
    kchat("jobs", "run", "retention", "--yes", "--as-of", kst("2026-11-25 11:00"))
    assert "만료될 두번째" in texts(kchat), "its three years end at 11:30"
    kchat("jobs", "run", "retention", "--yes", "--as-of", kst("2026-11-25 11:30"))
    assert "만료될 두번째" not in texts(kchat)


def test_dry_run_reports_and_changes_nothing(kchat, ev):
    store_with_history(kchat, ev)
    before = index_state(kchat)
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF, "--dry-run")
    assert (run["dry_run"], run["counts"]["messages"]) == (True, 4)
    assert len(texts(kchat)) == 5
    assert index_state(kchat) == before


def test_dry_run_counts_messages_sharing_a_time_once(kchat, ev):
    """Nothing is deleted in a dry run, so each batch must start after the last one's time:
    three messages at one instant, batches of two."""
    kchat.ingest(
        *(ev.says(f"u{n}", "2022-01-01 10:00") for n in range(3)), ev.says("u9", "2022-03-01 10:00")
    )
    report = retention.run(
        Batches(kchat.engine),
        as_of=parse_instant(AS_OF),
        files=files_of(kchat),
        batch_size=2,
        dry_run=True,
    )
    # Two batches, and one finding nothing from the search index's cut on.
    assert (report.messages, report.batches) == (4, 3)
    assert len(texts(kchat)) == 4


def test_legal_hold_is_skipped_and_shown(kchat, ev):
    u1, u2 = store_with_history(kchat, ev)
    kchat("rooms", "hold", u2)
    assert kchat.json("status")["held_rooms"] == 1
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert (run["counts"]["messages"], run["counts"]["held_skipped"]) == (2, 2)
    assert "만료될 문의" in texts(kchat)
    kchat("rooms", "unhold", u2)
    kchat("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert "만료될 문의" not in texts(kchat)


@pytest.mark.parametrize("place", ["home", "database"])
def test_outbox_copies_and_unused_files_go_too(kchat, ev, tmp_path, place):
    store_with_history(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    image = tmp_path / "old.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"old" * 10)
    kchat("send", u1, "--image", image, env={"KCHAT_FILES": place})
    kchat("send", u1, "오래된 답장")
    old = parse_instant("2020-01-01T00:00:00+09:00")
    with kchat.engine.begin() as connection:
        connection.execute(sa.update(Message).where(Message.sender == "admin").values(ts=old))
        connection.execute(sa.update(OutboxItem).values(created_at=old))
        connection.execute(sa.update(Attachment).values(held_until=old))
    in_home = [p for p in (kchat.home / "files").rglob("*") if p.is_file()]
    assert len(in_home) == (place == "home")
    for stored in in_home:
        two_hours_ago = time.time() - 7200
        os.utime(stored, (two_hours_ago, two_hours_ago))
    run = kchat.json(
        "jobs", "run", "retention", "--yes", "--as-of", AS_OF, env={"KCHAT_FILES": place}
    )
    assert (run["counts"]["outbox"], run["counts"]["files"]) == (2, 1)
    assert not any(stored.exists() for stored in in_home)
    with kchat.engine.connect() as connection:
        for table in (Attachment, AttachmentChunk):
            count = sa.select(sa.func.count()).select_from(table)
            assert connection.execute(count).scalar() == 0, table.__tablename__
    assert kchat.json("outbox", "list") == []


def test_outbox_copies_go_a_batch_a_transaction(kchat, ev):
    store_with_history(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    for number in range(3):
        kchat("send", u1, f"오래된 답장 {number}")
    old = parse_instant("2020-01-01T00:00:00+09:00")
    with kchat.engine.begin() as connection:
        connection.execute(sa.update(Message).where(Message.sender == "admin").values(ts=old))
        connection.execute(sa.update(OutboxItem).values(created_at=old))
    engine = kchat.engine
    commits, outbox_deletes = [], []

    def commit(connection):
        commits.append(1)

    def statement(connection, cursor, sql, parameters, context, executemany):
        if sql.lstrip().upper().startswith("DELETE FROM OUTBOX"):
            outbox_deletes.append(len(commits))

    sa.event.listen(engine, "commit", commit)
    sa.event.listen(engine, "before_cursor_execute", statement)
    try:
        report = retention.run(
            Batches(engine), as_of=parse_instant(AS_OF), files=files_of(kchat), batch_size=2
        )
    finally:
        sa.event.remove(engine, "commit", commit)
        sa.event.remove(engine, "before_cursor_execute", statement)
    assert report.outbox == 3
    assert len(outbox_deletes) == 2, "three items in batches of two"
    assert len(set(outbox_deletes)) == 2, "each batch in a transaction of its own"
    assert kchat.json("outbox", "list") == []


def test_outbox_items_younger_than_their_expired_message_lose_the_link(kchat, ev):
    """Retention writes with SQLite's foreign keys off (their ON DELETE action runs per row)
    and unlinks outbox items itself, as ON DELETE SET NULL would."""
    store_with_history(kchat, ev)
    kchat("send", room_of(kchat, "u1")["id"], "오래된 답장")
    with kchat.engine.begin() as connection:
        connection.execute(
            sa.update(Message)
            .where(Message.text == "오래된 답장")
            .values(ts=parse_instant("2020-01-01T00:00:00+09:00"))
        )
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert run["counts"]["outbox"] == 0, "the item itself is young"
    with kchat.engine.connect() as connection:
        assert connection.execute(sa.select(OutboxItem.message_id)).scalars().all() == [None]
        if kchat.engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


def test_r_ret_1_deleted_text_is_not_in_the_sqlite_files(sqlite_kchat, ev):
    kchat = sqlite_kchat
    # Korean only: a piece of three ASCII digits ("743") turned up by chance in the files'
    # random bytes (a key's hex), where nine bytes of Korean do not.
    marker = "비밀스러운환불사유칠사삼일"
    kchat.ingest(
        ev.says("u1", "2023-01-01 10:00", text=marker),
        ev.says("u1", "2026-11-20 10:00", text="남을 메시지"),
    )
    database = kchat.url.removeprefix("sqlite:///")

    def in_files(text: str) -> bool:
        return any(
            text.encode() in open(path, "rb").read()
            for path in (database, database + "-wal")
            if os.path.exists(path)
        )

    # The search index holds three-character pieces (some stored prefix-compressed).
    pieces = {marker[start : start + 3] for start in range(len(marker) - 2)}
    assert in_files(marker), "the marker is there to be found before"
    assert any(in_files(piece) for piece in pieces), "and pieces of it in the search index"
    kchat("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    get_engine(kchat.url).dispose()
    assert not in_files(marker)
    assert [piece for piece in pieces if in_files(piece)] == []
    assert "남을 메시지".encode() in Path(database).read_bytes()


def test_search_tables_of_expired_months_go_whole_and_the_cut_month_row_by_row(sqlite_kchat, ev):
    """As of 2026-11-25 12:00 KST everything up to 2023-11-25 03:00 UTC has expired: October
    2023's table holds expired messages only and is dropped; November 2023's keeps a message,
    so its expired one is unindexed (and the table merged, leaving no delete entries)."""
    kchat = sqlite_kchat
    kchat.ingest(
        ev.says("u1", "2023-10-15 10:00", text="시월의 환불"),
        ev.says("u2", "2023-11-20 10:00", text="십일월의 배송"),
        ev.says("u3", "2023-11-28 10:00", text="남는 교환 문의"),
    )
    assert set(index_state(kchat)) == {"messages_fts_202310", "messages_fts_202311"}
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert (run["counts"]["messages"], run["counts"]["index_tables_dropped"]) == (2, 1)
    assert run["counts"]["index_merges"] >= 1
    assert set(index_state(kchat)) == {"messages_fts_202311"}
    assert indexed_pieces(kchat, "messages_fts_202311") == pieces("남는 교환 문의")
    assert [m["text"] for m in kchat.json("search", "교환 문")] == ["남는 교환 문의"]
    assert kchat.json("search", "일월의") == []


def test_a_held_rooms_old_month_is_indexed_afresh_then_dropped_once_unheld(sqlite_kchat, ev):
    kchat = sqlite_kchat
    kchat.ingest(
        ev.says("u1", "2023-01-05 10:00", text="보존될 계약 내용"),
        ev.says("u2", "2023-01-06 10:00", text="지워질 주소 변경"),
    )
    kchat("rooms", "hold", room_of(kchat, "u1")["id"])
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert (run["counts"]["messages"], run["counts"]["index_tables_dropped"]) == (1, 0)
    assert indexed_pieces(kchat, "messages_fts_202301") == pieces("보존될 계약 내용")
    assert [m["text"] for m in kchat.json("search", "계약 내")] == ["보존될 계약 내용"]
    kchat("rooms", "unhold", room_of(kchat, "u1")["id"])
    run = kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert (run["counts"]["messages"], run["counts"]["index_tables_dropped"]) == (1, 1)
    assert index_state(kchat) == {}


def test_a_run_cut_short_after_its_batches_leaves_the_search_index_true(
    sqlite_kchat, ev, monkeypatch
):
    """A month before the cut loses its search table in the batch that deletes its messages,
    not after: however the run ends, the index points at no deleted message."""
    kchat = sqlite_kchat
    kchat.ingest(
        ev.says("u1", "2023-01-05 10:00", text="지워질 주소 변경"),
        ev.says("u2", "2026-11-20 10:00", text="남는 주소 변경"),
    )

    def cut_short(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(retention, "_settle_search_index", cut_short)
    with pytest.raises(RuntimeError):
        retention.run(Batches(kchat.engine), as_of=parse_instant(AS_OF), files=files_of(kchat))
    assert texts(kchat) == ["남는 주소 변경"]
    assert "messages_fts_202301" not in index_state(kchat)
    assert [m["text"] for m in kchat.json("search", "주소 변경")] == ["남는 주소 변경"]
    monkeypatch.undo()
    report = retention.run(Batches(kchat.engine), as_of=parse_instant(AS_OF), files=files_of(kchat))
    assert (report.messages, report.index_tables_dropped) == (0, 0)


def test_a_reader_holding_the_wal_fails_the_run_until_it_is_emptied(sqlite_kchat, ev, monkeypatch):
    """A copy of deleted text may stay in the WAL while another process reads through the
    final checkpoint: the run says so and fails; the next one empties it."""
    kchat = sqlite_kchat
    kchat.ingest(ev.says("u1", "2023-01-01 10:00", text="지워질-문장-5521"))
    database = kchat.url.removeprefix("sqlite:///")
    dispose_engines()
    monkeypatch.setattr(maintenance, "SCRUB_PATIENCE", 0.3)
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM messages").fetchone()
    try:
        with pytest.raises(Busy, match="copies of deleted data may remain"):
            retention.run(
                Batches(get_engine(kchat.url)), as_of=parse_instant(AS_OF), files=files_of(kchat)
            )
    finally:
        reader.close()
    assert texts(kchat) == []
    retention.run(Batches(get_engine(kchat.url)), as_of=parse_instant(AS_OF), files=files_of(kchat))
    assert Path(database + "-wal").stat().st_size == 0, "emptied while the store stays open"
    assert "지워질-문장".encode() not in Path(database).read_bytes()
    dispose_engines()


def test_batching_with_a_batch_of_two(kchat, ev):
    """Batches of two before the search index's cut (November 2023 as of AS_OF), of one
    from the cut on, where messages are unindexed row by row (ROW_BY_ROW_COST)."""
    kchat.ingest(
        *(ev.says(f"u{n}", f"2022-01-0{n + 1} 10:00") for n in range(5)),
        ev.says("u1", "2023-11-02 10:00"),
        ev.says("u2", "2023-11-03 10:00"),
    )
    engine = kchat.engine
    commits = []

    def count(connection):
        commits.append(1)

    sa.event.listen(engine, "commit", count)
    try:
        report = retention.run(
            Batches(engine), as_of=parse_instant(AS_OF), files=files_of(kchat), batch_size=2
        )
    finally:
        sa.event.remove(engine, "commit", count)
    # 2 + 2 + 1 before the cut; 1 + 1 and one finding nothing more after it.
    assert (report.messages, report.batches) == (7, 6)
    sqlite = kchat.url.startswith("sqlite")
    # SQLite: January 2022's search table is dropped whole, in the batch that deletes its
    # first messages; November 2023's is merged (the step that finds it merged is a
    # transaction too).
    assert report.index_tables_dropped == (1 if sqlite else 0)
    merging = report.index_merges + 1 if sqlite else 0
    assert report.outbox == 0
    assert len(commits) == 6 + merging + 1, (
        "the batches, the merges and the removal of abandoned uploads, one transaction each; "
        "no outbox item to delete, so no outbox batch"
    )
    assert texts(kchat) == []


def test_a_failure_mid_batch_rolls_that_batch_back(kchat, ev, monkeypatch):
    kchat.ingest(*(ev.says(f"u{n}", f"2022-01-0{n + 1} 10:00") for n in range(5)))
    calls = []
    real_fix = retention._fix_rooms

    def failing_fix(*args, **kwargs):
        calls.append(1)
        real_fix(*args, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(retention, "_fix_rooms", failing_fix)
    with pytest.raises(RuntimeError):
        retention.run(
            Batches(kchat.engine), as_of=parse_instant(AS_OF), files=files_of(kchat), batch_size=2
        )
    assert len(texts(kchat)) == 3, "the first batch stays done, the second rolled back whole"
    assert kchat("unread").stdout.strip() == "3", "rooms and counters rolled back with it"
    monkeypatch.setattr(retention, "_fix_rooms", real_fix)
    retention.run(
        Batches(kchat.engine), as_of=parse_instant(AS_OF), files=files_of(kchat), batch_size=2
    )
    assert texts(kchat) == [] and kchat("unread").stdout.strip() == "0"


@pytest.fixture
def twin(request, store_url, tmp_path):
    """A second store of the same kind as `kchat`'s, with the same channel."""
    if store_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'twin' / 'kchat.db'}"
    else:
        url = request.getfixturevalue("pg_schemas")()
    return initialised(url, tmp_path / "twin-home")


def snapshot(cli) -> tuple:
    with cli.engine.connect() as connection:
        rooms = connection.execute(
            sa.select(
                Room.id,
                Room.unread,
                Room.status,
                Room.last_message_at,
                Room.last_user_at,
                Room.last_admin_at,
            ).order_by(Room.id)
        ).all()
        messages = connection.execute(sa.select(Message.id).order_by(Message.id)).all()
    return rooms, messages, cli("unread").stdout, index_state(cli)


def test_sigkill_mid_run_then_rerun_ends_as_an_uninterrupted_run(kchat, twin, ev, tmp_path):
    lines = []
    for n in range(4000):
        lines.append(
            ev.says(
                f"u{n % 400}", f"2022-{n % 12 + 1:02d}-01 10:{n % 60:02d}", text=f"옛 메시지 {n}"
            )
        )
    lines.append(ev.says("u1", "2026-11-20 10:00", text="남을 메시지"))
    for cli in (kchat, twin):
        cli.ingest(*lines)
    twin("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    env = {
        **os.environ,
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_RETENTION_BATCH": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", "jobs", "run", "retention", "--yes", "--as-of", AS_OF],
        env=env,
    )
    try:
        with kchat.engine.connect() as connection:
            count = sa.select(sa.func.count()).select_from(Message)
            deadline = time.monotonic() + 60
            while connection.execute(count).scalar() > 3000 and time.monotonic() < deadline:
                connection.rollback()
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            connection.rollback()
            left = connection.execute(count).scalar()
    finally:
        process.kill()
    assert 1 < left <= 3000, "killed mid-way"
    assert kchat.json("jobs", "history", "retention")[0]["outcome"] == "running"
    kchat("jobs", "run", "retention", "--yes", "--as-of", AS_OF)
    assert [run["outcome"] for run in kchat.json("jobs", "history", "retention")] == [
        "ok",
        "interrupted",
    ]
    assert snapshot(kchat) == snapshot(twin)
    assert texts(kchat) == ["남을 메시지"]


def test_retention_runs_as_the_system_without_an_admin(kchat, ev):
    kchat("admins", "add", "bob", "--name", "박보검")
    store_with_history(kchat, ev)
    assert kchat.json("jobs", "run", "retention", "--yes", "--as-of", AS_OF)["outcome"] == "ok"


def test_status_and_jobs_list_show_retention(kchat):
    listed = {job["name"]: job for job in kchat.json("jobs", "list")}
    assert listed["retention"]["schedule"] == "30 3 * * *"
    next_run = listed["retention"]["next_run"]
    assert next_run.endswith("T03:30:00+09:00"), "03:30 Korea time, whatever the machine's zone"
