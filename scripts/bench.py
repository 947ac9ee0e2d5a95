"""kchat's benchmark: build a large store through the ingest path, then measure the budgets.

Run it with `scripts/bench` (which installs kchat first). The events are realistic chat:
conversations of a few messages each, in many rooms, interleaved in time over four years.
It reads only what kchat prints for programs (-o json, -o ids, the exported file) and exit
codes, never a sentence meant for people, and stops with an error when a measure fails.
`scripts/test` runs it small (`--smoke`) to prove that it runs; the budgets mean something
only at the full size.
"""

import argparse
import contextlib
import csv
import dataclasses
import hashlib
import heapq
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KCHAT = [str(ROOT / ".venv" / "bin" / "kchat")]
AS_OF = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
RETENTION_MONTH = timedelta(days=30)  # retention's backlog is measured as of this before AS_OF
YEARS = 4
SEED = 7


@dataclass(frozen=True)
class Repeats:
    """How often the measures taken as medians run: this machine's speed varies. And how
    large the files measures are (the budgets' sizes; --smoke takes them small)."""

    runs: int = 3  # the CPU yardstick, export, and retention on SQLite (each on a copy)
    startup_rounds: int = 15
    interrupts: int = 5  # retention interrupted (SQLite)
    big_file_mib: int = 300
    images: int = 1000
    checked_files: int = 10_000
    webhook_requests: int = 20_000  # for the rate
    webhook_memory_requests: int = 1_000_000  # the receiver's memory over as many requests
    ratio_rounds: int = 5  # of the receiver beside ingest: each round's ratio varies by a fifth


FULL = Repeats()
# Above FULL's 1,000,000 messages, the bench measures what grows with the store (ingest,
# listings, search, export, retention, the store's size) once each; the rest (start-up,
# files, the receiver, the console) is the standard run's and does not depend on the size.
STANDARD_MESSAGES = 1_000_000
LARGE = dataclasses.replace(FULL, runs=1)
LARGE_MINUTES = 30  # the whole run's budget at the large size
# --smoke: only proves the bench runs
SMOKE = Repeats(
    runs=1,
    startup_rounds=1,
    interrupts=1,
    big_file_mib=3,
    images=5,
    checked_files=5,
    webhook_requests=40,
    webhook_memory_requests=400,
    ratio_rounds=1,
)


@dataclass
class Row:
    what: str
    value: float | None  # None: not measured here (shown as -)
    unit: str
    budget: str
    ok: bool | None


def events(rooms: int, messages: int):
    """Opens and friendships, then conversations in time order."""
    rng = random.Random(SEED)
    start = AS_OF - timedelta(days=365 * YEARS)
    for room in range(rooms):
        yield json.dumps(
            {
                "id": f"open-{room}",
                "type": "open",
                "user": f"user-{room}",
                "ts": (start - timedelta(days=1)).isoformat(),
                "nickname": f"고객{room}",
            },
            ensure_ascii=False,
        )
        if rng.random() < 0.6:
            yield json.dumps(
                {
                    "id": f"friend-{room}",
                    "type": "friend_add",
                    "user": f"user-{room}",
                    "ts": (start - timedelta(hours=12)).isoformat(),
                }
            )
    span = (AS_OF - start).total_seconds() - 6 * 3600
    sessions, total = [], 0
    while total < messages:
        size = min(rng.randint(2, 8), messages - total)
        sessions.append(size)
        total += size
    starts = sorted(rng.random() * span for _ in sessions)
    heap: list[tuple[float, int, int, int, int]] = []  # (t, session, room, left, step)
    number = 0
    for session, (offset, size) in enumerate(zip(starts, sessions, strict=True)):
        while heap and heap[0][0] <= offset:
            number = yield from _emit(heap, rng, start, number)
        heapq.heappush(heap, (offset, session, rng.randrange(rooms), size, 0))
    while heap:
        number = yield from _emit(heap, rng, start, number)


def _emit(heap, rng, start, number):
    at, sequence, room, left, step = heapq.heappop(heap)
    ts = (start + timedelta(seconds=at)).isoformat()
    event = {"id": f"msg-{number}", "type": "message", "user": f"user-{room}", "ts": ts}
    if step % 2:
        event.update(
            {
                "from": "admin",
                "admin": "owner",
                "text": "안녕하세요 고객님, 확인 후 안내드리겠습니다.",
            }
        )
    else:
        event["text"] = rng.choice(
            (
                "환불 문의드려요. 주문번호 20231105-118",
                "배송 언제 되나요?",
                "교환 가능한가요?",
                "오늘 영업하시나요?",
                "쿠폰이 적용이 안 돼요",
            )
        )
    if left > 1:
        heapq.heappush(heap, (at + rng.randint(30, 1800), sequence, room, left - 1, step + 1))
    yield json.dumps(event, ensure_ascii=False)
    return number + 1


def verify(env: dict) -> None:
    """Pass additional verification as the owner, as a person would: ask for a code, let the
    deliver job send it (to the JSON-lines file KCHAT_TRANSPORT names), and enter it."""
    run(["auth", "send-code"], env)
    run(["jobs", "run", "deliver"], env)
    inbox = Path(env["KCHAT_TRANSPORT"].removeprefix("file:"))
    sent = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    (code,) = re.findall(r"\d{6}", [item for item in sent if item["kind"] == "code"][-1]["text"])
    run(["auth", "verify", code], env)


