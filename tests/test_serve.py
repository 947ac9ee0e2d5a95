"""R-INGEST-1 over HTTP: `kchat serve`, run as a process and sent real requests on
127.0.0.1: signed requests of events applied once each and answered once committed, every
other request refused with nothing applied, redeliveries from many connections at once, a
store that cannot take the events answered 503, one log line a request, a clean stop."""

import contextlib
import http.client
import json
import os
import signal
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
    assert answer(urllib.request.Request(served.url + "/events"))[0] == 405
    assert answer(urllib.request.Request(served.url + "/healthz")) == (
        200,
        {"store": "ok", "schema": "current"},
    )


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


def test_health_says_why_the_store_is_not_ready(tmp_path):
    runtime = Runtime("postgresql+psycopg://postgres@127.0.0.1:1/nothing", tmp_path, None, None)
    assert _health(runtime).startswith("cannot open the store")


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
event_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
events_strategy = st.fixed_dictionaries(
    {
        "id": st.text(max_size=30),
        "type": st.sampled_from(["message", "open", "consent", "friend_add", "nonsense"]),
        "user": st.text(max_size=30),
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
