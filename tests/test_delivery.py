"""R-OUT-1: the outbox delivered by the deliver job through file, stdout and HTTP transports,
against a real HTTP server on 127.0.0.1 that answers 200, 500, 429, 400, or hangs."""

import json
import os
import stat
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import room_of

from kchat_cli import clock
from kchat_cli.domain.upkeep.delivery import MAX_ATTEMPTS, retry_delay


class Sink:
    """An HTTP endpoint whose answers a test scripts: `plan(key, nth_try) -> status|'hang'`."""

    def __init__(self):
        self.plan = lambda key, attempt: 200
        self.tries: Counter = Counter()
        self.accepted: list[dict] = []
        self.headers: list[dict] = []
        self.release = threading.Event()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                sink.tries[key] += 1
                sink.headers.append(dict(self.headers))
                answer = sink.plan(key, sink.tries[key])
                if answer == "hang":
                    sink.release.wait(10)
                    return
                if answer == 200 and key not in {item["idempotency_key"] for item in sink.accepted}:
                    sink.accepted.append(body)
                self.send_response(answer)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    endpoint = Sink()
    yield endpoint
    endpoint.close()


def queue_messages(kchat, ev, count=2) -> list[int]:
    kchat.ingest(*(ev.says(f"u{n}", "2026-11-20 10:00") for n in range(count)))
    ids = []
    for n in range(count):
        room_id = room_of(kchat, f"u{n}")["id"]
        ids.append(kchat.json("send", room_id, f"답변 {n}")[0]["id"])
    return ids


def deliver(kchat, at, url, **env):
    result = kchat(
        "jobs",
        "run",
        "deliver",
        "--as-of",
        at.isoformat(),
        "-o",
        "json",
        env={"KCHAT_TRANSPORT": url, "KCHAT_TRANSPORT_TIMEOUT": "0.5", **env},
    )
    return json.loads(result.stdout)["counts"]


def test_http_delivers_json_with_idempotency_key_and_no_admin_name(kchat, ev, sink):
    queue_messages(kchat, ev)
    assert deliver(kchat, clock.now(), sink.url) == {"sent": 2, "retrying": 0, "failed": 0}
    assert sorted(item["text"] for item in sink.accepted) == ["답변 0", "답변 1"]
    for payload, headers in zip(sink.accepted, sink.headers, strict=True):
        assert headers["Idempotency-Key"] == payload["idempotency_key"]
        assert headers["Content-Type"].startswith("application/json")
        text = json.dumps(payload, ensure_ascii=False)
        assert "alice" not in text and "김앨리스" not in text, "R-SEND-2"
        assert set(payload) == {
            "id",
            "idempotency_key",
            "channel",
            "user",
            "kind",
            "text",
            "file",
            "created_at",
        }
    assert {item["status"] for item in kchat.json("outbox", "list")} == {"sent"}


def test_server_failing_twice_then_succeeding_gets_exactly_one_delivery_per_item(kchat, ev, sink):
    queue_messages(kchat, ev, count=3)
    sink.plan = lambda key, attempt: 500 if attempt <= 2 else 200
    start = clock.now()
    assert deliver(kchat, start, sink.url) == {"sent": 0, "retrying": 3, "failed": 0}
    assert deliver(kchat, start + timedelta(seconds=5), sink.url)["retrying"] == 0, (
        "nothing is due before its backoff ends"
    )
    assert deliver(kchat, start + retry_delay(1), sink.url)["retrying"] == 3
    after_second = start + retry_delay(1) + retry_delay(2)
    assert deliver(kchat, after_second, sink.url) == {"sent": 3, "retrying": 0, "failed": 0}
    assert deliver(kchat, after_second + timedelta(hours=2), sink.url)["sent"] == 0
    assert len(sink.accepted) == 3
    assert Counter(item["idempotency_key"] for item in sink.accepted).most_common(1)[0][1] == 1
    items = kchat.json("outbox", "list")
    assert {(item["status"], item["attempts"]) for item in items} == {("sent", 3)}


def test_429_is_retried_and_a_hanging_server_times_out_and_is_retried(kchat, ev, sink):
    queue_messages(kchat, ev, count=2)
    answers = {}
    sink.plan = lambda key, attempt: answers.setdefault(key, ["hang", 429][len(answers) % 2])
    start = clock.now()
    assert deliver(kchat, start, sink.url) == {"sent": 0, "retrying": 2, "failed": 0}
    sink.plan = lambda key, attempt: 200
    assert deliver(kchat, start + retry_delay(1), sink.url)["sent"] == 2


def test_a_4xx_fails_at_once_with_its_error(kchat, ev, sink):
    queue_messages(kchat, ev, count=1)
    sink.plan = lambda key, attempt: 400
    assert deliver(kchat, clock.now(), sink.url) == {"sent": 0, "retrying": 0, "failed": 1}
    (item,) = kchat.json("outbox", "list", "--status", "failed")
    assert item["attempts"] == 1
    with kchat.engine.connect() as connection:
        error = connection.exec_driver_sql("SELECT last_error FROM outbox").scalar()
    assert error == "HTTP 400 Bad Request"


def test_after_max_attempts_the_item_is_failed(kchat, ev, sink):
    queue_messages(kchat, ev, count=1)
    sink.plan = lambda key, attempt: 503
    at = clock.now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        counts = deliver(kchat, at, sink.url)
        at += retry_delay(attempt)
    assert counts == {"sent": 0, "retrying": 0, "failed": 1}
    (item,) = kchat.json("outbox", "list")
    assert (item["status"], item["attempts"]) == ("failed", MAX_ATTEMPTS)


def test_retry_delay_backs_off_exponentially_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]


def test_file_transport_writes_json_lines_created_0600(kchat, ev, tmp_path):
    queue_messages(kchat, ev, count=2)
    target = tmp_path / "out" / "outbox.jsonl"
    assert deliver(kchat, clock.now(), f"file:{target}")["sent"] == 2
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["user"] for line in lines) == ["u0", "u1"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_default_transport_is_a_file_under_kchat_home(kchat, ev):
    queue_messages(kchat, ev, count=1)
    result = kchat("jobs", "run", "deliver", "-o", "json")
    assert json.loads(result.stdout)["counts"]["sent"] == 1
    assert (kchat.home / "outbox.jsonl").exists()


def test_stdout_transport_prints_json_lines(kchat, ev):
    queue_messages(kchat, ev, count=1)
    result = kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": "stdout"})
    first = json.loads(result.stdout.splitlines()[0])
    assert (first["kind"], first["text"]) == ("text", "답변 0")


def test_deliver_dry_run_sends_nothing(kchat, ev, sink):
    queue_messages(kchat, ev, count=2)
    result = kchat(
        "jobs", "run", "deliver", "--dry-run", "-o", "json", env={"KCHAT_TRANSPORT": sink.url}
    )
    assert json.loads(result.stdout)["counts"] == {"due": 2}
    assert sink.tries == Counter()
    assert {item["status"] for item in kchat.json("outbox", "list")} == {"pending"}


def test_unknown_transport_is_an_error(kchat, ev):
    queue_messages(kchat, ev, count=1)
    result = kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": "carrier-pigeon"}, code=2)
    assert result.stderr.startswith("error: unknown transport 'carrier-pigeon'")
    (run,) = kchat.json("jobs", "history", "deliver")
    assert run["outcome"] == "error" and "unknown transport" in run["error"]
