"""The store: migrations match the models, upgrade in place keeps data, both dialects."""

import json
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Kchat, initialised, room_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel

import kchat_cli.store.models  # noqa: F401
from kchat_cli.clock import KST
from kchat_cli.store import catalog, migrate, types
from kchat_cli.store.bulk import (
    COPY_FROM_ROWS,
    among,
    batch_writer,
    bulk_insert,
    bulk_update,
)
from kchat_cli.store.engine import get_engine
from kchat_cli.store.models import IngestedEvent, Message, Room, User
from kchat_cli.store.session import run_write
from kchat_cli.store.types import EPOCH, MICROSECOND


def test_migrations_build_exactly_the_models(store_url):
    with get_engine(store_url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": migrate.in_models}
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_schema_head_constant_is_the_newest_migration():
    assert migrate.head_revision() == catalog.SCHEMA_HEAD


def _first_revision() -> str:
    scripts = ScriptDirectory.from_config(migrate._config())
    return list(scripts.walk_revisions())[-1].revision


def test_store_from_the_first_migration_upgrades_in_place_with_data(request, tmp_path):
    """A store made by the earliest migration, with data in it, upgrades to today's schema."""
    for url in _empty_urls(request, tmp_path):
        engine = get_engine(url)
        migrate.upgrade(engine, _first_revision())
        cli = Kchat(url, tmp_path / "home")
        assert (
            "db upgrade" in cli("rooms", "list", code=1).stderr
            or _first_revision() == catalog.SCHEMA_HEAD
        )
        with engine.begin() as connection:
            _write_first_revision_data(connection)
        cli("db", "upgrade")
        assert cli.json("db", "current")["current"] == catalog.SCHEMA_HEAD
        room = room_of(cli, "u1")
        assert (room["name"], room["unread"], room["status"]) == ("민지", 1, "unread")
        assert cli("unread").stdout.strip() == "1"
        (message,) = cli.json("rooms", "show", room["id"], "--peek")["messages"]
        assert message["text"] == "환불 문의"
        assert message["ts"] == "2026-11-20T10:00:00+09:00", "0008 keeps SQLite's times"


def _empty_urls(request, tmp_path):
    yield f"sqlite:///{tmp_path / 'old.db'}"
    yield request.getfixturevalue("empty_pg_url")


def _write_first_revision_data(connection: sa.Connection) -> None:
    """Rows as the first schema had them, written with plain SQL."""
    now = "2026-11-20 01:00:00+00:00"
    statements = [
        (
            "INSERT INTO channels (id, name, unread_total, created_at) "
            "VALUES (1, '헬로카페', 1, :now)"
        ),
        (
            "INSERT INTO admins (id, channel_id, login, name, role, additional_auth, "
            "notifications, created_at) "
            "VALUES (1, 1, 'alice', '김앨리스', 'owner', false, true, :now)"
        ),
        (
            "INSERT INTO users (id, channel_id, key, nickname, friend, created_at) "
            "VALUES (1, 1, 'u1', '민지', false, :now)"
        ),
        (
            "INSERT INTO rooms (id, channel_id, user_id, status, unread, legacy, starred, "
            "last_message_at, last_user_at, created_at) "
            "VALUES (1, 1, 1, 'unread', 1, false, false, :now, :now, :now)"
        ),
        (
            "INSERT INTO messages (id, channel_id, room_id, sender, kind, text, ts, hidden) "
            "VALUES (1, 1, 1, 'user', 'text', '환불 문의', :now, false)"
        ),
    ]
    value = now if connection.dialect.name == "postgresql" else "2026-11-20 01:00:00.000000"
    for statement in statements:
        connection.execute(sa.text(statement), {"now": value})
    if connection.dialect.name == "postgresql":
        for table in ("channels", "admins", "users", "rooms", "messages"):
            connection.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
            )  # noqa: S608