def run(args: list[str], env: dict) -> tuple[float, float, str]:
    """Run kchat as a user would; stop unless it exits 0. Returns wall seconds, its peak
    memory in MB, and its standard output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(KCHAT + args, env=env, stdout=out, stderr=err)
        status, peak = _exit_and_peak(process.pid)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"kchat {' '.join(args)} exited {code}: {stderr}")
    return elapsed, peak, stdout


def _exit_and_peak(pid: int) -> tuple[int, float]:
    """The process's exit status and its peak memory in MB: its own high-water mark
    (VmHWM), read until it exits. Not wait4's ru_maxrss: Linux carries a parent's memory at
    fork into it, so every child of this (large) process would seem as large."""
    peak = 0.0
    while True:
        with contextlib.suppress(OSError, ValueError):
            status = Path(f"/proc/{pid}/status").read_text()
            kilobytes = status.split("VmHWM:", 1)[1].split()[0] if "VmHWM:" in status else 0
            peak = max(peak, int(kilobytes) / 1024)
        done, code, _ = os.wait4(pid, os.WNOHANG)
        if done:
            return code, peak
        time.sleep(0.005)


def ids(args: list[str], env: dict) -> list[str]:
    """The ids a `-o ids` command prints, one a line."""
    return run([*args, "-o", "ids"], env)[2].split()


def timed_median(function, repeat: int) -> float:
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def bench(
    url: str, source: Path, workdir: Path, store: str, floor: "Floor", repeats: Repeats
) -> list[Row]:
    """The rows of one store; at the large size, only those that grow with the store."""
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[store]
    print(f"== {name}", file=sys.stderr)
    home = workdir / f"home-{store}"
    shutil.rmtree(home, ignore_errors=True)
    transport = f"file:{home / 'sent.jsonl'}"
    env = {**os.environ, "KCHAT_DB": url, "KCHAT_HOME": str(home), "KCHAT_TRANSPORT": transport}
    for variable in ("KCHAT_CHANNEL", "KCHAT_ADMIN"):
        env.pop(variable, None)
    run(["init", "--name", "벤치카페", "--owner", "owner"], env)
    verify(env)
    rows = [machine_speed(repeats.runs)]

    print(f"ingesting {floor.lines:,} events …", file=sys.stderr)
    seconds, peak, out = run(["ingest", str(source), "-o", "json"], env)
    if json.loads(out)["applied"] != floor.lines:
        raise SystemExit(f"ingest applied not all {floor.lines:,} events: {out}")
    rate = floor.lines / seconds
    rows.append(Row("ingest", rate, "events/s", "≥ 25,000", rate >= 25_000))
    rows.append(floor.ratio("ingest", rate, store))
    rows.append(Row("ingest peak memory", peak, "MB", "flat (≤ 250)", peak <= 250))
    rows.append(store_size(url))  # as ingest built it: later rows add messages

    large = floor.messages > STANDARD_MESSAGES
    rows += in_process(url, env, floor)
    if not large:
        rows.append(piped_event_latency(url, env))
        rows += console_burst(url, env, floor.rooms)
        rows.append(scheduler_delivery(env, workdir))
        rows.append(interrupted_ingest(source, env))
    rows += export(workdir / "export.csv", env, floor, store, repeats.runs)
    if not large:
        rows += startup(env, repeats.startup_rounds)
        rows.append(label_rooms(env))
        rows += files(url, env, workdir, repeats)
        rows += webhooks(env, workdir, floor.rooms, repeats)
    rows += retention(url, env, floor.messages, repeats)
    return rows


def machine_speed(repeat: int) -> Row:
    """A fixed piece of CPU work, to compare runs by: this machine's speed varies between
    days by half and more."""

    def additions():
        total = 0
        for number in range(10_000_000):
            total += number

    seconds = timed_median(additions, repeat)
    what = f"this machine: 10 million Python additions (median of {repeat})"
    return Row(what, seconds, "s", "", None)


def export(target: Path, env: dict, floor: "Floor", store: str, repeat: int) -> list[Row]:
    """`export messages` to a CSV file, the rows counted in the file; the median of `repeat`
    runs (this machine's disk makes single runs vary by a fifth)."""
    runs = [
        run(["export", "messages", "-o", "csv", "--out", str(target)], env) for _ in range(repeat)
    ]
    with target.open(encoding="utf-8", newline="") as exported:
        rows = sum(1 for _ in csv.reader(exported)) - 1  # the header
    target.unlink()
    if rows < floor.messages:
        raise SystemExit(
            f"export messages wrote {rows:,} rows, fewer than the {floor.messages:,} ingested"
        )
    rate = rows / statistics.median(seconds for seconds, _, _ in runs)
    peak = max(peak for _, peak, _ in runs)
    what = f"export messages (median of {repeat})"
    if floor.messages > STANDARD_MESSAGES:
        budget = 150_000  # a store of ten million messages
    else:
        budget = 200_000 if store == "sqlite" else 250_000  # PostgreSQL streams its rows
    return [
        Row(what, rate, "rows/s", f"≥ {budget:,}", rate >= budget),
        floor.ratio("export", rate, store),
        Row("export peak memory", peak, "MB", "≤ 200", peak <= 200),
    ]


def event_file(workdir: Path, rooms: int, messages: int) -> Path:
    """The bench's events, written once for a size and kept in `workdir`."""
    source = workdir / f"events-{rooms}-{messages}.jsonl"
    if not source.exists():
        print(f"writing {source} …", file=sys.stderr)
        partial = source.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            for line in events(rooms, messages):
                out.write(line + "\n")
        partial.rename(source)
    return source


@dataclass(frozen=True)
class Floor:
    """What `sqlite3` alone does with the bench's events, the floor kchat's SQLite rates are
    held to (at least half of it): every line parsed and each message inserted (a minimal
    schema, `executemany` in transactions of 5,000, no rules), then every message exported to
    CSV. Measured in the same run, as this machine's speed varies between days."""

    rooms: int
    messages: int
    lines: int
    ingest: float  # lines a second, as kchat's ingest is counted
    export: float  # rows a second

    def rows(self) -> list[Row]:
        return [
            Row("raw sqlite3 floor: the same events inserted", self.ingest, "events/s", "", None),
            Row("raw sqlite3 floor: the same messages exported", self.export, "rows/s", "", None),
        ]

    def ratio(self, measure: str, rate: float, store: str) -> Row:
        """kchat's rate beside the floor: judged on SQLite; PostgreSQL's is shown."""
        ratio = rate / getattr(self, measure)
        judged = ratio >= 0.5 if store == "sqlite" else None
        return Row(f"  {measure} ÷ raw sqlite3 floor", ratio, "×", "≥ 0.5 (SQLite)", judged)


def raw_floor(source: Path, workdir: Path, rooms: int, messages: int, repeat: int) -> Floor:
    ingests, exports, lines = [], [], 0
    for _ in range(repeat):
        database = workdir / "floor.db"
        database.unlink(missing_ok=True)
        connection = sqlite3.connect(database)
        connection.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, event_id TEXT, room TEXT,"
            " sender TEXT, ts TEXT, text TEXT);"
            "CREATE INDEX messages_room ON messages (room, ts);"
        )
        started = time.perf_counter()
        lines = _raw_insert(connection, source)
        ingests.append(lines / (time.perf_counter() - started))
        started = time.perf_counter()
        with (workdir / "floor.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("id", "event_id", "room", "sender", "ts", "text"))
            writer.writerows(connection.execute("SELECT * FROM messages ORDER BY id"))
        exports.append(messages / (time.perf_counter() - started))
        connection.close()
        database.unlink()
        (workdir / "floor.csv").unlink()
    return Floor(rooms, messages, lines, statistics.median(ingests), statistics.median(exports))


def _raw_insert(connection: sqlite3.Connection, source: Path) -> int:
    """Insert the messages of `source`; the number of lines read."""
    insert = "INSERT INTO messages (event_id, room, sender, ts, text) VALUES (?, ?, ?, ?, ?)"
    lines, batch = 0, []
    with source.open(encoding="utf-8") as events_in:
        for line in events_in:
            lines += 1
            event = json.loads(line)
            if event["type"] == "message":
                sender = event.get("from", "user")
                batch.append((event["id"], event["user"], sender, event["ts"], event["text"]))
            if len(batch) == 5000:
                with connection:
                    connection.executemany(insert, batch)
                batch = []
    with connection:
        connection.executemany(insert, batch)
    return lines


def files(url: str, env: dict, workdir: Path, repeats: Repeats) -> list[Row]:
    """The attachment budgets, in the store's default place (the home folder for SQLite,
    the database for PostgreSQL)."""
    room = ids(["rooms", "list", "--limit", "1"], {**env, "KCHAT_ADMIN": "owner"})[0]
    env = {**env, "KCHAT_ADMIN": "owner"}
    return [
        *big_file_send(url, env, workdir, room, repeats.big_file_mib),
        images_over_http(env, workdir, room, repeats.images),
        files_check(env, workdir, repeats.checked_files),
    ]


def big_file_send(url: str, env: dict, workdir: Path, room: str, mib: int) -> list[Row]:
    """`kchat send --file` of a `mib` MiB file: its peak memory, and the longest that a
    write of another process waited for the store meanwhile (SQLite: the write lock;
    PostgreSQL: the room's row, which the send updates)."""
    big = workdir / f"big-{mib}.bin"
    if not big.exists() or big.stat().st_size != mib << 20:
        with big.open("wb") as out:
            for _ in range(mib):
                out.write(random.randbytes(1 << 20))
    stop, waits = threading.Event(), []
    prober = threading.Thread(target=probe_writes, args=(url, room, stop, waits))
    prober.start()
    try:
        _, peak, _ = run(["send", room, "--file", str(big)], env)
    finally:
        stop.set()
        prober.join()
    locked = max(waits) * 1000
    return [
        Row(f"send a {mib} MiB file: peak memory", peak, "MB", "≤ 150", peak <= 150),
        Row(
            f"send a {mib} MiB file: longest wait of another write",
            locked,
            "ms",
            "≤ 100",
            locked <= 100,
        ),
    ]


def probe_writes(url: str, room: str, stop: threading.Event, waits: list[float]) -> None:
    """Another writer, every 5 ms until `stop`: how long each write waits for the store."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    statement = sa.text("UPDATE rooms SET memo = memo WHERE id = :room")
    try:
        while not stop.is_set():
            started = time.perf_counter()
            with engine.begin() as connection:
                if engine.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA busy_timeout = 60000")
                connection.execute(statement, {"room": int(room)})
            waits.append(time.perf_counter() - started)
            stop.wait(0.005)
    finally:
        engine.dispose()


IMAGE_BYTES = 200 * 1024


def images_over_http(env: dict, workdir: Path, room: str, count: int) -> Row:
    """`count` different images of 200 KiB, sent (in-process, through the same path as
    `kchat send`), then delivered by `kchat jobs run deliver` to an HTTP receiver on
    127.0.0.1 that reads every body: the bytes delivered a second."""
    from kchat_cli.domain.conversations.sending import Outgoing
    from kchat_cli.room_verbs import send_message
    from kchat_cli.runtime import Runtime

    folder = workdir / "images"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rt = Runtime(env["KCHAT_DB"], Path(env["KCHAT_HOME"]), None, "owner", command="send")
    for number in range(count):
        image = folder / f"사진-{number}.png"
        image.write_bytes(b"\x89PNG\r\n\x1a\n" + random.randbytes(IMAGE_BYTES - 8))
        send_message(rt, int(room), Outgoing(image=image))
    received = Receiver()
    try:
        seconds, _, out = run(
            ["jobs", "run", "deliver", "-o", "json"], {**env, "KCHAT_TRANSPORT": received.url}
        )
    finally:
        received.close()
    if json.loads(out)["counts"]["sent"] < count or received.files < count:
        raise SystemExit(f"deliver sent not all {count:,} images: {out}")
    rate = received.bytes / seconds / 1e6
    return Row(f"deliver {count:,} images of 200 KiB over HTTP", rate, "MB/s", "≥ 50", rate >= 50)


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that reads each body whole and answers 200."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.bytes = self.files = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                length = int(self.headers["Content-Length"])
                receiver.bytes += len(self.rfile.read(length))
                receiver.files += self.headers["Content-Type"].startswith("multipart/")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


CHECKED_BYTES = 64 * 1024


def files_check(env: dict, workdir: Path, count: int) -> Row:
    """`kchat files check` over `count` more files of 64 KiB (kept through the attachment
    store, as a send keeps them): the bytes hashed a second."""
    from kchat_cli import clock
    from kchat_cli.runtime import Runtime

    rt = Runtime(env["KCHAT_DB"], Path(env["KCHAT_HOME"]), None, "owner", command="send")
    store, channel = rt.attachment_store(), rt.channel().id
    source = workdir / "checked.bin"
    held = clock.now() + timedelta(hours=1)
    for _ in range(count):
        content = random.randbytes(CHECKED_BYTES)
        source.write_bytes(content)
        store.keep(channel, source, hashlib.sha256(content).hexdigest(), len(content), held)
    seconds, _, out = run(["files", "check", "-o", "json"], env)
    if json.loads(out):
        raise SystemExit(f"files check found damage: {out[:200]}")
    total = sum(each.size for each in store.everything())
    rate = total / seconds / 1e6
    what = f"files check over {count:,} more files of 64 KiB"
    return Row(what, rate, "MB/s", "≥ 200", rate >= 200)


WEBHOOK_SECRET = "bench-webhook-secret"


def webhooks(env: dict, workdir: Path, rooms: int, repeats: Repeats) -> list[Row]:
    """`kchat serve` on 127.0.0.1, sent signed events as a platform would: 16 senders at
    once, one event a request; a paced 200 requests a second (the acknowledgement's
    latency); requests of 1,000 event lines, beside `kchat ingest` of as many events of the
    same kind (the median ratio of `repeats.ratio_rounds` rounds); and the receiver's memory over
    `repeats.webhook_memory_requests` requests."""
    log = workdir / "serve.log"  # a file: read in this process, the log took its time
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            KCHAT + ["serve", "--listen", "127.0.0.1:0"],
            env={**env, "KCHAT_WEBHOOK_SECRET": WEBHOOK_SECRET},
            stderr=stderr,
        )
    try:
        host, port = _listening(server, log)
        sender = Sender(host, port, rooms)
        count = repeats.webhook_requests
        concurrent = sender.at_once(16, count)
        p50, p99 = sender.paced(200, max(count // 10, 20))
        requests = max(count // 1000, 2)
        ratio = statistics.median(  # each rate varies by a fifth from run to run here
            sender.lines(1000, requests) / ingest_rate(sender, workdir, env, 1000 * requests)
            for _ in range(repeats.ratio_rounds)
        )
        many = repeats.webhook_memory_requests
        grown = sender.memory(server.pid, many)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    sqlite = env["KCHAT_DB"].startswith("sqlite")
    return [
        Row(  # the budget is SQLite's: PostgreSQL's round trips are a commit's floor
            "serve: 16 senders, an event a request",
            concurrent,
            "events/s",
            "≥ 1,500" if sqlite else "",
            concurrent >= 1500 if sqlite else None,
        ),
        Row("serve: acknowledgement at 200 requests/s, p50", p50, "ms", "≤ 10", p50 <= 10),
        Row("serve: acknowledgement at 200 requests/s, p99", p99, "ms", "≤ 50", p99 <= 50),
        Row("serve: requests of 1,000 event lines ÷ ingest", ratio, "×", "≥ 0.8", ratio >= 0.8),
        Row(
            f"serve: memory grown over the last {many - many // 2:,} of {many:,} requests",
            grown,
            "MB",
            "flat (≤ 5)",
            grown <= 5,
        ),
    ]


def _listening(server: subprocess.Popen, log: Path) -> tuple[str, int]:
    """Where `kchat serve` listens, from the first line of its log."""
    deadline = time.monotonic() + 60
    while not (first := log.read_text().partition("\n")[0]).startswith("receiving webhooks at"):
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"kchat serve did not start: {log.read_text()[:500]}")
        time.sleep(0.05)
    address = first.split(" at ", 1)[1].strip().removeprefix("http://")
    host, port = address.removesuffix("/events").rsplit(":", 1)
    return host, int(port)


def ingest_rate(sender: "Sender", workdir: Path, env: dict, count: int) -> float:
    """`kchat ingest`'s rate on `count` new events of the kind the receiver is sent (each in a
    room of its own), with the process's start (an empty file's ingest) taken off."""
    source, empty = workdir / "webhook-events.jsonl", workdir / "empty.jsonl"
    source.write_bytes(sender.event_lines(count) + b"\n")
    empty.write_bytes(b"")
    started = min(run(["ingest", str(empty), "-o", "json"], env)[0] for _ in range(3))
    seconds, _, out = run(["ingest", str(source), "-o", "json"], env)
    if json.loads(out)["applied"] != count:
        raise SystemExit(f"ingest applied not all {count:,} events: {out}")
    return count / (seconds - started)


class Sender:
    """Signed requests of new events to users of the bench store, over kept-alive
    connections (one a thread)."""

    def __init__(self, host: str, port: int, rooms: int):
        self.host, self.port, self.rooms = host, port, rooms
        self.number = 0
        self.lock = threading.Lock()

    def event_lines(self, count: int) -> bytes:
        with self.lock:
            start, self.number = self.number, self.number + count
        now = datetime.now(UTC).isoformat()
        return b"\n".join(
            json.dumps(
                {
                    "id": f"hook-{os.getpid()}-{number}",
                    "type": "message",
                    "user": f"user-{number % self.rooms}",
                    "ts": now,
                    "text": f"웹훅 문의 {number}",
                },
                ensure_ascii=False,
            ).encode()
            for number in range(start, start + count)
        )

    def post(self, connection, body: bytes, kind: str = "application/json") -> float:
        """Seconds to the answer; stops the bench unless it is 200."""
        import hashlib
        import hmac

        timestamp = str(int(time.time()))
        signed = hmac.new(
            WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        headers = {
            "Content-Type": kind,
            "X-Kchat-Timestamp": timestamp,
            "X-Kchat-Signature": f"sha256={signed}",
        }
        started = time.perf_counter()
        connection.request("POST", "/events", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise SystemExit(f"kchat serve answered {response.status}: {answer[:200]!r}")
        return time.perf_counter() - started

    def connection(self):
        import http.client

        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def at_once(self, senders: int, count: int) -> float:
        """`count` requests of an event each from `senders` connections at once, each
        sending its next request once answered; events a second. The requests are signed
        beforehand and sent with asyncio, so that this client costs the machine less than
        the receiver it measures."""
        import asyncio

        share = count // senders
        requests = [[self._raw(self.event_lines(1)) for _ in range(share)] for _ in range(senders)]

        async def send(raws: list[bytes]) -> None:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            for raw in raws:
                writer.write(raw)
                await _answer_of(reader)
            writer.close()

        async def all_senders() -> float:
            started = time.perf_counter()
            await asyncio.gather(*(send(raws) for raws in requests))
            return time.perf_counter() - started

        return share * senders / asyncio.run(all_senders())

    def _raw(self, body: bytes, kind: str = "application/json") -> bytes:
        """The whole HTTP request, signed."""
        import hashlib
        import hmac

        timestamp = str(int(time.time()))
        signed = hmac.new(
            WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        head = (
            f"POST /events HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\nX-Kchat-Timestamp: {timestamp}\r\n"
            f"X-Kchat-Signature: sha256={signed}\r\n\r\n"
        )
        return head.encode() + body

    def paced(self, per_second: int, count: int) -> tuple[float, float]:
        """Requests sent at `per_second` (four senders, each on its own schedule): the
        median and 99th percentile of their acknowledgement, in ms."""
        waits: list[float] = []

        def send(offset: int) -> None:
            connection = self.connection()
            start = time.perf_counter()
            for number in range(offset, count, 4):
                due = start + number / per_second
                time.sleep(max(0.0, due - time.perf_counter()))
                waits.append(self.post(connection, self.event_lines(1)))
            connection.close()

        threads = [threading.Thread(target=send, args=(offset,)) for offset in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        waits.sort()
        return waits[len(waits) // 2] * 1000, waits[int(len(waits) * 0.99)] * 1000

    def lines(self, per_request: int, requests: int) -> float:
        connection = self.connection()
        bodies = [self.event_lines(per_request) for _ in range(requests)]
        started = time.perf_counter()
        for body in bodies:
            self.post(connection, body, "application/x-ndjson")
        connection.close()
        return per_request * requests / (time.perf_counter() - started)

    def memory(self, pid: int, count: int) -> float:
        """How much the receiver's resident memory grew over the second half of `count`
        requests (eight senders), in MB: its caches fill during the first half. The
        receiver's and its children's (the writer, multiprocessing's resource tracker)."""

        def resident() -> float:
            return sum(map(_resident_mb, [pid, *_children(pid)]))

        self.in_rounds(count // 2)
        half = resident()
        self.in_rounds(count - count // 2)
        return resident() - half

    def in_rounds(self, count: int) -> None:
        """`count` requests from eight senders, signed a round of 10,000 at a time: a
        signature is refused 300 s after it was made."""
        for start in range(0, count, 10_000):
            self.at_once(8, min(10_000, count - start))


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:", 1)[1].split()[0]) / 1024


async def _answer_of(reader) -> None:
    """Read one HTTP answer; stop the bench unless it is 200."""
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length)
    if b" 200 " not in status:
        raise SystemExit(f"kchat serve answered {status!r}: {body[:200]!r}")


def label_rooms(env: dict) -> Row:
    """`rooms list -o ids | rooms label - --add VIP` on up to 10,000 rooms, timed as a whole;
    then every listed room, and no other, must have the label."""
    run(["labels", "create", "VIP"], env)
    listing = ["rooms", "list", "--status", "all", "--limit", "10000"]
    seconds = pipeline([*listing, "-o", "ids"], ["rooms", "label", "-", "--add", "VIP"], env)
    listed = ids(listing, env)
    labelled = ids(["rooms", "list", "--status", "all", "--label", "VIP", "--limit", "0"], env)
    if not listed or sorted(labelled) != sorted(listed):
        raise SystemExit(f"rooms label labelled {len(labelled):,} of {len(listed):,} rooms")
    what = f"label {len(listed):,} rooms: rooms list -o ids | rooms label -"
    return Row(what, seconds, "s", "≤ 3", seconds <= 3)


def retention(url: str, env: dict, messages: int, repeats: Repeats) -> list[Row]:
    """Retention, the last step. First the backlog, as of a month before AS_OF: nearly a
    quarter of the store. SQLite: `repeats.runs` runs, each on a copy of the store as it was
    before (the median run's rate, and the longest transaction of any run); PostgreSQL: one
    run. Then, as of AS_OF, the month that expired since: the job's work month by month.
    Last, on SQLite, the backlog's run interrupted."""
    backlog = retention_command(AS_OF - RETENTION_MONTH)
    database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    if database is None:
        seconds, _, _ = run(backlog, env)
        runs = [(seconds, last_retention(url))]
        return [*retention_rows(runs, messages, 1), *month_rows(url, env)]
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pristine = database.with_name("before-retention.db")
    shutil.copy2(database, pristine)
    runs = []
    for number in range(repeats.runs):
        if number:
            restore(database, pristine)
        seconds, _, _ = run(backlog, env)
        runs.append((seconds, last_retention(url)))
    month = month_rows(url, env)
    restore(database, pristine)
    interrupted = interrupted_retention(database, pristine, backlog, env, repeats.interrupts)
    pristine.unlink()
    return [*retention_rows(runs, messages, repeats.runs), *month, interrupted]


def retention_command(as_of: datetime) -> list[str]:
    return ["jobs", "run", "retention", "--as-of", as_of.isoformat()]


def month_rows(url: str, env: dict) -> list[Row]:
    """Retention as of AS_OF, after the backlog's run: the month that expired since."""
    run(retention_command(AS_OF), env)
    record = last_retention(url)
    deleted = record["counts"]["messages"]
    if not deleted:
        raise SystemExit("retention of the last month deleted no message")
    took = (record["finished_at"] - record["started_at"]).total_seconds()
    longest = record["counts"]["longest_batch_ms"]
    return [
        Row(
            f"retention: the next month, {deleted:,} deleted, job's clock",
            took,
            "s",
            "≤ 5",
            took <= 5,
        ),
        Row(
            "retention: the next month's longest write transaction",
            longest,
            "ms",
            "≤ 250",
            longest <= 250,
        ),
    ]


def store_size(url: str) -> Row:
    """The store's size on disk as built: its file and WAL (SQLite), or its schema's tables
    with their indexes and TOAST (PostgreSQL)."""
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        files = (database, database.with_name(database.name + "-wal"))
        size = sum(path.stat().st_size for path in files if path.exists())
    else:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as connection:
            size = connection.exec_driver_sql(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            ).scalar()
        size = int(size)  # a numeric: PostgreSQL's sum of bigints
        engine.dispose()
    return Row("the store's size on disk", size / 1e6, "MB", "", None)


def restore(database: Path, pristine: Path) -> None:
    """The store as it was before retention (with no log of a later run left beside it)."""
    for leftover in (
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(pristine, database)


def interrupted_retention(
    database: Path, pristine: Path, command: list[str], env: dict, runs: int
) -> Row:
    """Ctrl-C in the middle of retention: the time from SIGINT until another process takes
    the store's write lock (SQLite); the median of `runs` runs on the store as it was, each
    interrupted a little later after its start-up than the one before. Not measured (-) when
    retention was done before every signal, as on a small store."""
    waits = []
    for number in range(runs):
        process = subprocess.Popen(
            KCHAT + command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(0.7 + 0.1 * number)  # kchat's start-up, then well into the batches
        sent = time.perf_counter()
        process.send_signal(signal.SIGINT)
        writer = sqlite3.connect(database, timeout=30, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("COMMIT")
        wait = time.perf_counter() - sent
        writer.close()
        _, error = process.communicate(timeout=30)
        # 130: interrupted. 0: done before the signal; killed by SIGINT: the signal came as
        # the process was ending, its work done (or before its start-up was). Not measures.
        if process.returncode not in (0, 130, -signal.SIGINT):
            raise SystemExit(f"retention exited {process.returncode}: {error.decode()}")
        if process.returncode == 130:
            waits.append(wait)
        restore(database, pristine)
    wait = statistics.median(waits) if waits else None
    return Row(
        f"retention: SIGINT to another process's write (median of up to {runs})",
        None if wait is None else wait * 1000,
        "ms",
        "≤ 1,000",
        None if wait is None else wait <= 1.0,
    )


def piped_event_latency(url: str, env: dict) -> Row:
    """A live feed (`… | kchat ingest -`): the time from writing an event into the open pipe
    to its commit, seen by another connection; the median of 20."""
    import sqlalchemy as sa

    feed = subprocess.Popen(
        KCHAT + ["ingest", "-"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    engine = sa.create_engine(url)
    latencies = []
    try:
        for number in range(20):
            event_id = f"piped-{number}"
            event = {"id": event_id, "type": "message", "user": event_id, "text": "지금 문의"}
            line = json.dumps({**event, "ts": datetime.now(UTC).isoformat()})
            sent = time.perf_counter()
            feed.stdin.write((line + "\n").encode())
            feed.stdin.flush()
            query = sa.text("SELECT 1 FROM ingested_events WHERE event_id = :id")
            while True:
                with engine.connect() as connection:
                    if connection.execute(query, {"id": event_id}).first():
                        break
                if feed.poll() is not None:
                    break
                time.sleep(0.002)
            latencies.append(time.perf_counter() - sent)
    finally:
        _, error = feed.communicate(timeout=60)  # closes its standard input
        engine.dispose()
    if feed.returncode or len(latencies) < 20:
        raise SystemExit(f"kchat ingest - exited {feed.returncode}: {error.decode()}")
    latency = statistics.median(latencies) * 1000
    return Row("piped event to commit (median of 20)", latency, "ms", "≤ 200", latency <= 200)


def scheduler_delivery(env: dict, workdir: Path) -> Row:
    """A reply sent while `kchat scheduler run` goes: the time from `kchat send`'s commit
    (its first line on stderr) to the item in the transport's file; the median of 5."""
    delivered = workdir / f"delivered-{os.getpid()}.jsonl"
    delivered.unlink(missing_ok=True)
    env = {**env, "KCHAT_TRANSPORT": f"file:{delivered}", "KCHAT_ADMIN": "owner"}
    _, _, ids = run(["rooms", "list", "--limit", "1", "-o", "ids"], env)
    scheduler = subprocess.Popen(
        KCHAT + ["scheduler", "run"], env=env, stderr=subprocess.PIPE, text=True
    )
    waits = []
    try:
        if "scheduler started" not in scheduler.stderr.readline():
            raise SystemExit("kchat scheduler run did not start")
        for number in range(5):
            sender = subprocess.Popen(
                KCHAT + ["send", ids.split()[0], f"벤치 답변 {number}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            sender.stderr.readline()  # its first word comes once the send has committed
            sent = time.perf_counter()
            if sender.wait(timeout=60):
                raise SystemExit(f"kchat send exited {sender.returncode}")
            deadline = time.monotonic() + 60
            while not delivered.exists() or len(delivered.read_bytes().splitlines()) <= number:
                if time.monotonic() > deadline:
                    raise SystemExit("the scheduler did not deliver a reply within a minute")
                time.sleep(0.002)
            waits.append(time.perf_counter() - sent)
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.communicate(timeout=60)
    wait = statistics.median(waits) * 1000
    return Row(
        "scheduler: a reply's commit to delivered (median of 5)",
        wait,
        "ms",
        "≤ 1,000",
        wait <= 1000,
    )


def interrupted_ingest(source: Path, env: dict) -> Row:
    """Ctrl-C in the middle of an ingest of a large file: the time from SIGINT to the
    process's exit, its batch rolled back."""
    process = subprocess.Popen(
        KCHAT + ["ingest", str(source)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(1.0)  # kchat's start-up, then into the batches
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    wait = (time.perf_counter() - sent) * 1000
    if process.returncode not in (0, 130, -signal.SIGINT):
        raise SystemExit(f"ingest exited {process.returncode}: {error.decode()}")
    if process.returncode != 130:  # done before the signal, as on a small store
        return Row("ingest: SIGINT to exit", None, "ms", "≤ 1,000", None)
    return Row("ingest: SIGINT to exit", wait, "ms", "≤ 1,000", wait <= 1000)


BURST = 5_000  # events, as a busy hour's peak arrives: through a pipe, in pieces


def console_burst(url: str, env: dict, rooms: int) -> list[Row]:
    """Two consoles open, each in a process of its own as an admin's is, while `kchat
    ingest -` takes a burst of BURST events through a pipe: how long after the last event's
    commit the console shows it, how long F2 takes during the burst, and whether both
    consoles end equal to `rooms list`."""
    import sqlalchemy as sa

    first, second = Console(url, env), Console(url, env)
    try:
        open_user, room = first.opened()["open_user"], first.opened()["room"]
        second.opened()  # both open before the burst
        burst = f"{os.getpid()}-{time.monotonic_ns()}"  # new events, however often it runs
        last = f"burst-last-{burst}"
        lines = burst_lines(rooms, open_user, burst)
        committed = {}
        engine = sa.create_engine(url)

        def watch_commit() -> None:
            """The commit's time, taken as the last look that did not find it: a look every
            10 ms (a look every 2 ms took a tenth of the machine from what is measured), and
            the console's delay counted long by up to 10 ms, never short. A look reads the
            open room's messages alone."""
            query = sa.text("SELECT 1 FROM messages WHERE room_id = :room AND text = :text")
            before = time.monotonic()
            while "at" not in committed:
                looked = time.monotonic()
                with engine.connect() as connection:
                    if connection.execute(query, {"room": room, "text": last}).first():
                        committed["at"] = before
                before = looked
                time.sleep(0.01)

        watcher = threading.Thread(target=watch_commit, daemon=True)
        watcher.start()
        feed = subprocess.Popen(
            KCHAT + ["ingest", "-"], env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        keys = []
        for start in range(0, BURST, 250):  # 250 events every 50 ms: 5,000 a second
            feed.stdin.write("".join(f"{line}\n" for line in lines[start : start + 250]).encode())
            feed.stdin.flush()
            if start % 1000 == 0:
                keys.append(second.ask(f"key {'f2' if len(keys) % 2 == 0 else 'f4'}")["seconds"])
            time.sleep(0.05)
        feed.stdin.close()
        on_screen = first.ask(f"shown {last}")["at"]
        watcher.join(timeout=60)
        shown = on_screen - committed["at"]
        if feed.wait(timeout=60):
            raise SystemExit(f"kchat ingest - exited {feed.returncode} during the burst")
        engine.dispose()
        second.ask("key f4")
        consoles = [first.ask("rooms")["rooms"], second.ask("rooms")["rooms"]]
    finally:
        first.close()
        second.close()
    _, _, listed = run(
        ["--as", "owner", "rooms", "list", "--sort", "waiting", "--limit", "200", "-o", "json"],
        env,
    )
    expected = [[room["id"], room["unread"]] for room in json.loads(listed)]
    equal = all(shown_rooms == expected for shown_rooms in consoles)
    key = max(keys) * 1000
    return [
        Row(
            f"console: last of {BURST:,} piped events on screen after its commit",
            shown * 1000,
            "ms",
            "≤ 1,000",
            shown <= 1.0,
        ),
        Row("console: F2 during the burst (slowest)", key, "ms", "≤ 200", key <= 200),
        Row(
            "console: two consoles equal rooms list after it (1 = yes)",
            float(equal),
            "",
            "1",
            equal,
        ),
    ]


def burst_lines(rooms: int, open_user: str, burst: str) -> list[str]:
    """BURST events in random rooms; the last one, `burst-last-BURST`, in the room the
    console has open."""
    rng = random.Random(SEED)
    return [
        json.dumps(
            {
                "id": f"burst-{burst}-{number}",
                "type": "message",
                "user": open_user if number == BURST - 1 else f"user-{rng.randrange(rooms)}",
                "ts": datetime.now(UTC).isoformat(),
                "text": f"burst-last-{burst}" if number == BURST - 1 else f"몰려온 문의 {number}",
            },
            ensure_ascii=False,
        )
        for number in range(BURST)
    ]


class Console:
    """A console in a process of its own (scripts/bench_console.py), asked over a pipe."""

    def __init__(self, url: str, env: dict):
        program = [sys.executable, str(ROOT / "scripts" / "bench_console.py"), url]
        self.process = subprocess.Popen(
            program, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._opened = None

    def opened(self) -> dict:
        """Its first answer: the console is open, on a room."""
        if self._opened is None:
            self._opened = self._answer()
        return self._opened

    def ask(self, request: str) -> dict:
        self.opened()
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        return self._answer()

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"console: its process ended (exit {self.process.wait()})")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def last_retention(url: str) -> dict:
    from kchat_cli.domain.upkeep import runs as jobruns
    from kchat_cli.store.engine import dispose_engines
    from kchat_cli.store.opening import open_store

    with open_store(url).connect() as connection:
        record = jobruns.last_runs(connection)["retention"]
    dispose_engines()  # the next run's store may be a new copy of the file
    return record


def retention_rows(runs: list[tuple[float, dict]], messages: int, sqlite_runs: int) -> list[Row]:
    """The rates of the median run by the job's own clock (its record's start and end) and
    by the whole process's, which adds kchat's start-up; the longest write transaction of
    any run."""

    def rate(run: tuple[float, dict]) -> float:
        counts, record = run[1]["counts"], run[1]
        return counts["messages"] / (record["finished_at"] - record["started_at"]).total_seconds()

    seconds, record = sorted(runs, key=rate)[len(runs) // 2]
    deleted = record["counts"]["messages"]
    if not deleted:
        raise SystemExit("retention deleted no message")
    longest = max(record["counts"]["longest_batch_ms"] for _, record in runs)
    median = rate((seconds, record))
    clock = f"job's clock (SQLite: median of {sqlite_runs})"
    return [
        Row(
            f"retention: {deleted:,} of {messages:,} deleted, {clock}",
            median,
            "msgs/s",
            "≥ 70,000",
            median >= 70_000,
        ),
        Row(
            "retention: the same, by the whole process's clock",
            deleted / seconds,
            "msgs/s",
            "",
            None,
        ),
        Row(
            f"retention: longest write transaction (SQLite: longest of {sqlite_runs})",
            longest,
            "ms",
            "≤ 250",
            longest <= 250,
        ),
    ]


def pipeline(first: list[str], second: list[str], env: dict) -> float:
    """`kchat FIRST | kchat SECOND`, timed as a whole; stops unless both exit 0."""
    with tempfile.TemporaryFile() as said:
        started = time.perf_counter()
        producer = subprocess.Popen(KCHAT + first, env=env, stdout=subprocess.PIPE, stderr=said)
        consumer = subprocess.run(
            KCHAT + second,
            env=env,
            stdin=producer.stdout,
            stdout=subprocess.DEVNULL,
            stderr=said,
            check=False,
        )
        producer.stdout.close()
        producer.wait()
        elapsed = time.perf_counter() - started
        if producer.returncode or consumer.returncode:
            said.seek(0)
            raise SystemExit(
                f"kchat {' '.join(first)} | kchat {' '.join(second)} exited "
                f"{producer.returncode} | {consumer.returncode}: {said.read().decode()}"
            )
    return elapsed


def in_process(url: str, env: dict, floor: "Floor") -> list[Row]:
    """The first page of a listing and of a search, and the unread total, timed inside one
    process (a command's start-up is its own row)."""
    os.environ.update({key: env[key] for key in ("KCHAT_DB", "KCHAT_HOME")})
    from kchat_cli.domain.conversations.listing import RoomFilter, list_rooms
    from kchat_cli.domain.conversations.search import search
    from kchat_cli.render import Format, emit
    from kchat_cli.runtime import Runtime
    from kchat_cli.store.catalog import unread_total

    rt = Runtime(url, Path(env["KCHAT_HOME"]), None, None, command="rooms list")
    engine, channel = rt.engine(), rt.channel()

    def first_page():
        records = rt.glance(list_rooms, RoomFilter(status="unread"))
        with open(os.devnull, "w") as sink:
            emit(records, Format.json, fields=list(records[0]), stream=sink)
        assert 0 < len(records) <= 50  # the first page (a small store has fewer)

    def unread():
        with engine.connect() as connection:
            unread_total(connection, channel.id)

    def korean_word():  # a two-syllable word most customers' messages hold
        hits = rt.look(search, "환불", rooms=None, since=None, until=None, limit=50)
        assert 0 < len(hits) <= 50  # about one message in ten holds it

    page = timed_median(first_page, 30) * 1000
    total = timed_median(unread, 300) * 1000
    found = timed_median(korean_word, 10) * 1000
    page_budget = first_page_budget(floor)
    return [
        Row(
            "rooms list --status unread, first page",
            page,
            "ms",
            f"≤ {page_budget}",
            page <= page_budget,
        ),
        Row("unread", total, "ms", "≤ 5", total <= 5),
        Row("search: a two-syllable word, the 50 newest hits", found, "ms", "≤ 100", found <= 100),
    ]


def first_page_budget(floor: "Floor") -> int:
    """In ms: a listing's first page costs the same however many rooms match (5 up to
    100,000 rooms, 10 beyond), and 20 in a store of ten million messages."""
    if floor.messages > STANDARD_MESSAGES:
        return 20
    return 5 if floor.rooms <= 100_000 else 10


# Whole-process start-up: each light command beside the yardsticks the budgets are ratios
# to, all measured in turn in the same rounds, so a drift of the machine's speed hits all.
YARDSTICKS = {
    "typer": [sys.executable, "-c", "import typer"],
    "typer+sqlalchemy": [sys.executable, "-c", "import typer, sqlalchemy"],
    # The floor of any Typer command with an option: Typer 0.29 coerces every option's value
    # through pydantic, which `import typer` alone does not load.
    "one-option typer command": [
        sys.executable,
        "-c",
        "import typer\ndef main(name: str = 'x'): pass\ntyper.run(main)",
    ],
}
LIGHT_COMMANDS = {
    "--help": ("typer", 2.0),
    "--version": ("typer", 2.0),
    "unread": ("typer", 2.0),
    "status": ("typer+sqlalchemy", 1.3),
    "rooms list": ("typer+sqlalchemy", 1.3),
}


def startup(env: dict, rounds: int) -> list[Row]:
    commands = {**YARDSTICKS, **{name: KCHAT + name.split() for name in LIGHT_COMMANDS}}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds + 1):  # the first round warms the caches up, uncounted
        for name, command in commands.items():
            started = time.perf_counter()
            done = subprocess.run(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            samples[name].append(time.perf_counter() - started)
            if done.returncode:
                raise SystemExit(f"{name} exited {done.returncode}: {done.stderr.decode()}")
    median = {name: statistics.median(times[1:]) for name, times in samples.items()}
    rows = [
        Row(f"start-up: {name} (yardstick)", median[name], "s", "", None) for name in YARDSTICKS
    ]
    for name, (yardstick, budget) in LIGHT_COMMANDS.items():
        ratio = median[name] / median[yardstick]
        rows.append(Row(f"start-up: kchat {name}", median[name], "s", "", None))
        rows.append(
            Row(f"  kchat {name} ÷ {yardstick}", ratio, "×", f"≤ {budget}", ratio <= budget)
        )
    floor = median["one-option typer command"] / median["typer"]
    rows.append(Row("  one-option typer command ÷ typer", floor, "×", "", None))
    return rows


def show(results: dict[str, list[Row]], title: str, judge: bool) -> None:
    """One column a store, side by side; each store is held to the budgets, judged only when
    `judge`: `NO` names the stores that miss one. A measure not taken on a store (taken on
    the other only, or not measurable) shows `-`."""
    print(f"\n{title}")
    stores = list(results)
    by_store = {store: {row.what: row for row in rows} for store, rows in results.items()}
    every = {row.what: row for rows in results.values() for row in rows}  # in order, once
    width = max(len(what) for what in every)
    header = "".join(f"  {store:>12}" for store in stores)
    print(f"{'measure':<{width}}{header}  {'unit':<9}  {'budget':<10}  ok")
    for row in every.values():
        shown = [by_store[store].get(row.what) for store in stores]
        values = "".join(f"  {_number(each.value if each else None):>12}" for each in shown)
        missed = [
            store for store, each in zip(stores, shown, strict=True) if each and each.ok is False
        ]
        judged = judge and any(each and each.ok is not None for each in shown)
        ok = "" if not judged else ("yes" if not missed else f"NO ({', '.join(missed)})")
        print(f"{row.what:<{width}}{values}  {row.unit:<9}  {row.budget:<10}  {ok}")


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3f}"


def sqlite_store(workdir: Path) -> str:
    folder = workdir / "sqlite"
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'kchat.db'}"


def postgresql_store(base: str, schema: str) -> str:
    """A fresh schema in the database at `base`."""
    drop_schema(base, schema, create=True)
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


def drop_schema(base: str, schema: str, create: bool = False) -> None:
    import sqlalchemy as sa

    from kchat_cli.store.engine import dispose_engines

    dispose_engines()  # kchat's own connections to the schema, from the in-process measures
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if create:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rooms", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="the store to measure; both: SQLite and PostgreSQL side by side",
    )
    parser.add_argument(
        "--postgresql",
        default=os.environ.get(
            "KCHAT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="the PostgreSQL database to make a kchat_bench schema in",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="only prove that the bench runs (scripts/test): each measure once, in a temporary "
        "folder (not --workdir) and a PostgreSQL schema of its own, both removed when done",
    )
    options = parser.parse_args()
    started = time.perf_counter()
    stores = ("sqlite", "postgresql") if options.store == "both" else (options.store,)
    size = (options.rooms, options.messages)
    results = {}
    with tempfile.TemporaryDirectory(prefix="kchat-bench-") as scratch:
        workdir = Path(scratch) if options.smoke else options.workdir.resolve()
        schema = f"kchat_bench_{os.getpid()}" if options.smoke else "kchat_bench"
        large = options.messages > STANDARD_MESSAGES
        repeats = SMOKE if options.smoke else LARGE if large else FULL
        # A small run's receiver is sent as many requests as its store has messages.
        many = min(repeats.webhook_memory_requests, options.messages)
        repeats = dataclasses.replace(repeats, webhook_memory_requests=many)
        workdir.mkdir(parents=True, exist_ok=True)
        source = event_file(workdir, *size)
        floor = raw_floor(source, workdir, *size, repeats.runs)
        try:
            for store in stores:
                if store == "sqlite":
                    url = sqlite_store(workdir)
                else:
                    url = postgresql_store(options.postgresql, schema)
                rows = floor.rows() + bench(url, source, workdir, store, floor, repeats)
                results[{"sqlite": "SQLite", "postgresql": "PostgreSQL"}[store]] = rows
        except BaseException:
            if results:  # what was measured before the failure is not lost
                show(results, "measured before the bench stopped", judge=False)
            raise
        finally:
            if options.smoke and "postgresql" in stores:
                drop_schema(options.postgresql, schema)
    title = f"{options.rooms:,} rooms, {options.messages:,} messages"
    if options.smoke:
        title += " (--smoke: it runs; the budgets are not judged)"
    show(results, title, judge=not options.smoke)
    minutes = (time.perf_counter() - started) / 60
    judged = f" (budget at this size: ≤ {LARGE_MINUTES})" if large and not options.smoke else ""
    print(f"the whole run: {minutes:.1f} minutes{judged}")
    if judged and minutes > LARGE_MINUTES:
        print(f"NO: the run took over {LARGE_MINUTES} minutes")


if __name__ == "__main__":
    main()
