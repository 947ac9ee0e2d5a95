"""What a listing says about how many rooms match: a listing cut by --limit says so on stderr
(rooms, search, outbox, blocked users, job runs), and it knows how many match without counting
them: every change of a room keeps the channel's counts of listed rooms by status (R-STATUS-1,
R-FILTER-1), so `rooms list` and the console's queue say `showing 50 of 86,451` at the cost of
one small read."""

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import room_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kchat_cli.store import tables

USERS = [f"u{number}" for number in range(4)]
ACTIONS = ("says", "answer", "read", "complete", "reopen", "block", "unblock", "leave", "old")


def counts(kchat) -> dict[str, int]:
    with kchat.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.room_counts.c.status, tables.room_counts.c.rooms)
        )
        return {status: rooms for status, rooms in rows if rooms}


def recount_listed(kchat) -> dict[str, int]:
    rooms, users = tables.rooms.c, tables.users.c
    query = (
        sa.select(rooms.status, sa.func.count())
        .join(tables.users, users.id == rooms.user_id)
        .where(rooms.last_message_at.is_not(None), rooms.left_at.is_(None))
        .where(users.blocked_at.is_(None))
        .group_by(rooms.status)
    )
    with kchat.engine.connect() as connection:
        return dict(connection.execute(query).all())


def act(kchat, ev, action: str, user: str, minute: int) -> None:
    at = f"2026-11-20 10:{minute:02d}"
    if action == "says":
        kchat.ingest(ev.says(user, at))
    elif action == "answer":
        kchat.ingest(ev.answer(user, at))
    elif action == "old":  # three years gone by the retention run below
        kchat.ingest(ev.says(user, "2020-01-01 09:00"))
    else:
        found = [room for room in kchat.json("rooms", "list", "--status", "all", "--limit", "0")]
        found += kchat.json("users", "blocked")
        room = next((room["id"] for room in found if room["user"] == user), None)
        if room is None:
            return
        command = {
            "read": ("rooms", "read", room),
            "complete": ("rooms", "complete", room),
            "reopen": ("rooms", "reopen", room),
            "block": ("users", "block", room),
            "unblock": ("users", "unblock", room),
            "leave": ("rooms", "leave", room, "--yes"),
        }[action]
        kchat(*command, code=None)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.sampled_from(USERS)), min_size=1, max_size=12
    )
)
def test_the_counts_of_listed_rooms_equal_a_recount_whatever_happens(kchat, ev, steps):
    for minute, (action, user) in enumerate(steps):
        act(kchat, ev, action, user, minute)
    kchat("jobs", "run", "retention", "--as-of", "2026-11-21T00:00")
    assert counts(kchat) == recount_listed(kchat)


def test_a_listing_by_status_says_how_many_match_from_the_counts(kchat, ev):
    kchat.ingest(*(ev.says(f"u{number}", "2026-11-20 09:00") for number in range(5)))
    kchat("rooms", "complete", room_of(kchat, "u0")["id"])
    cut = kchat("rooms", "list", "--limit", "2")
    assert cut.stderr == "(showing 2 of 4 rooms; --limit 0 for all)\n"
    everything = kchat("rooms", "list", "--status", "all", "--limit", "2")
    assert everything.stderr == "(showing 2 of 5 rooms; --limit 0 for all)\n"


def test_a_listing_no_count_covers_says_there_are_more_without_counting(kchat, ev):
    kchat.ingest(*(ev.says(f"u{number}", "2026-11-20 09:00") for number in range(3)))
    kchat("rooms", "star", *(room_of(kchat, f"u{number}")["id"] for number in range(3)))
    cut = kchat("rooms", "list", "--starred", "--limit", "2")
    assert cut.stderr == "(2 shown, more with --limit 0)\n"
    whole = kchat("rooms", "list", "--starred", "--limit", "3")
    assert whole.stderr == ""


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
    assert found.stderr == "(3 shown, more with --limit 0)\n", "a search counts nothing more"
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
        "(2 shown, more with --limit 0)\n"
    )
    assert kchat("users", "blocked", "--limit", "1", "-o", "ids").stderr == (
        "(1 shown, more with --limit 0)\n"
    )
    for _ in range(2):
        kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{kchat.home}/out.jsonl"})
    assert kchat("jobs", "history", "--limit", "1", "-o", "ids").stderr == (
        "(1 shown, more with --limit 0)\n"
    )
    assert kchat("jobs", "history", "-o", "ids").stderr == ""