def test_0019_takes_pg_trgm_out_of_the_store_so_dropping_one_store_spares_another(
    pg_schemas, pg_admin, tmp_path
):
    """Installed inside the first store's schema, pg_trgm went with it when that schema was
    dropped, and with it every other store's trigram index; 0019 moves it apart."""
    first_url, second_url = pg_schemas(), pg_schemas()
    first = get_engine(first_url)
    migrate.upgrade(first, "0018")
    first_schema = first_url.rsplit("%3D", 1)[1]
    with pg_admin.connect() as connection:  # where 0006 put it when it was first installed
        connection.exec_driver_sql(f'ALTER EXTENSION pg_trgm SET SCHEMA "{first_schema}"')
    migrate.upgrade(first)
    second = initialised(second_url, tmp_path / "home")
    second.ingest(
        {
            "id": "m1",
            "type": "message",
            "user": "u1",
            "ts": "2026-11-20T10:00:00+09:00",
            "text": "환불 문의드려요",
        }
    )
    where = _trgm_schema(pg_admin)
    with pg_admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{first_schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{first_schema}"')  # the fixture drops it
    assert where == "kchat_extensions"
    with second.engine.connect() as connection:
        assert (
            connection.exec_driver_sql(
                "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_messages_text_trgm' "
                "AND schemaname = current_schema()"
            ).scalar()
            == 1
        )
    assert [hit["text"] for hit in second.json("search", "환불")] == ["환불 문의드려요"]


def test_0019_leaves_pg_trgm_installed_outside_the_store_where_it_is(pg_schemas, pg_admin):
    """An extension someone installed in `public` is theirs: 0019 moves only its own."""
    engine = get_engine(pg_schemas())
    migrate.upgrade(engine, "0018")
    with pg_admin.connect() as connection:
        connection.exec_driver_sql("ALTER EXTENSION pg_trgm SET SCHEMA public")
    try:
        migrate.upgrade(engine)
        where = _trgm_schema(pg_admin)
    finally:
        with pg_admin.connect() as connection:
            connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS kchat_extensions")
            connection.exec_driver_sql("ALTER EXTENSION pg_trgm SET SCHEMA kchat_extensions")
    assert where == "public"


def _trgm_schema(pg_admin) -> str:
    with pg_admin.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
        ).scalar()


def test_event_ids_survive_0007_down_and_up(kchat, ev):
    """Migration 0007 rebuilds the ingested event ids (WITHOUT ROWID on SQLite); down to 0006
    and up again, an event already applied is still a duplicate."""
    from alembic import command

    event = ev.says("u1", "2026-11-20 10:01")
    kchat.ingest(event)
    with kchat.engine.connect() as connection:
        command.downgrade(migrate._config(connection), "0006")
        connection.commit()
        kept = connection.exec_driver_sql(
            "SELECT event_id, ingested_at IS NOT NULL FROM ingested_events"
        ).all()
    assert [tuple(row) for row in kept] == [(event["id"], True)]
    migrate.upgrade(kchat.engine)
    assert kchat.json("ingest", "-", input=json.dumps(event) + "\n")["duplicates"] == 1
    assert room_of(kchat, "u1")["unread"] == 1


def test_times_survive_0008_down_and_up(sqlite_kchat, ev):
    """Migration 0008 turns SQLite's times into integers (microseconds since 1970, UTC);
    down to 0007 they are text again, in the layout kchat used to write."""
    from alembic import command

    kchat = sqlite_kchat
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    before = kchat.json("rooms", "show", room_of(kchat, "u1")["id"], "--peek")

    def stored() -> tuple:
        with kchat.engine.connect() as connection:
            return connection.exec_driver_sql("SELECT ts, typeof(ts) FROM messages").one()

    assert stored() == (1795136460000000, "integer")
    with kchat.engine.connect() as connection:
        command.downgrade(migrate._config(connection), "0007")
        connection.commit()
    assert stored() == ("2026-11-20 01:01:00.000000", "text")
    migrate.upgrade(kchat.engine)
    assert kchat.json("rooms", "show", room_of(kchat, "u1")["id"], "--peek") == before


def test_search_index_keeps_no_column_sizes_after_0009_and_finds_across_down_and_up(
    sqlite_kchat, ev
):
    """Migration 0009 rebuilds SQLite's FTS5 index without its per-message size table."""
    from alembic import command

    kchat = sqlite_kchat
    kchat.ingest(ev.says("u1", "2026-11-20 10:01", text="환불 문의드려요"))

    def sizes_kept() -> bool:
        with kchat.engine.connect() as connection:
            names = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars()
            return "messages_fts_docsize" in set(names)

    def found() -> list[str]:
        return [m["text"] for m in kchat.json("search", "불 문의")]

    assert (sizes_kept(), found()) == (False, ["환불 문의드려요"])
    with kchat.engine.connect() as connection:
        command.downgrade(migrate._config(connection), "0008")
        connection.commit()
    assert sizes_kept()
    migrate.upgrade(kchat.engine)
    kchat.ingest(ev.says("u1", "2026-11-20 10:02", text="환불 문의 하나 더"))
    assert (sizes_kept(), found()) == (False, ["환불 문의 하나 더", "환불 문의드려요"])


