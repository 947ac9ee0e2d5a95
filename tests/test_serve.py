"""R-INGEST-1 over HTTP: `kchat serve`, run as a process and sent real requests on
127.0.0.1: signed requests of events applied once each and answered once committed, every
other request refused with nothing applied, redeliveries from many connections at once, a
store that cannot take the events answered 503, one log line a request, a clean stop."""

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kchat_cli.runtime import Runtime
from kchat_cli.store.models import Message
from kchat_cli.webhooks.server import _health
from kchat_cli.webhooks.signing import signature

SECRET = "웹훅-비밀-s3cret"
KCHAT = str(Path(sys.executable).with_name("kchat"))


class Served:
    """A running `kchat serve`, and requests to it."""

    def __init__(self, kchat, start_new_session=False, **env):
        self.env = {
            **os.environ,
            **{key: value for key, value in kchat.env.items() if value is not None},
            "KCHAT_WEBHOOK_SECRET": SECRET,
            **env,
        }
        for variable in ("KCHAT_CHANNEL", "KCHAT_TRANSPORT", "KCHAT_CONFIG"):
            self.env.pop(variable, None)
        self.process = subprocess.Popen(
            [KCHAT, "serve", "--listen", "127.0.0.1:0"],
            env=self.env,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=start_new_session,
        )
        first = self.process.stderr.readline()
        assert first.startswith("receiving webhooks at "), first
        self.url = first.split(" at ", 1)[1].strip().removesuffix("/events")
        self.log: list[str] = []
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)

    def post(self, body: bytes, *, kind="application/json", secret=SECRET, at=None, path="/events"):
        timestamp = str(int(time.time() if at is None else at))
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method="POST",
            headers={
                "Content-Type": kind,
                "X-Kchat-Timestamp": timestamp,
                "X-Kchat-Signature": signature(secret.encode(), timestamp, body),
            },
        )
        return answer(request)

    def events(self, *events: dict) -> tuple[int, dict]:
        lines = b"\n".join(json.dumps(event, ensure_ascii=False).encode() for event in events)
        return self.post(lines, kind="application/x-ndjson")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        return code


def answer(request) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"text": body.decode()}


@pytest.fixture
def served(kchat):
    server = Served(kchat)
    yield server
    if server.process.poll() is None:
        server.stop()


def messages(kchat) -> int:
    with kchat.engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(Message).where(Message.sender == "user")
        return connection.execute(query).scalar()


def test_serve_needs_the_secret(kchat):
    result = kchat("serve", code=2, env={"KCHAT_WEBHOOK_SECRET": None})
    assert result.stderr.startswith("error: serve needs the secret")
    assert "set KCHAT_WEBHOOK_SECRET" in result.stderr
    blank = kchat("serve", code=2, env={"KCHAT_WEBHOOK_SECRET": "   "})
    assert blank.stderr.startswith("error: serve needs the secret")
    short = kchat("serve", code=2, env={"KCHAT_WEBHOOK_SECRET": "hunter2"})
    assert short.stderr.startswith("error: the webhook secret is too short")


