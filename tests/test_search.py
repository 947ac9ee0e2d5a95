"""Korean full-text search (R-SEARCH-1): SQLite FTS5 trigram, PostgreSQL pg_trgm."""

import pytest
from conftest import kst, room_of


@pytest.fixture
def chats(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="환불 문의드려요"),
        ev.says("u2", "2026-11-20 10:01", text="환영합니다"),
        ev.says("u2", "2026-11-20 10:02", text="100% 환불 되나요? 주문_번호 A1"),
        ev.answer("u1", "2026-11-20 10:03", text="환불 접수해 드렸습니다"),
        ev.says("u3", "2026-11-21 09:00", text="배송 문의"),
    )
    return kchat


def found(kchat, *args) -> list[str]:
    return [m["text"] for m in kchat.json("search", *args)]


def test_finds_환불_in_환불_문의드려요_and_not_in_환영합니다(chats):
    assert found(chats, "환불") == [
        "환불 접수해 드렸습니다",
        "100% 환불 되나요? 주문_번호 A1",
        "환불 문의드려요",
    ]
    assert "환영합니다" not in found(chats, "환불")


def test_three_characters_and_more_use_the_index(chats):
    assert found(chats, "불 문의") == ["환불 문의드려요"]
    assert found(chats, "문의드") == ["환불 문의드려요"]


def test_wildcards_are_searched_as_text(chats):
    assert found(chats, "100%") == ["100% 환불 되나요? 주문_번호 A1"]
    assert found(chats, "주문_번호") == ["100% 환불 되나요? 주문_번호 A1"]
    assert found(chats, "%") == ["100% 환불 되나요? 주문_번호 A1"]


def test_search_takes_the_filters_of_rooms_list(chats):
    chats("labels", "create", "VIP")
    chats("rooms", "label", room_of(chats, "u1")["id"], "--add", "VIP")
    assert found(chats, "환불", "--label", "VIP") == ["환불 접수해 드렸습니다", "환불 문의드려요"]
    assert found(chats, "문의", "--since", "2026-11-21") == ["배송 문의"]
    assert found(chats, "환불", "--until", "2026-11-20T10:02:00+09:00") == ["환불 문의드려요"]
    assert found(chats, "없는말") == []


def test_since_and_until_hold_at_the_edges_of_the_index_months(kchat, ev):
    """SQLite's index tables are UTC months: Korea's 1 November 00:30 is still October's."""
    kchat.ingest(
        ev.says("u1", "2026-10-31 23:30", text="환불 문의 가"),
        ev.says("u1", "2026-11-01 00:30", text="환불 문의 나"),
        ev.says("u1", "2026-12-01 08:30", text="환불 문의 다"),
        ev.says("u1", "2026-12-01 09:30", text="환불 문의 라"),
    )
    assert found(kchat, "환불 문의", "--since", "2026-11-01") == [
        "환불 문의 라",
        "환불 문의 다",
        "환불 문의 나",
    ]
    assert found(kchat, "환불 문의", "--until", "2026-12-01T09:00") == [
        "환불 문의 다",
        "환불 문의 나",
        "환불 문의 가",
    ]
    assert found(kchat, "환불 문의", "--since", "2026-11-01", "--until", "2026-12-01T09:00") == [
        "환불 문의 다",
        "환불 문의 나",
    ]
    # Newest first across the months, to the limit; the same for a two-character word.
    assert found(kchat, "환불 문의", "--limit", "3") == [
        "환불 문의 라",
        "환불 문의 다",
        "환불 문의 나",
    ]
    assert found(kchat, "환불", "-n", "2") == ["환불 문의 라", "환불 문의 다"]
    assert len(found(kchat, "환불 문의", "--limit", "0")) == 4


def test_hidden_messages_are_not_found(chats, ev):
    chats("users", "block", room_of(chats, "u3")["id"])
    chats.ingest(ev.says("u3", "2026-11-22 09:00", text="차단된 사람의 환불 요청"))
    assert "차단된 사람의 환불 요청" not in found(chats, "환불")


def test_retention_removes_index_entries_with_their_messages(chats):
    chats("jobs", "run", "retention", "--yes", "--as-of", kst("2029-11-20 10:02"))
    assert found(chats, "환불") == ["환불 접수해 드렸습니다"]
    assert found(chats, "문의드") == []


def test_the_sqlite_index_keeps_each_utc_month_in_a_table_of_its_own(sqlite_kchat, ev):
    """Messages are indexed by kchat itself (no triggers), into their month's table; both
    insert paths (ingest's bulk one, an answer's with deliveries) are covered."""
    sqlite_kchat.ingest(
        ev.says("u1", "2026-12-01 08:59", text="환불 문의드려요"),
        ev.says("u1", "2026-12-01 09:00", text="환불 문의 둘"),
    )
    sqlite_kchat("send", room_of(sqlite_kchat, "u1")["id"], "환불 문의 답변")  # sent now

    def indexed(table: str) -> list[str]:
        with sqlite_kchat.engine.connect() as connection:
            return (
                connection.exec_driver_sql(
                    f"SELECT m.text FROM {table} f JOIN messages m ON m.id = f.rowid "  # noqa: S608
                    "WHERE f.text LIKE '%불 문의%' ORDER BY m.id"
                )
                .scalars()
                .all()
            )

    assert "환불 문의드려요" in indexed("messages_fts_202611")  # 2026-11-30 23:59 UTC
    assert "환불 문의 둘" in indexed("messages_fts_202612")
    assert sorted(found(sqlite_kchat, "불 문의")) == [
        "환불 문의 답변",
        "환불 문의 둘",
        "환불 문의드려요",
    ]


def test_empty_search_is_refused(chats):
    assert chats("search", "  ", code=2).stderr.startswith("error: nothing to search for")
