"""Live streams: an event written into an open `kchat ingest -` is committed while the pipe
stays open, a reply leaves under the scheduler without a timed run, a closed pipe ends a
command quietly, and long work shows its progress on a terminal only. How fast each is, is
measured by scripts/bench, not asserted here."""

import json
import os
import pty
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from conftest import kst, room_of

from kchat_cli import clock


def env_of(kchat, **more) -> dict:
    return {
        **os.environ,
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_ADMIN": "alice",
        **more,
    }


def kchat_process(kchat, *args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", *args], env=kwargs.pop("env", env_of(kchat)), **kwargs
    )


def within(seconds: float, condition) -> None:
    """Until `condition` holds; failing past `seconds`, so that a test never hangs."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.005)


def message(event_id: str, user: str, text: str = "지금 문의해요") -> str:
    ts = clock.now().isoformat()
    event = {"id": event_id, "type": "message", "user": user, "ts": ts, "text": text}
    return json.dumps(event, ensure_ascii=False) + "\n"


def users(kchat) -> set[str]:
    return {room["user"] for room in kchat.json("rooms", "list", "--status", "all")}


def test_a_piped_event_is_live_at_once_with_its_notices(kchat):
    """`tail -F events | kchat ingest -`: a line written into the open pipe is committed,
    seen by another process and answered by its off-hours notice while the pipe stays open."""
    today = clock.now().astimezone(clock.KST).date().isoformat()
    kchat("settings", "hours", "set", "all", "09:00-18:00")
    kchat("settings", "holidays", "add", today)  # closed all today: an off-hours notice
    feed = kchat_process(kchat, "ingest", "-", stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Each line is in the store while the pipe stays open (how fast: scripts/bench).
        for number in range(4):
            feed.stdin.write(message(f"live{number}", f"u{number}").encode())
            feed.stdin.flush()
            within(30.0, lambda user=f"u{number}": user in users(kchat))
        notices = [item for item in kchat.json("outbox", "list") if item["kind"] == "offhours"]
        assert sorted(item["user"] for item in notices) == ["u0", "u1", "u2", "u3"]
    finally:
        feed.stdin.close()
        err = feed.stderr.read().decode()
        feed.wait(timeout=30)
    assert feed.returncode == 0
    assert "4 applied" in err


@pytest.mark.slow
def test_a_reply_leaves_at_once_under_the_scheduler(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    delivered = tmp_path / "delivered.jsonl"
    env = env_of(kchat, KCHAT_TRANSPORT=f"file:{delivered}")
    scheduler = kchat_process(kchat, "scheduler", "run", env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert "scheduler started" in scheduler.stderr.readline()
        for number in range(3):  # each goes while the scheduler runs (how fast: scripts/bench)
            sent = kchat("send", room, f"답변 {number}", env={"KCHAT_TRANSPORT": str(delivered)})
            assert "no scheduler runs" not in sent.stderr
            lines = number + 1
            within(
                30.0,
                lambda lines=lines: (
                    delivered.exists()
                    and len(delivered.read_text(encoding="utf-8").splitlines()) == lines
                ),
            )
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.communicate(timeout=30)
    texts = [json.loads(line)["text"] for line in delivered.read_text("utf-8").splitlines()]
    assert texts == ["답변 0", "답변 1", "답변 2"]
    status = kchat.json("status")
    assert status["scheduler"] == "not running"
    assert status["last_delivery"] is not None


def test_without_a_scheduler_queueing_says_how_it_will_leave(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"), ev.friend("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    hint = "no scheduler runs for this store: {} leaves with the next `kchat jobs run deliver`"
    assert hint.format("it") in kchat("send", room, "안녕하세요").stderr
    kchat("groups", "create", "단골")
    kchat("rooms", "to-group", room, "--group", "단골")
    assert hint.format("the message") in kchat("groups", "message", "단골", "공지").stderr
    kchat("admins", "add", "bob", "--name", "박보검")
    said = kchat("--as", "bob", "auth", "send-code").stderr
    assert "your code waits in the outbox" in said
    assert "leaves with the next `kchat --as bob jobs run deliver`" in said
    assert kchat.json("status")["scheduler"] == "not running"


@pytest.mark.parametrize(
    "command",
    [
        ("export", "messages", "-o", "csv"),
        ("rooms", "list", "--status", "all"),
        ("rooms", "show", "1", "--peek"),
        ("search", "문의"),
        ("outbox", "list"),
    ],
)
def test_a_closed_pipe_ends_quietly_with_status_0(kchat, command):
    kchat.ingest(*(json.loads(message(f"p{n}", f"u{n % 40}")) for n in range(400)))
    args = " ".join(f"'{part}'" for part in command)
    shell = f"{sys.executable} -m kchat_cli {args} | head -1; echo status=${{PIPESTATUS[0]}} >&2"
    done = subprocess.run(
        ["bash", "-c", shell], env=env_of(kchat), capture_output=True, text=True, timeout=60
    )
    assert done.stderr.strip().splitlines()[-1] == "status=0", done.stderr
    assert "error" not in done.stderr and "Broken" not in done.stderr
    assert len(done.stdout.splitlines()) == 1


def on_a_terminal(kchat, *args) -> tuple[int, str]:
    """Run kchat with stderr on a terminal (a pty); return its exit code and what it showed."""
    leader, follower = pty.openpty()
    process = kchat_process(kchat, *args, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=60), shown.decode(errors="replace")


@pytest.mark.slow
def test_long_work_shows_progress_on_a_terminal_only(kchat, tmp_path):
    source = tmp_path / "events.jsonl"
    source.write_text("".join(message(f"g{n}", f"u{n % 300}") for n in range(30_000)), "utf-8")
    code, shown = on_a_terminal(kchat, "ingest", str(source), "--batch-size", "500")
    assert code == 0
    assert "events" in shown and "/s" in shown, "a progress line with counts and rate"
    piped = kchat("ingest", str(source))
    assert piped.stderr == "0 applied, 30000 duplicates, 0 refused\n", "nothing else when piped"
    code, shown = on_a_terminal(
        kchat, "jobs", "run", "retention", "--as-of", kst("2030-01-01 00:00"), "--yes"
    )
    assert code == 0 and "messages deleted" in shown


def test_status_names_a_running_scheduler(kchat):
    from kchat_cli.store import catalog, locks
    from kchat_cli.store.models import Lock

    now = clock.now()
    with kchat.engine.begin() as connection:
        connection.execute(
            Lock.__table__.insert(),
            [
                {
                    "name": catalog.SCHEDULER,
                    "holder": locks.me(),
                    "acquired_at": now - timedelta(hours=1),
                    "expires_at": now + timedelta(minutes=1),
                }
            ],
        )
    status = kchat.json("status")
    assert status["scheduler"] == locks.me()
    assert clock.parse_instant(status["scheduler_since"]) <= now - timedelta(minutes=59)