def test_an_address_in_use_is_one_line(kchat, served):
    port = urlsplit(served.url).port
    result = subprocess.run(
        [KCHAT, "serve", "--listen", f"127.0.0.1:{port}"],
        env=served.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert "Errno" not in result.stderr and "Traceback" not in result.stderr


def test_a_pretty_printed_event_with_an_escaped_lone_surrogate_is_applied(kchat, ev, served):
    """A body over several lines is written again on one for the ingest path, escaped as
    ASCII: the surrogate stays an escape, which ingest keeps as U+FFFD."""
    event = ev.says("u1", "2026-11-23 09:00", "깨진 \ud800 글자")
    body = json.dumps(event, indent=2).encode()
    assert b"\\ud800" in body and b"\n" in body
    status, answered = served.post(body.replace(b"\n", b"\r\n"))
    assert (status, answered["applied"]) == (200, 1)
    with kchat.engine.connect() as connection:
        [(text,)] = connection.execute(sa.select(Message.text)).all()
    assert text == "깨진 \ufffd 글자"


def test_an_event_is_applied_once_and_answered_after_its_commit(kchat, ev, served):
    event = ev.says("u1", "2026-11-23 09:00", "웹훅으로 왔어요")
    status, body = served.post(json.dumps(event, ensure_ascii=False).encode())
    assert (status, body) == (
        200,
        {
            "applied": 1,
            "duplicates": 0,
            "refused": 0,
            "results": [{"event": 1, "result": "applied"}],
        },
    )
    assert messages(kchat) == 1, "committed before the answer"
    assert served.post(json.dumps(event).encode())[1]["duplicates"] == 1
    assert messages(kchat) == 1


def test_a_refused_event_is_refused_alone_and_kept_redacted(kchat, ev, served):
    consent = {**ev.says("u9", "2026-11-23 09:00"), "type": "consent"}
    consent["fields"] = {"phone": "010-1234-5678"}
    del consent["text"]
    status, body = served.events(
        ev.says("u1", "2026-11-23 09:00"),
        {"type": "message"},
        consent,
        ev.says("u2", "2026-11-23 09:01"),
    )
    assert status == 200
    assert (body["applied"], body["refused"]) == (2, 2)
    assert [entry["result"] for entry in body["results"]] == [
        "applied",
        "refused",
        "refused",
        "applied",
    ]
    assert body["results"][1]["reason"] == "missing id"
    rejects = kchat.home / "webhook-rejects.jsonl"
    assert oct(rejects.stat().st_mode & 0o777) == "0o600"
    kept = rejects.read_text(encoding="utf-8")
    assert "010-1234-5678" not in kept and '"phone": "[redacted]"' in kept


@pytest.mark.parametrize(
    ("request_of", "status"),
    [
        (lambda s, body: s.post(body, secret="다른 비밀"), 401),
        # 302: the header's whole seconds may put a time 301 s ahead at 300.x s.
        (lambda s, body: s.post(body, at=time.time() - 302), 401),
        (lambda s, body: s.post(body, at=time.time() + 302), 401),
        (lambda s, body: s.post(b"{" + body, kind="application/json"), 400),
        (lambda s, body: s.post(body, kind="text/plain"), 415),
        (lambda s, body: s.post(body + b" " * (1 << 20)), 413),
        (lambda s, body: s.post(body, path="/event"), 404),
        (lambda s, body: s.post(body, path="/events/"), 404),
    ],
)
def test_requests_refused_apply_nothing(kchat, ev, served, request_of, status):
    body = json.dumps(ev.says("u1", "2026-11-23 09:00")).encode()
    assert request_of(served, body)[0] == status
    assert messages(kchat) == 0


def test_unsigned_malformed_and_other_methods(kchat, served):
    plain = urllib.request.Request(
        served.url + "/events", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert answer(plain) == (401, {"error": "missing signature"})
    forged = urllib.request.Request(
        served.url + "/events",
        data=b"{}",
        headers={
            "Content-Type": "application/json",
            "X-Kchat-Timestamp": "soon",
            "X-Kchat-Signature": "md5=abc",
        },
    )
    assert answer(forged) == (401, {"error": "malformed signature"})
    assert answer(urllib.request.Request(served.url + "/events")) == (405, {"error": "use POST"})
    assert answer(urllib.request.Request(served.url + "/healthz", method="PUT"))[0] == 405
    assert answer(urllib.request.Request(served.url + "/nothing"))[0] == 404
    assert answer(urllib.request.Request(served.url + "/healthz")) == (
        200,
        {"store": "ok", "schema": "current"},
    )


def test_a_signature_in_capitals_is_the_same_signature(kchat, ev, served):
    body = json.dumps(ev.says("u1", "2026-11-23 09:00")).encode()
    timestamp = str(int(time.time()))
    signed = signature(SECRET.encode(), timestamp, body)
    request = urllib.request.Request(
        served.url + "/events",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Kchat-Timestamp": timestamp,
            "X-Kchat-Signature": "sha256=" + signed.removeprefix("sha256=").upper(),
        },
    )
    assert answer(request)[0] == 200
    assert messages(kchat) == 1


def test_eight_senders_each_sending_every_event_twice_apply_each_once(kchat, ev, served):
    events = [ev.says(f"u{n % 5}", f"2026-11-23 10:{n:02d}", f"재전송 {n}") for n in range(30)]
    sends = [event for event in events for _ in range(2)] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda event: served.events(event), sends))
    assert all(status == 200 for status, _ in answers)
    applied = [body["results"][0]["result"] for _, body in answers].count("applied")
    assert applied == 30, "exactly one of each applied"
    assert messages(kchat) == 30
    listed = kchat.json("rooms", "list", "--status", "all", "--limit", "0")
    assert sum(room["unread"] for room in listed) == 30, "the counts equal a recount"