def test_0010_splits_the_search_index_by_month_and_joins_it_back_down(sqlite_kchat, ev):
    """Migration 0010 moves SQLite's one FTS5 table (kept up by triggers) into one table per
    UTC month, filled from the messages; its downgrade restores the table and the triggers."""
    from alembic import command

    kchat = sqlite_kchat
    kchat.ingest(
        ev.says("u1", "2026-10-20 10:00", text="시월 환불 문의"),
        ev.says("u1", "2026-11-20 10:00", text="십일월 환불 문의"),
    )

    def tables() -> set[str]:
        with kchat.engine.connect() as connection:
            return set(
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE name GLOB 'messages_fts*' "
                    "AND name NOT GLOB '*_data' AND name NOT GLOB '*_idx' "
                    "AND name NOT GLOB '*_config'"
                ).scalars()
            )

    def hits(table: str) -> list[str]:
        with kchat.engine.connect() as connection:
            return (
                connection.exec_driver_sql(
                    f"SELECT m.text FROM {table} f JOIN messages m ON m.id = f.rowid "  # noqa: S608
                    "WHERE f.text LIKE '%환불 문%' ORDER BY m.id"
                )
                .scalars()
                .all()
            )

    months = {"messages_fts_202610", "messages_fts_202611"}
    assert tables() == months
    with kchat.engine.connect() as connection:
        command.downgrade(migrate._config(connection), "0009")
        connection.commit()
    assert tables() == {
        "messages_fts",
        "messages_fts_insert",
        "messages_fts_delete",
        "messages_fts_update",
    }
    assert hits("messages_fts") == ["시월 환불 문의", "십일월 환불 문의"]
    migrate.upgrade(kchat.engine)
    assert tables() == months
    assert (hits("messages_fts_202610"), hits("messages_fts_202611")) == (
        ["시월 환불 문의"],
        ["십일월 환불 문의"],
    )
    kchat.ingest(ev.says("u1", "2026-11-21 10:00", text="또 환불 문의"))
    assert [m["text"] for m in kchat.json("search", "환불 문")] == [
        "또 환불 문의",
        "십일월 환불 문의",
        "시월 환불 문의",
    ]


microseconds = st.integers(0, (datetime(2242, 1, 1, tzinfo=UTC) - EPOCH) // MICROSECOND)


@given(microseconds)
def test_sqlite_times_round_trip_to_the_microsecond(value):
    when = EPOCH + value * MICROSECOND
    assert types._sqlite_result(types._sqlite_bind(when)) == when
    assert types._sqlite_bind(when.astimezone(KST)) == value


def test_a_batch_connection_retries_a_failed_commit_whole(sqlite_kchat):
    """A COMMIT that fails as "database is locked" leaves SQLite's transaction open on the
    connection; the retry must start afresh, not inside it, and commit once."""
    failures = [sqlite3.OperationalError("database is locked")]

    def fail_once(_connection):
        if failures:
            raise sa.exc.OperationalError("COMMIT", {}, failures.pop())

    attempts = []

    def add_label(session):
        attempts.append(1)
        session.connection().exec_driver_sql(
            "INSERT INTO labels (channel_id, name) VALUES (1, 'retried')"
        )

    with batch_writer(sqlite_kchat.engine) as writer:
        sa.event.listen(writer, "commit", fail_once)
        run_write(writer, add_label)
        assert not writer.connection.driver_connection.in_transaction
    assert len(attempts) == 2 and not failures
    assert sqlite_kchat.json("labels", "list") == [{"name": "retried", "rooms": 0}]


def test_0012_fills_waiting_since_from_the_messages(kchat, ev):
    """Migration 0012 gives every room in progress the time of its oldest unanswered user
    message: down to 0011 and up again, the queue's order is what kchat kept."""
    from alembic import command

    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00"),
        ev.answer("u1", "2026-11-20 09:10"),
        ev.says("u1", "2026-11-20 09:20"),
        ev.says("u1", "2026-11-20 09:30"),
        ev.says("u2", "2026-11-20 08:00"),
        ev.says("u3", "2026-11-20 07:00"),
        ev.answer("u3", "2026-11-20 07:05"),
    )
    kchat("rooms", "complete", room_of(kchat, "u2")["id"])

    def queue() -> list[tuple[str, str | None]]:
        rooms = kchat.json("rooms", "list", "--sort", "waiting", "--status", "all")
        return [(room["user"], room["waiting_since"]) for room in rooms]

    kept = queue()
    assert kept == [("u1", "2026-11-20T09:20:00+09:00"), ("u2", None), ("u3", None)]
    with kchat.engine.connect() as connection:
        command.downgrade(migrate._config(connection), "0011")
        connection.commit()
    migrate.upgrade(kchat.engine)
    assert queue() == kept


# Text as a customer may write it, short of what ingest refuses (NUL, lone surrogates): the
# characters array, JSON and COPY formats treat specially among them.
awkward_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
) | st.sampled_from(['"', "\\", "{}", "NULL", "null", " ", ",", "\t\n", "\\N", "a\\tb"])


