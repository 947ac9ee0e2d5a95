"""R-INGEST-1: inbound events, idempotent, streamed, bad lines refused and reported."""

import json
import os
import stat

import sqlalchemy as sa
from conftest import room_of

from kchat_cli.domain.conversations import ingest
from kchat_cli.lines import numbered
from kchat_cli.store.batches import Batches
from kchat_cli.store.models import Comment, Consent, Message
from kchat_cli.store.opening import find_channel

SHA = "ab" * 32


def test_same_event_twice_changes_nothing(kchat, ev):
    event = ev.says("u1", "2026-11-20 10:01")
    first = kchat.ingest(event, args=("-o", "json"))
    assert json.loads(first.stdout) == {"applied": 1, "duplicates": 0, "refused": 0}
    again = kchat.ingest(event, event, args=("-o", "json"))
    assert json.loads(again.stdout) == {"applied": 0, "duplicates": 2, "refused": 0}
    assert room_of(kchat, "u1")["unread"] == 1
    assert kchat("unread").stdout.strip() == "1"


def test_bad_lines_refused_with_line_number_rest_applied(kchat, ev, tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    good = ev.says("u1", "2026-11-20 10:01")
    lines = [
        json.dumps(good),
        "not json",
        json.dumps({"id": "x1", "type": "message", "user": "u1"}),
        json.dumps({"id": "x2", "type": "wave", "user": "u1", "ts": "2026-11-20T10:00:00"}),
        json.dumps({"id": "x3", "type": "message", "user": "u1", "ts": "yesterday", "text": "hi"}),
        "",
        json.dumps(
            {
                "id": "x4",
                "type": "message",
                "user": "u2",
                "ts": "2026-11-20T10:00:00",
                "from": "admin",
                "admin": "nobody",
                "text": "hi",
            }
        ),
        json.dumps(ev.says("u2", "2026-11-20 10:02")),
    ]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = kchat("ingest", source, "--reject-file", rejects, "-o", "json", code=3)
    assert json.loads(result.stdout) == {"applied": 2, "duplicates": 0, "refused": 5}
    assert "line 2: not JSON" in result.stderr
    assert "line 3: missing ts" in result.stderr
    assert "line 4: unknown type 'wave'" in result.stderr
    assert "line 5: ts is not ISO 8601" in result.stderr
    assert "line 7: unknown admin 'nobody'" in result.stderr
    assert rejects.read_text(encoding="utf-8").splitlines() == [lines[i] for i in (1, 2, 3, 4, 6)]
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    assert room_of(kchat, "u2")["unread"] == 1


def test_refused_event_can_be_ingested_again_once_fixed(kchat, ev):
    line = ev.answer("u1", "2026-11-20 10:05", admin="bob")
    kchat.ingest(line, code=3)
    kchat("admins", "add", "bob", "--name", "박보검")
    result = kchat.ingest(line, args=("-o", "json"))
    assert json.loads(result.stdout)["applied"] == 1


def test_not_utf8_line_is_refused(kchat, ev, tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_bytes(
        b'{"id":"a","type":"open","user":"\xff","ts":"2026-11-20T10:00"}\n'
        + json.dumps(ev.says("u1", "2026-11-20 10:01")).encode()
        + b"\n"
    )
    result = kchat("ingest", source, code=3)
    assert "line 1: not UTF-8" in result.stderr
    assert room_of(kchat, "u1")["unread"] == 1


def test_open_sets_nickname_and_friend_events(kchat, ev):
    kchat.ingest(
        ev.open("u1", "2026-11-20 10:00", nickname="민지"),
        ev.says("u1", "2026-11-20 10:01"),
        ev.friend("u1", "2026-11-20 10:02"),
    )
    room = room_of(kchat, "u1")
    assert (room["name"], room["friend"]) == ("민지", True)
    kchat.ingest(ev.friend("u1", "2026-11-20 10:03", added=False))
    assert room_of(kchat, "u1")["friend"] is False


def test_image_and_file_metadata_are_kept(kchat, ev):
    image = ev.says(
        "u1",
        "2026-11-20 10:01",
        kind="image",
        file={"name": "영수증.png", "size": 2048, "mime": "image/png", "sha256": SHA},
    )
    image.pop("text")
    kchat.ingest(image)
    shown = kchat.json("rooms", "show", room_of(kchat, "u1")["id"])
    (message,) = shown["messages"]
    assert message["kind"] == "image"
    assert message["file"] == {
        "name": "영수증.png",
        "size": 2048,
        "mime": "image/png",
        "sha256": SHA,
    }


def test_image_without_file_is_refused(kchat, ev):
    event = ev.says("u1", "2026-11-20 10:01", kind="image")
    result = kchat.ingest(event, code=3)
    assert "an image or file message needs a file object" in result.stderr


def test_history_import_of_admin_messages_is_not_resent(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"), ev.answer("u1", "2026-11-20 10:05"))
    shown = kchat.json("rooms", "show", room_of(kchat, "u1")["id"])
    assert [(m["from"], m["admin"]) for m in shown["messages"]] == [
        ("user", None),
        ("admin", "alice"),
    ]
    assert kchat.json("outbox", "list") == []


def test_comments_are_kept(kchat):
    kchat.ingest(
        {
            "id": "c1",
            "type": "comment",
            "user": "u1",
            "ts": "2026-11-20T10:00:00",
            "post": "p1",
            "text": "이벤트 참여합니다",
        }
    )
    with kchat.engine.connect() as connection:
        comments = connection.execute(sa.select(Comment.post, Comment.text)).all()
    assert comments == [("p1", "이벤트 참여합니다")]


def test_r_pii_2_a_consent_without_an_open_request_is_refused(kchat):
    result = kchat.ingest(
        {
            "id": "c2",
            "type": "consent",
            "user": "u1",
            "ts": "2026-11-20T10:01:00",
            "fields": {"name": "김민지", "phone": "010-9876-5432"},
        },
        code=3,
    )
    assert "line 1: no open customer-info request for this user" in result.stderr
    with kchat.engine.connect() as connection:
        assert connection.execute(sa.select(Consent.data)).all() == []


def test_consent_without_fields_is_refused(kchat):
    result = kchat.ingest(
        {"id": "c1", "type": "consent", "user": "u1", "ts": "2026-11-20T10:00:00"}, code=3
    )
    assert "consent needs a fields object" in result.stderr


def test_ingest_streams_and_commits_in_batches(kchat, ev):
    """Memory stays flat: a batch is committed before the next lines are even read."""
    engine = kchat.engine
    channel = find_channel(engine, None)
    seen_committed = []

    def lines():
        for n in range(25):
            if n == 20:
                with engine.connect() as connection:
                    seen_committed.append(
                        connection.execute(sa.select(sa.func.count()).select_from(Message)).scalar()
                    )
            yield json.dumps(ev.says(f"u{n}", "2026-11-20 10:00"))

    report = ingest.ingest(
        Batches(engine),
        channel.id,
        numbered(lines()),
        on_refused=lambda *a: None,
        seal=lambda fields: "sealed",
        batch_size=10,
    )
    assert report.applied == 25
    assert seen_committed == [20], "two batches of 10 were committed before line 21 was read"


def test_missing_file_or_a_folder_is_a_usage_error(kchat, tmp_path):
    result = kchat("ingest", tmp_path / "nope.jsonl", code=2)
    assert result.stderr.startswith("error: no file")
    result = kchat("ingest", tmp_path, code=2)
    assert (
        result.stderr
        == f"error: {tmp_path} is a folder; name a file of events, or - for standard input\n"
    )


def test_a_bulk_ingest_gives_postgresql_planner_statistics(pg_kchat, ev):
    """Without autovacuum a bulk-loaded team store still plans by its real size: a large
    ingest ANALYZEs the tables it filled; a small one leaves that to autovacuum."""

    def rooms_counted() -> float:
        with pg_kchat.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE oid = 'rooms'::regclass"
            ).scalar()

    pg_kchat.ingest(ev.open("first", "2026-11-20 10:00"))
    assert rooms_counted() == -1  # never analyzed
    opens = [ev.open(f"u{n}", "2026-11-20 10:00") for n in range(ingest.STATISTICS_AFTER)]
    pg_kchat.ingest(*opens)
    assert rooms_counted() == 1 + ingest.STATISTICS_AFTER