def test_redeliveries_from_many_connections_apply_each_event_once(kchat, ev, served):
    events = [ev.says(f"u{n % 7}", f"2026-11-23 09:{n:02d}", f"문의 {n}") for n in range(40)]
    # Each request carries a window of events overlapping the next; every one is sent 3 times.
    windows = [events[start : start + 5] for start in range(0, 40, 3)] * 3
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda window: served.events(*window), windows))
    assert all(status == 200 for status, _ in answers)
    assert sum(body["applied"] for _, body in answers) == 40
    assert messages(kchat) == 40


def test_a_store_that_cannot_take_the_events_answers_503_and_applies_nothing(kchat, ev, request):
    """Another writer holds the store past the receiver's patience (SQLite's one writer, or
    PostgreSQL's table that claims event ids): 503, so that the platform sends again."""
    server = Served(kchat)
    with held_store(kchat, request):
        status, body = server.post(json.dumps(ev.says("u1", "2026-11-23 09:00")).encode())
    assert status == 503 and "send them again" in body["error"]
    assert messages(kchat) == 0
    again = server.post(json.dumps(ev.says("u1", "2026-11-23 09:00")).encode())
    assert again[0] == 200 and again[1]["applied"] == 1, "the platform's retry is applied"
    assert server.stop() == 0
    assert messages(kchat) == 1