# The first page's cost does not grow with the store (R-FILTER-1)

FIRST_PAGES = {
    "rooms list": ("rooms", "list"),
    "rooms list --status unread": ("rooms", "list", "--status", "unread"),
    "the console's queue": ("rooms", "list", "--sort", "waiting", "--limit", "200"),
}


class Work:
    """The statements a command ran and the work the store did for them: on PostgreSQL the
    rows its plans' scans read (each SELECT explained with ANALYZE); on SQLite, which keeps
    no such count, its virtual machine's steps (in thousands), which grow with every row a
    statement visits."""

    def __init__(self):
        self.statements = 0
        self.work = 0
        self.stepped = []  # SQLite connections counting steps, to stop when done

    def __enter__(self) -> "Work":
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._executed)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", self._executed)
        for driver in self.stepped:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed by now
                driver.set_progress_handler(None, 0)

    def _executed(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements += 1
        driver = conn.connection.driver_connection
        if conn.dialect.name == "sqlite":
            driver.set_progress_handler(self._step, 1000)  # steps run as rows are fetched
            self.stepped.append(driver)
        elif statement.lstrip().upper().startswith("SELECT"):
            with driver.cursor() as explain:
                explain.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
                self.work += _rows_scanned(explain.fetchone()[0][0]["Plan"])

    def _step(self) -> int:
        self.work += 1
        return 0  # go on


def _rows_scanned(plan: dict) -> int:
    rows = plan["Actual Rows"] * plan["Actual Loops"] if "Scan" in plan["Node Type"] else 0
    return rows + sum(_rows_scanned(child) for child in plan.get("Plans", []))


def cost(kchat, command: tuple[str, ...]) -> tuple[int, int]:
    kchat(*command)  # the caches warm
    with Work() as work:
        kchat(*command)
    return work.statements, work.work


def first_pages(kchat, opened: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """The first pages, and a room opened (its messages are read by their number)."""
    return {
        **{name: cost(kchat, command) for name, command in FIRST_PAGES.items()},
        "rooms show": cost(kchat, opened),
    }


START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def rooms_asking(kchat, first: int, last: int) -> None:
    kchat.ingest(
        *(
            {
                "id": f"many-{number}",
                "type": "message",
                "user": f"many-{number}",
                "ts": (START + timedelta(minutes=number // 1000)).isoformat(),  # ties
                "text": "주문 문의",
            }
            for number in range(first, last)
        )
    )


def label_a_tenth(kchat) -> None:
    """Every tenth room has the label: the labels of a store grow with its rooms, and a
    page's are read by room."""
    with kchat.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO room_labels (room_id, label_id) SELECT rooms.id, labels.id"
                " FROM rooms CROSS JOIN labels WHERE rooms.id % 10 = 0 AND NOT EXISTS"
                " (SELECT 1 FROM room_labels WHERE room_labels.room_id = rooms.id)"
            )
        )
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE room_labels")


def test_the_first_page_and_a_room_cost_the_same_at_100000_rooms_as_at_10000(kchat):
    kchat("labels", "create", "단골")
    rooms_asking(kchat, 0, 10_000)
    label_a_tenth(kchat)
    opened = ("rooms", "show", str(room_of(kchat, "many-0")["id"]), "--peek")
    small = first_pages(kchat, opened)
    rooms_asking(kchat, 10_000, 100_000)
    label_a_tenth(kchat)
    large = first_pages(kchat, opened)
    for name in small:
        (statements, work), (statements_then, work_then) = small[name], large[name]
        assert statements_then == statements, name
        assert work_then <= work * 1.5 + 20, (name, work, work_then)