@pytest.fixture
def a_room(kchat, ev) -> Kchat:
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    return kchat


# Each example's writes are rolled back, so the one store serves them all.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(texts=st.lists(awkward_text, min_size=1, max_size=6), many=st.booleans())
def test_bulk_writes_keep_every_value_exactly(a_room, texts, many):
    """`bulk_insert` (on PostgreSQL a COPY of many rows, else an INSERT of JSON rows) and
    `bulk_update` store what they are given: text to the character, times to the
    microsecond whatever their zone, big numbers, NULLs."""
    if many:
        texts = texts * (COPY_FROM_ROWS // len(texts) + 1)
    engine = a_room.engine
    with Session(engine) as session:
        channel_id, room_id = session.execute(sa.select(Room.channel_id, Room.id)).one()
        when = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=KST)
        rows = [
            {
                "channel_id": channel_id,
                "room_id": room_id,
                "sender": "user",
                "kind": "file",
                "text": text,
                "ts": when,
                "event_id": None,
                "file_size": 1 << 40,
                "hidden": index % 2 == 0,
                "seq": 1_000 + index,
            }
            for index, text in enumerate(texts)
        ]
        bulk_insert(session, Message.__table__, rows)
        claims = [
            {"channel_id": channel_id, "event_id": f"{index}{text}"}
            for index, text in enumerate(texts)
        ]
        returned = bulk_insert(
            session,
            IngestedEvent.__table__,
            claims * 2,
            skip_conflicts=True,
            returning=["event_id"],
        )
        stored = session.execute(
            sa.select(Message.id, Message.text, Message.ts, Message.file_size, Message.hidden)
            .where(Message.seq >= 1_000)
            .order_by(Message.seq)
        ).all()
        bulk_update(
            session,
            Message.__table__,
            [{"id": row.id, "text": row.text[::-1], "event_id": row.text} for row in stored],
        )
        updated = session.execute(
            sa.select(Message.text, Message.event_id)
            .where(Message.seq >= 1_000)
            .order_by(Message.seq)
        ).all()
        session.rollback()
    assert [row.text for row in stored] == texts
    assert {row.ts for row in stored} == {when.astimezone(UTC)}
    assert {row.file_size for row in stored} == {1 << 40}
    assert [row.hidden for row in stored] == [index % 2 == 0 for index in range(len(texts))]
    assert sorted(returned) == sorted({(claim["event_id"],) for claim in claims})
    assert updated == [(text[::-1], text) for text in texts]


def test_a_bulk_write_the_store_refuses_raises_sqlalchemys_error(a_room):
    """A refused COPY surfaces as SQLAlchemy's IntegrityError, like any statement's, so that
    ingest tells a line the store cannot hold from a store that failed."""
    with Session(a_room.engine) as session, pytest.raises(sa.exc.IntegrityError):
        bulk_insert(
            session,
            Message.__table__,
            [
                {
                    "channel_id": 1,
                    "room_id": 999_999,
                    "sender": "user",
                    "kind": "text",
                    "text": "x",
                    "ts": datetime(2024, 1, 1, tzinfo=UTC),
                    "hidden": False,
                    "seq": 1,
                }
            ]
            * COPY_FROM_ROWS,  # many, for a COPY on PostgreSQL
        )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    keys=st.lists(awkward_text.filter(bool), unique=True, max_size=8),
    asked=st.lists(awkward_text, max_size=8),
)
def test_among_finds_exactly_the_values_asked_for(a_room, keys, asked):
    """`among` (the values bound as one JSON array) selects the rows whose value is one of
    those asked for, text to the character and ids as numbers, and nothing else."""
    users = User.__table__
    with Session(a_room.engine) as session:
        channel_id = session.execute(sa.select(Room.channel_id)).scalar_one()
        made = datetime(2024, 1, 1, tzinfo=UTC)
        ids = {
            key: session.execute(
                users.insert()
                .values(channel_id=channel_id, key=f"k{key}", friend=False, created_at=made)
                .returning(users.c.id)
            ).scalar_one()
            for key in keys
        }
        wanted = [f"k{key}" for key in asked]
        by_key = session.execute(
            sa.select(users.c.key).where(among(session, users.c.key, wanted))
        ).scalars()
        chosen = [ids[key] for key in asked if key in ids]
        by_id = session.execute(sa.select(users.c.id).where(among(session, users.c.id, chosen)))
        found_keys, found_ids = set(by_key), set(by_id.scalars())
        session.rollback()
    assert found_keys == {f"k{key}" for key in set(asked) & set(keys)}
    assert found_ids == set(chosen)