@contextlib.contextmanager
def held_store(kchat, request):
    if kchat.url.startswith("sqlite"):
        holder = sqlite3.connect(kchat.url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    schema = kchat.url.split("search_path%3D", 1)[1]
    with request.getfixturevalue("pg_admin").connect() as holder:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql(f'LOCK TABLE "{schema}".ingested_events IN ACCESS EXCLUSIVE MODE')
        try:
            yield
        finally:
            holder.exec_driver_sql("ROLLBACK")


def test_health_says_why_the_store_is_not_ready_without_its_address(tmp_path):
    runtime = Runtime("postgresql+psycopg://postgres@127.0.0.1:1/nothing", tmp_path, None, None)
    reason = _health(runtime)
    assert reason.startswith("cannot open the store")
    assert "127.0.0.1" not in reason and "nothing" not in reason


def test_refused_events_that_cannot_be_kept_leave_the_answer_true(kchat, ev, served, tmp_path):
    """The reject file became something kchat does not write through (a link to a file):
    the good event is committed and answered so, and the log says the refused one was not
    kept."""
    rejects = kchat.home / "webhook-rejects.jsonl"
    rejects.unlink()
    (tmp_path / "elsewhere.jsonl").write_text("")
    rejects.symlink_to(tmp_path / "elsewhere.jsonl")
    status, body = served.events(ev.says("u1", "2026-11-23 09:00"), {"type": "message"})
    assert (status, body["applied"], body["refused"]) == (200, 1, 1)
    assert messages(kchat) == 1
    assert served.stop() == 0
    assert any("1 refused events not kept in webhook-rejects.jsonl" in line for line in served.log)


def test_a_reject_file_that_cannot_be_written_stops_serve_at_its_start(kchat, tmp_path):
    kchat.home.mkdir(parents=True, exist_ok=True)
    (tmp_path / "elsewhere.jsonl").write_text("")
    (kchat.home / "webhook-rejects.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    result = kchat("serve", "--listen", "127.0.0.1:0", code=2, env={"KCHAT_WEBHOOK_SECRET": SECRET})
    assert result.stderr.startswith("error: ") and "webhook-rejects.jsonl" in result.stderr


def test_one_log_line_a_request_and_nothing_a_customer_wrote(kchat, ev, served):
    served.post(json.dumps(ev.says("u1", "2026-11-23 09:00", "비밀 이야기")).encode())
    served.post(b"{}", secret="wrong")
    assert served.stop() == 0
    lines = [line for line in served.log if " /events " in line]
    assert len(lines) == 2
    assert " POST /events 200 1 events " in lines[0]
    assert " POST /events 401 0 events " in lines[1]
    text = "".join(served.log)
    assert "비밀 이야기" not in text and SECRET not in text and "X-Kchat" not in text


def test_a_stop_finishes_the_request_in_flight_and_exits_0(pg_kchat, ev, pg_admin):
    """SIGTERM while a request waits for the store (a lock another session holds, seen
    waiting in pg_stat_activity): it is answered once committed, then the process exits 0."""
    kchat = pg_kchat
    server = Served(kchat)
    schema = kchat.url.split("search_path%3D", 1)[1]
    body = json.dumps(ev.says("u1", "2026-11-23 09:00")).encode()
    with pg_admin.connect() as holder, ThreadPoolExecutor(max_workers=1) as pool:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql(f'LOCK TABLE "{schema}".ingested_events IN ACCESS EXCLUSIVE MODE')
        pending = pool.submit(server.post, body)
        deadline = time.monotonic() + 30
        while not waiting_for_a_lock(pg_admin):
            assert time.monotonic() < deadline, "the request never reached the store"
        server.process.send_signal(signal.SIGTERM)
        holder.exec_driver_sql("COMMIT")
        status, answered = pending.result(timeout=60)
    assert (status, answered["applied"]) == (200, 1)
    assert server.process.wait(timeout=30) == 0
    assert messages(kchat) == 1


@pytest.mark.parametrize("signals", [["SIGTERM"], ["SIGINT", "SIGINT"]])
def test_a_stop_while_the_store_is_held_answers_503_and_exits_0(kchat, ev, request, signals):
    """SIGTERM, or Ctrl-C twice, while requests wait for a store another writer holds
    throughout: each is answered 503 within the stop's grace (so that uvicorn cancels
    nothing), none applied, no traceback, exit 0, no process left."""
    server = Served(kchat)
    children = children_of(server.process.pid)
    before = sockets_of(server.process.pid)
    bodies = [json.dumps(ev.says(f"u{n}", "2026-11-23 09:00")).encode() for n in range(4)]
    with held_store(kchat, request), ThreadPoolExecutor(max_workers=4) as pool:
        pending = [pool.submit(server.post, body) for body in bodies]
        reached = lambda: sockets_of(server.process.pid) >= before + 4  # noqa: E731
        wait_until(reached, "the requests never reached the receiver")
        for number, name in enumerate(signals):
            if number:  # the second once the first is under way: no new connection taken
                wait_until(lambda: not accepting(server), "the receiver never began to stop")
            server.process.send_signal(getattr(signal, name))
        answers = [future.result(timeout=60) for future in pending]
        assert server.process.wait(timeout=30) == 0
    assert [status for status, _ in answers] == [503] * 4
    assert messages(kchat) == 0
    text = "".join(server.log)
    assert "Traceback" not in text and "CancelledError" not in text
    assert all(line[:4].isdigit() for line in server.log), "every line a dated one"
    wait_until(lambda: all(map(gone, children)), "a process outlived the receiver")


def accepting(server: Served) -> bool:
    address = urlsplit(server.url)
    try:
        socket.create_connection((address.hostname, address.port), timeout=5).close()
    except OSError:
        return False
    return True


def sockets_of(pid: int) -> int:
    """How many sockets the process holds open: its listener, its pipes' ends, and one a
    connection it accepted."""
    count = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            count += os.readlink(descriptor).startswith("socket:")
    return count


def test_connections_are_bounded_by_their_head_and_body(kchat, served):
    """A head over 16 KiB is answered 431, whole or never ending; one sent slowly, and a
    connection that sends nothing, are closed (each would hold one of the connections the
    server allows at once); a body sent slowly is answered 408 and its connection closed;
    what is not HTTP is answered 400, logged on one dated line; the receiver serves on."""
    address = (urlsplit(served.url).hostname, urlsplit(served.url).port)
    big, endless, slow, silent, trickle, garbage = (
        socket.create_connection(address, timeout=60) for _ in range(6)
    )
    big.sendall(b"GET /healthz HTTP/1.1\r\nHost: kchat\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    endless.sendall(b"GET /healthz HTTP/1.1\r\nHost: kchat\r\nX-Big: " + b"a" * 200_000)
    slow.sendall(b"POST /events HTTP/1.1\r\nHost: kchat\r\n")
    trickle.sendall(
        b"POST /events HTTP/1.1\r\nHost: kchat\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    garbage.sendall(b"\x00\x01 nothing like HTTP\r\n\r\n")
    assert big.recv(1024).startswith(b"HTTP/1.1 431 ")
    assert endless.recv(1024).startswith(b"HTTP/1.1 431 ")
    assert garbage.recv(1024).startswith(b"HTTP/1.1 400 ")
    assert slow.recv(1024) == b"" and silent.recv(1024) == b"", "closed by the receiver"
    assert whole_answer(trickle).startswith(b"HTTP/1.1 408 "), "then closed"
    for connection in (big, endless, slow, silent, trickle, garbage):
        connection.close()
    assert answer(urllib.request.Request(served.url + "/healthz"))[0] == 200
    assert served.stop() == 0
    assert served.log and all(line[:4].isdigit() for line in served.log), served.log


def whole_answer(connection: socket.socket) -> bytes:
    """What the receiver sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_json_body_may_start_with_a_byte_order_mark(kchat, ev, served):
    body = b"\xef\xbb\xbf" + json.dumps(ev.says("u1", "2026-11-23 09:00")).encode()
    assert served.post(body)[1]["applied"] == 1


class Proxy:
    """A TCP relay to PostgreSQL that can stop relaying while keeping its connections
    open: a store that stops answering, which no refused connection tells."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.thawed, self.sockets = target, threading.Event(), []
        self.thawed.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(self.target)
                self.sockets += [client, server]
                for source, target in ((client, server), (server, client)):
                    threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self.thawed.wait()
                target.sendall(data)

    def close(self) -> None:
        self.thawed.set()
        for each in [self.listener, *self.sockets]:
            each.close()


def test_a_store_that_stops_answering_is_answered_503_and_stop_still_exits(pg_kchat, ev):
    """PostgreSQL stops answering (its connections stay open): a request is answered 503
    and not applied, /healthz 503, and SIGTERM still ends the receiver and its writer."""
    kchat = pg_kchat
    url = sa.engine.make_url(kchat.url)
    proxy = Proxy((url.host, url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        server = Served(kchat, KCHAT_DB=proxied)
        children = children_of(server.process.pid)
        assert server.post(json.dumps(ev.says("u1", "2026-11-23 09:00")).encode())[0] == 200
        proxy.thawed.clear()
        status, body = server.post(json.dumps(ev.says("u2", "2026-11-23 09:01")).encode())
        assert status == 503 and "send them again" in body["error"]
        health = answer(urllib.request.Request(server.url + "/healthz"))
        assert health[0] == 503 and "did not answer" in health[1]["reason"]
        assert server.stop() == 0
        wait_until(lambda: all(map(gone, children)), "a process outlived the receiver")
    finally:
        proxy.close()
    assert messages(kchat) == 1, "the unanswered request applied nothing, even once thawed"


def children_of(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def writers_of(pid: int) -> list[int]:
    """The receiver's writer process (multiprocessing's resource tracker is its other child)."""
    return [child for child in children_of(pid) if b"spawn_main" in _command_line(child)]


def _command_line(pid: int) -> bytes:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def gone(pid: int) -> bool:
    """Whether the process has exited (and is not a zombie waiting for its parent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_writer_that_dies_is_started_again_for_the_next_request(kchat, ev, served):
    assert served.post(json.dumps(ev.says("u1", "2026-11-23 09:00")).encode())[0] == 200
    [writer] = writers_of(served.process.pid)
    os.kill(writer, signal.SIGKILL)
    wait_until(lambda: gone(writer), "the writer never died")
    status, body = served.post(json.dumps(ev.says("u2", "2026-11-23 09:01")).encode())
    assert (status, body["applied"]) == (200, 1)
    assert writers_of(served.process.pid) not in ([], [writer]), "a new writer"
    assert messages(kchat) == 2
    assert served.stop() == 0


def test_ctrl_c_in_a_terminal_stops_the_receiver_and_its_writer(kchat, ev):
    """Ctrl-C reaches the whole process group: the writer waits for the receiver to hand it
    what was submitted, and both exit."""
    server = Served(kchat, start_new_session=True)
    assert server.post(json.dumps(ev.says("u1", "2026-11-23 09:00")).encode())[0] == 200
    children = children_of(server.process.pid)
    assert writers_of(server.process.pid)
    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(timeout=30) == 0
    wait_until(lambda: all(map(gone, children)), "a process outlived the receiver")
    assert messages(kchat) == 1


def test_the_writer_stops_when_the_receiver_is_killed(kchat, served):
    children = children_of(served.process.pid)
    assert writers_of(served.process.pid)
    served.process.kill()
    served.process.wait(timeout=30)
    wait_until(lambda: all(map(gone, children)), "a process outlived the receiver")


def waiting_for_a_lock(pg_admin) -> bool:
    with pg_admin.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return connection.exec_driver_sql(query).scalar() > 0


KINDS = ["application/json", "application/x-ndjson", "text/plain", "application/json; charset=x"]
lone_surrogates = st.sampled_from(["\ud800", "글\udfff자"])  # JSON escapes them as \\udXXXX
texts = st.one_of(st.text(max_size=30), lone_surrogates)
event_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    lone_surrogates,
)
events_strategy = st.fixed_dictionaries(
    {
        "id": texts,
        "type": st.sampled_from(["message", "open", "consent", "friend_add", "nonsense"]),
        "user": texts,
        "ts": st.one_of(st.just("2026-11-23T09:00:00+09:00"), st.text(max_size=30)),
    },
    optional={"text": event_values, "nickname": event_values, "fields": event_values},
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.lists(events_strategy, max_size=5).map(
        lambda events: b"\n".join(json.dumps(e).encode() for e in events)
    ),
    events_strategy.map(lambda event: json.dumps(event).encode()),
    events_strategy.map(lambda event: json.dumps(event, indent=1).encode()),  # over lines
)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=bodies,
    kind=st.one_of(st.sampled_from(KINDS), header_values),
    signed=st.sampled_from(["valid", "wrong", "missing", "garbage"]),
    extra=st.dictionaries(
        st.sampled_from(["X-Custom", "Accept", "X-Kchat-Other", "Cookie"]), header_values
    ),
    garbage=header_values,
)
def test_no_body_or_header_makes_it_answer_500_or_die(served, body, kind, signed, extra, garbage):
    timestamp = str(int(time.time()))
    headers = {"Content-Type": kind, **extra}
    if signed != "missing":
        headers["X-Kchat-Timestamp"] = timestamp if signed != "garbage" else garbage
        secret = SECRET if signed == "valid" else "틀린 비밀"
        headers["X-Kchat-Signature"] = (
            signature(secret.encode(), timestamp, body) if signed != "garbage" else garbage
        )
    address = urlsplit(served.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("POST", "/events", body=body, headers=headers)
        response = connection.getresponse()
        answered = response.status
        response.read()
    finally:
        connection.close()
    assert answered in (200, 400, 401, 413, 415), answered
    assert served.process.poll() is None, "the server is still running"
