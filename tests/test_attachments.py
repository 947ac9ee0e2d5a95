"""R-SEND-1, R-OUT-1, R-RET-1 for files: the bytes of an image or file an admin sends reach
the customer through the transport, from any machine sharing the store, and leave the store
with the last message that used them. Both places (the home folder, the database) on both
stores."""

import email.parser
import hashlib
import json
import os
import shutil
import stat
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from conftest import PG_URL, room_of

from jobs import runner, scheduler
from jobs.runner import LeaseLost
from kchat_cli import clock
from kchat_cli.domain.actor import Home
from kchat_cli.store.attachment_store import CHUNK, AttachmentStore
from kchat_cli.store.models import (
    Attachment,
    AttachmentChunk,
    JobRun,
    Lock,
    Message,
    OutboxItem,
)
from kchat_cli.store.opening import find_channel

PLACES = ["home", "database"]
# Recognisable bytes, over several chunks: what a dump of the store must not hold.
MARKER = b"kchat-attachment-marker-"
CONTENT = b"%PDF-1.7\n" + (MARKER + os.urandom(40).hex().encode()) * (CHUNK // 100 + 1) * 3


@pytest.fixture
def room(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-23 09:00"))
    return room_of(kchat, "u1")["id"]


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "견적서.pdf"
    path.write_bytes(CONTENT)
    return path


def deliver(kchat, transport: str, *, home=None, **env) -> dict:
    result = kchat.json(
        "jobs",
        "run",
        "deliver",
        env={
            "KCHAT_TRANSPORT": transport,
            "KCHAT_TRANSPORT_TIMEOUT": "5",
            **({"KCHAT_HOME": str(home)} if home else {}),
            **env,
        },
    )
    return result["counts"]


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def count(kchat, table) -> int:
    with kchat.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("place", PLACES)
def test_the_file_transport_writes_the_bytes_beside_the_record(
    kchat, room, document, tmp_path, place
):
    kchat("send", room, "--file", document, env={"KCHAT_FILES": place})
    outbox = tmp_path / "out" / "outbox.jsonl"
    assert deliver(kchat, f"file:{outbox}", KCHAT_FILES=place)["sent"] == 1
    (record,) = records(outbox)
    sha = hashlib.sha256(CONTENT).hexdigest()
    beside = outbox.with_name("outbox.jsonl.files") / sha
    assert record["file"] == {
        "name": "견적서.pdf",
        "size": len(CONTENT),
        "mime": "application/pdf",
        "sha256": sha,
        "path": str(beside),
    }
    assert beside.read_bytes() == CONTENT
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600
    kchat("send", room, "--file", document)
    deliver(kchat, f"file:{outbox}", KCHAT_FILES=place)
    assert os.listdir(beside.parent) == [sha], "once per content"


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that reads multipart bodies as a platform would, and
    answers 200 again for an Idempotency-Key it has (without keeping the item twice)."""

    def __init__(self):
        self.items: dict[str, tuple[dict, bytes, str]] = {}
        self.posts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts += 1
                key = self.headers["Idempotency-Key"]
                if key not in receiver.items:
                    receiver.items[key] = receiver.parts(self.headers["Content-Type"], body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def parts(content_type: str, body: bytes) -> tuple[dict, bytes | None, str | None]:
        """The record, and the file's bytes and type when the body is multipart."""
        if content_type.startswith("application/json"):
            return json.loads(body), None, None
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser().parsebytes(head + body)
        assert message.get_content_type() == "multipart/form-data"
        parts = {
            part.get_param("name", header="content-disposition"): part
            for part in message.walk()
            if not part.is_multipart()
        }
        record = json.loads(parts["message"].get_payload(decode=True))
        file = parts["file"]
        return record, file.get_payload(decode=True), file.get_content_type()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.mark.parametrize("place", PLACES)
def test_http_carries_the_bytes_in_a_multipart_body(kchat, room, document, receiver, place):
    kchat("send", room, "--file", document, env={"KCHAT_FILES": place})
    kchat("send", room, "텍스트만")
    assert deliver(kchat, receiver.url, KCHAT_FILES=place)["sent"] == 2
    with_file = [item for item in receiver.items.values() if item[0]["kind"] == "file"]
    ((record, data, mime),) = with_file
    assert data == CONTENT and mime == "application/pdf"
    assert record["file"]["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert record["idempotency_key"] in receiver.items


def test_a_receiver_that_has_the_item_already_keeps_it_once(kchat, room, document, receiver):
    kchat("send", room, "--file", document)
    deliver(kchat, receiver.url)
    with kchat.engine.begin() as connection:  # as if the first answer had been lost
        connection.execute(sa.update(OutboxItem).values(status="pending", next_attempt_at=None))
    deliver(kchat, receiver.url)
    assert receiver.posts == 2 and len(receiver.items) == 1


@pytest.mark.parametrize("place", PLACES)
def test_missing_bytes_fail_their_item_alone(kchat, room, document, tmp_path, place):
    kchat("send", room, "--file", document, env={"KCHAT_FILES": place})
    kchat("send", room, "그 다음 답장")
    if place == "home":
        for path in (kchat.home / "files").rglob("*"):
            if path.is_file():
                path.unlink()
    else:
        with kchat.engine.begin() as connection:
            connection.execute(sa.delete(AttachmentChunk).where(AttachmentChunk.seq == 1))
    outbox = tmp_path / "outbox.jsonl"
    assert deliver(kchat, f"file:{outbox}", KCHAT_FILES=place) == {
        "sent": 1,
        "retrying": 0,
        "failed": 1,
    }
    assert [record["text"] for record in records(outbox)] == ["그 다음 답장"]
    failed = kchat.json("outbox", "list", "--status", "failed")
    assert len(failed) == 1
    checked = kchat("files", "check", "-o", "json", code=3, env={"KCHAT_FILES": place})
    (problem,) = json.loads(checked.stdout)
    assert problem["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert "missing" in problem["problem"] or "damaged" in problem["problem"]


def test_files_check_finds_damaged_bytes(kchat, room, document):
    kchat("send", room, "--file", document, env={"KCHAT_FILES": "database"})
    assert kchat("files", "check").stderr.endswith("all whole\n")
    with kchat.engine.begin() as connection:
        connection.execute(
            sa.update(AttachmentChunk).where(AttachmentChunk.seq == 0).values(data=b"x" * CHUNK)
        )
    (problem,) = json.loads(kchat("files", "check", "-o", "json", code=3).stdout)
    assert problem["place"] == "database" and "damaged" in problem["problem"]


def test_a_team_s_machines_deliver_what_another_sent(kchat, room, document, tmp_path):
    """Sent from one home folder, delivered by another after the first is gone."""
    sender, deliverer = tmp_path / "laptop", tmp_path / "server"
    kchat(
        "send", room, "--file", document, env={"KCHAT_HOME": str(sender), "KCHAT_FILES": "database"}
    )
    shutil.rmtree(sender, ignore_errors=True)  # the laptop, gone
    outbox = tmp_path / "server-outbox.jsonl"
    counts = deliver(kchat, f"file:{outbox}", home=deliverer, KCHAT_FILES="database")
    assert counts["sent"] == 1
    (record,) = records(outbox)
    assert Path(record["file"]["path"]).read_bytes() == CONTENT


def test_the_send_s_transaction_only_links_what_was_kept_before_it(kchat, room, document):
    """The bytes are written in transactions of their own before the message's, which
    copies nothing (a retry of it would copy nothing again)."""
    transactions, current = [], []

    def statement(conn, cursor, text, *args):
        current.append(text)

    def commit(conn):
        transactions.append(list(current))
        current.clear()

    engine = kchat.engine
    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)
    try:
        kchat("send", room, "--file", document, env={"KCHAT_FILES": "database"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "commit", commit)
    (sending,) = [t for t in transactions if any("INSERT INTO messages" in s for s in t)]
    assert not any("attachment_chunks" in s for s in sending)
    chunk_writes = [t for t in transactions if any("INTO attachment_chunks" in s for s in t)]
    assert len(chunk_writes) == -(-len(CONTENT) // CHUNK), "a transaction a chunk"
    assert transactions.index(sending) > transactions.index(chunk_writes[-1])


@pytest.mark.parametrize("place", PLACES)
def test_a_held_file_outlives_the_last_message_that_used_it(kchat, room, document, place):
    """Retention removes an old message's bytes only when no send in progress holds them:
    the same content, kept for a send not yet committed, stays for it."""
    kchat("send", room, "--file", document, env={"KCHAT_FILES": place})
    old = clock.now() - timedelta(days=4 * 365)
    with kchat.engine.begin() as connection:
        connection.execute(sa.update(Message).where(Message.sender == "admin").values(ts=old))
        connection.execute(sa.update(OutboxItem).values(created_at=old))
        connection.execute(sa.update(Attachment).values(held_until=old))
    files = AttachmentStore(kchat.engine, kchat.home, place)
    channel = find_channel(kchat.engine, None)
    sha = hashlib.sha256(CONTENT).hexdigest()
    # A second send of the same content: kept, not yet linked.
    files.keep(channel.id, document, sha, len(CONTENT), held_until=clock.now() + timedelta(hours=1))
    run = kchat.json("jobs", "run", "retention", "-o", "json", env={"KCHAT_FILES": place})
    assert run["counts"]["messages"] == 1 and run["counts"]["files"] == 0
    kchat("send", room, "--file", document, env={"KCHAT_FILES": place})
    stored = files.find(channel.id, sha)
    assert stored is not None and b"".join(files.chunks(stored)) == CONTENT


def test_retention_leaves_no_byte_of_a_file_in_the_postgresql_store(pg_kchat, ev, document):
    kchat = pg_kchat
    kchat.ingest(ev.says("u1", "2026-11-23 09:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("send", room, "--file", document, env={"KCHAT_FILES": "database"})
    old = clock.now() - timedelta(days=4 * 365)
    with kchat.engine.begin() as connection:
        connection.execute(sa.update(Message).values(ts=old))
        connection.execute(sa.update(OutboxItem).values(created_at=old))
        connection.execute(sa.update(Attachment).values(held_until=old))
    assert MARKER.hex().encode() in dump(kchat), "the dump shows the bytes before retention"
    run = kchat.json("jobs", "run", "retention", "-o", "json")
    assert run["counts"]["files"] == 1
    assert count(kchat, Attachment) == 0 and count(kchat, AttachmentChunk) == 0
    assert MARKER.hex().encode() not in dump(kchat)


def dump(kchat) -> bytes:
    """pg_dump of the store's schema, data only (bytea is written in hex)."""
    schema = kchat.url.split("search_path%3D", 1)[1]
    address = urlsplit(PG_URL.replace("+psycopg", ""))
    return subprocess.run(
        [
            "pg_dump",
            "--data-only",
            f"--schema={schema}",
            f"--host={address.hostname}",
            f"--port={address.port or 5432}",
            f"--username={address.username}",
            address.path.lstrip("/"),
        ],
        check=True,
        capture_output=True,
    ).stdout


def test_db_upgrade_moves_a_home_folder_s_files_into_the_store(kchat, room, document):
    kchat("send", room, "--file", document, env={"KCHAT_FILES": "home"})
    assert kchat.json("db", "upgrade", env={"KCHAT_FILES": "database"})["files_moved"] == 1
    assert not [path for path in (kchat.home / "files").rglob("*") if path.is_file()]
    assert count(kchat, AttachmentChunk) == -(-len(CONTENT) // CHUNK)
    assert kchat.json("db", "upgrade", env={"KCHAT_FILES": "database"})["files_moved"] == 0
    assert kchat("files", "check", env={"KCHAT_FILES": "database"}).stderr.endswith("all whole\n")


def test_outbox_items_are_due_by_the_store_s_clock(kchat, room, receiver, monkeypatch):
    """A machine whose clock is ahead queues an item that another delivers at once; a retry
    comes due by the store's clock, not by either machine's."""
    ahead = clock.now() + timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: ahead)
    kchat("send", room, "안녕하세요")
    monkeypatch.undo()
    assert deliver(kchat, receiver.url)["sent"] == 1


def test_a_job_that_lost_its_lock_stops_between_batches(kchat, ev, monkeypatch):
    """Its lock expired and went to another run: the renewal changes no row, so the job
    stops after its batch, and its run says why."""
    kchat.ingest(*(ev.says(f"u{n}", f"2020-01-01 1{n}:00") for n in range(4)))
    monkeypatch.setenv("KCHAT_RETENTION_BATCH", "1")
    engine = kchat.engine

    def taken_over() -> None:
        with engine.begin() as connection:
            connection.execute(sa.update(Lock).values(holder="elsewhere:1"))

    with pytest.raises(LeaseLost):
        runner.run_job(engine, "retention", home=Home(kchat.home), checkpoint=taken_over)
    with engine.connect() as connection:
        outcome, error, messages = connection.execute(
            sa.select(JobRun.outcome, JobRun.error, sa.func.count(Message.id))
            .select_from(JobRun)
            .outerjoin(Message, sa.true())
            .group_by(JobRun.id)
            .order_by(JobRun.id.desc())
            .limit(1)
        ).one()
    assert outcome == "error" and "lost its lock" in error
    assert messages == 2, "the batch after the lock went elsewhere was the last"


def test_the_outbox_watch_starts_again_after_an_error(kchat, monkeypatch):
    daemon = scheduler.Daemon(kchat.engine, Home(kchat.home))
    looks = []

    def due_now(batches):
        looks.append(1)
        if len(looks) == 1:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("the store went away"))
        daemon.stopping.set()
        return False

    monkeypatch.setattr(scheduler.delivery, "due_now", due_now)
    monkeypatch.setattr(scheduler, "RETRY_AFTER", 0.01)
    daemon.watch_outbox()
    assert len(looks) == 2, "the watch looked again after the error"
