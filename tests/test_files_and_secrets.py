"""Files kchat writes (exports, reject files, the outbox file), the secret key, and secrets
kept out of sight: refused consent lines and database passwords."""

import csv
import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import kst, room_of
from cryptography.fernet import Fernet

PHONE = "010-1234-5678"


def two_rooms(kchat, ev) -> None:
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"), ev.says("u2", "2026-11-20 10:05"))


def without_kchat_settings() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("KCHAT_")}


def run_kchat(kchat, *args, env=None, timeout=60, **kwargs) -> subprocess.CompletedProcess:
    """kchat in a process of its own, with real file descriptors."""
    settings = {"KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home), "KCHAT_ADMIN": "alice"}
    return subprocess.run(
        [sys.executable, "-m", "kchat_cli", *map(str, args)],
        env={**without_kchat_settings(), **settings, **(env or {})},
        capture_output=True,
        timeout=timeout,
        **kwargs,
    )


def users_in_csv(text: str) -> list[str]:
    return sorted(row["user"] for row in csv.DictReader(io.StringIO(text)))


class FifoReader:
    """Reads a FIFO to its end in a thread started before anyone writes into it."""

    def __init__(self, path: Path):
        self.path = path
        self.data = b""
        self.thread = threading.Thread(target=self._read, daemon=True)

    def _read(self):
        with open(self.path, "rb") as fifo:
            self.data = fifo.read()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(20)
        if self.thread.is_alive():  # no writer came: open it once so the reader returns
            os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            self.thread.join(20)
            if exc == (None, None, None):
                raise AssertionError(f"nothing was written into {self.path}")


# Exports (--out)


@pytest.mark.parametrize("what", ["rooms", "messages"])
def test_export_to_a_new_file_creates_it_0600_with_no_leftovers(kchat, ev, tmp_path, what):
    two_rooms(kchat, ev)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / f"{what}.csv"
    kchat("export", what, "--out", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert users_in_csv(target.read_text(encoding="utf-8")) == ["u1", "u2"]
    assert os.listdir(folder) == [target.name], "no temporary file is left behind"


def test_export_replaces_an_existing_file_whole_instead_of_writing_into_it(kchat, ev, tmp_path):
    two_rooms(kchat, ev)
    folder = tmp_path / "exports"
    folder.mkdir()
    target, other_name = folder / "rooms.csv", folder / "same-file.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o644)
    os.link(target, other_name)
    old_inode = os.stat(target).st_ino
    kchat("export", "rooms", "--out", target)
    assert os.stat(target).st_ino != old_inode, "a new file was put in place"
    assert other_name.read_text(encoding="utf-8") == "old\n", "the old file was never touched"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert users_in_csv(target.read_text(encoding="utf-8")) == ["u1", "u2"]
    assert sorted(os.listdir(folder)) == ["rooms.csv", "same-file.csv"]


@pytest.mark.parametrize("what", ["rooms", "messages"])
def test_export_into_a_fifo_writes_into_it_and_leaves_it_a_fifo(kchat, ev, tmp_path, what):
    two_rooms(kchat, ev)
    (tmp_path / "exports").mkdir()
    fifo = tmp_path / "exports" / "export.fifo"
    os.mkfifo(fifo, 0o600)
    with FifoReader(fifo) as reader:
        kchat("export", what, "--out", fifo)
    assert users_in_csv(reader.data.decode()) == ["u1", "u2"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(fifo.parent) == [fifo.name], "no file was put in its place"


def test_export_to_dev_null_leaves_it_a_character_device(kchat, ev):
    two_rooms(kchat, ev)
    before = os.stat("/dev/null")
    kchat("export", "rooms", "--out", "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_rdev, stat.S_IMODE(after.st_mode)) == (
        before.st_rdev,
        stat.S_IMODE(before.st_mode),
    )


def test_export_out_dash_writes_to_stdout(kchat, ev):
    two_rooms(kchat, ev)
    result = kchat("export", "rooms", "--out", "-")
    assert users_in_csv(result.stdout) == ["u1", "u2"]
    assert not Path("-").exists()


def test_export_out_dev_stdout_writes_into_the_pipe(kchat, ev):
    two_rooms(kchat, ev)
    result = run_kchat(kchat, "export", "rooms", "--out", "/dev/stdout")
    assert result.returncode == 0, result.stderr.decode()
    assert users_in_csv(result.stdout.decode()) == ["u1", "u2"]


def test_export_onto_a_symbolic_link_is_refused_and_its_target_kept(kchat, ev, tmp_path):
    two_rooms(kchat, ev)
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("mine\n", encoding="utf-8")
    link.symlink_to(target)
    result = kchat("export", "rooms", "--out", link, code=2)
    assert result.stderr == f"error: {link} is a symbolic link; name the file itself\n"
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert link.is_symlink()


def test_export_onto_a_folder_is_a_usage_error(kchat, ev, tmp_path):
    two_rooms(kchat, ev)
    folder = tmp_path / "folder"
    folder.mkdir()
    result = kchat("export", "messages", "--out", folder, code=2)
    assert result.stderr.startswith(f"error: {folder} is a folder")
    assert os.listdir(folder) == []


def test_export_onto_the_sqlite_store_is_refused_and_the_store_still_works(sqlite_kchat, ev):
    kchat = sqlite_kchat
    two_rooms(kchat, ev)
    store = Path(kchat.url.removeprefix("sqlite:///"))
    result = kchat("export", "rooms", "--out", store, code=2)
    assert result.stderr.startswith(f"error: {store} is kchat's store")
    with kchat.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert room_of(kchat, "u1")["user"] == "u1"
    kchat.ingest(ev.says("u3", "2026-11-20 11:00"))
    assert room_of(kchat, "u3")["user"] == "u3"


# Reject files (--reject-file)


def test_reject_file_that_is_a_folder_is_a_usage_error(kchat, ev, tmp_path):
    result = kchat.ingest(
        ev.says("u1", "2026-11-20 10:00"), args=("--reject-file", tmp_path), code=2
    )
    assert result.stderr.startswith(f"error: {tmp_path} is a folder")


def test_reject_file_fifo_with_no_reader_fails_at_once_without_applying(kchat, ev, tmp_path):
    fifo = tmp_path / "rejects.fifo"
    os.mkfifo(fifo, 0o600)
    events = json.dumps(ev.says("u1", "2026-11-20 10:00")) + "\n"
    result = run_kchat(
        kchat, "ingest", "-", "--reject-file", fifo, input=events.encode(), timeout=20
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"error: no one reads the FIFO {fifo}")
    assert kchat.json("rooms", "list", "--status", "all") == []
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# The secret key


def consent(user: str, at: str, event_id: str = "consent-1", **fields) -> dict:
    return {
        "id": event_id,
        "type": "consent",
        "user": user,
        "ts": kst(at),
        "fields": fields or {"name": "김민지", "phone": PHONE},
    }


def room_with_consent(kchat, ev) -> int:
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("plugin", "register", "--biz-app", "helloshop", "--fields", "name,phone")
    kchat("customer-info", "request", room)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    return room


def test_a_missing_key_file_is_named_and_never_replaced(kchat, ev):
    room = room_with_consent(kchat, ev)
    key_file = kchat.home / "secret.key"
    key_file.unlink()
    result = kchat("customer-info", "show", room, code=1)
    assert result.stderr.startswith(
        f"error: the store's data is sealed with a key that is not here (no {key_file}"
    )
    assert f"restore {key_file} from a copy" in result.stderr
    assert not key_file.exists(), "no new key replaces the missing one"


def test_a_key_file_others_can_read_is_refused(kchat, ev):
    room = room_with_consent(kchat, ev)
    key_file = kchat.home / "secret.key"
    key_file.chmod(0o644)
    result = kchat("customer-info", "show", room, code=1)
    assert result.stderr == (
        f"error: the key file {key_file} can be read by others; chmod 600 {key_file}\n"
    )
    assert PHONE not in result.stdout


def test_a_store_that_sealed_nothing_makes_its_key_file_0600_on_first_need(kchat, ev):
    key_file = kchat.home / "secret.key"
    assert not key_file.exists()
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))  # ingest seals consents: it needs the key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    Fernet(key_file.read_bytes().strip())  # a valid key
    first = key_file.read_bytes()
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    assert key_file.read_bytes() == first, "made once"


# Delivery


def outbox_rows(kchat) -> list[tuple]:
    query = "SELECT kind, status, last_error FROM outbox ORDER BY id"
    with kchat.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(query)]


def deliver_counts(kchat, transport: str, **env) -> dict:
    env = {"KCHAT_TRANSPORT": transport, "KCHAT_TRANSPORT_TIMEOUT": "5", **env}
    result = kchat("jobs", "run", "deliver", "-o", "json", env=env)
    return json.loads(result.stdout)["counts"]


def test_deliver_fails_only_the_code_it_cannot_open_and_sends_the_rest(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    kchat("send", room_of(kchat, "u1")["id"], "답변입니다")
    kchat("admins", "add", "bob", "--name", "박보검")
    kchat("--as", "bob", "auth", "send-code")
    inbox = tmp_path / "inbox.jsonl"
    other_key = Fernet.generate_key().decode()
    counts = deliver_counts(kchat, f"file:{inbox}", KCHAT_SECRET_KEY=other_key)
    assert counts == {"sent": 1, "retrying": 0, "failed": 1}
    (delivered,) = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    assert (delivered["kind"], delivered["text"]) == ("text", "답변입니다")
    (text_item, code_item) = outbox_rows(kchat)
    assert text_item[:2] == ("text", "sent")
    assert code_item[:2] == ("code", "failed")
    assert code_item[2].startswith("the secret key here (key id ")
    assert "is not the one the store's data is sealed with" in code_item[2]


class Redirector:
    """An HTTP endpoint that answers every POST with a 302 and counts what it is asked."""

    def __init__(self):
        self.posts = 0
        self.gets = 0
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                self.rfile.read(int(self.headers["Content-Length"]))
                redirector.posts += 1
                self.send_response(302)
                self.send_header("Location", redirector.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):  # noqa: N802
                redirector.gets += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url, self.location = f"{base}/messages", f"{base}/elsewhere"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector():
    endpoint = Redirector()
    yield endpoint
    endpoint.close()


def test_an_http_redirect_is_not_followed_and_the_item_is_retried(kchat, ev, redirector):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    kchat("send", room_of(kchat, "u1")["id"], "답변입니다")
    assert deliver_counts(kchat, redirector.url) == {"sent": 0, "retrying": 1, "failed": 0}
    assert outbox_rows(kchat) == [
        ("text", "pending", f"HTTP 302 redirect to {redirector.location}; not followed")
    ]
    assert (redirector.posts, redirector.gets) == (1, 0)


def whole_json_lines(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"a torn last line: {data[-80:]!r}"
    return [json.loads(line) for line in data.decode().splitlines()]


def test_file_transport_cuts_off_a_torn_last_line_before_writing(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("send", room, "첫 답변")
    kchat("send", room, "둘째 답변")
    target = tmp_path / "outbox.jsonl"
    target.write_bytes(b'{"id": 0, "text": "whole"}\n{"id": 1, "text": "to')
    assert deliver_counts(kchat, f"file:{target}") == {"sent": 2, "retrying": 0, "failed": 0}
    lines = whole_json_lines(target)
    assert [line["text"] for line in lines] == ["whole", "첫 답변", "둘째 답변"]


def limit_file_size(limit: int):
    """For a child process: no file can grow beyond `limit` bytes, as on a full disk."""

    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


def test_a_write_cut_short_by_a_full_disk_leaves_no_partial_line(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("send", room, "짧은 답변")  # ~300 bytes delivered: fits
    kchat("send", room, "긴 답변 " * 180)  # ~2 kB delivered: does not
    # The limit holds for every file the process writes (the SQLite store too): far above
    # the store's size, with the outbox file filled with whole lines to 1000 bytes below it.
    limit = 16 << 20
    pad = json.dumps({"pad": "x" * 990}).encode() + b"\n"
    count, rest = divmod(limit - 1000, len(pad))
    last = json.dumps({"pad": "x" * (rest - 12)}).encode() + b"\n"
    target = tmp_path / "outbox.jsonl"
    target.write_bytes(pad * count + last)
    assert target.stat().st_size == limit - 1000
    result = run_kchat(
        kchat,
        "jobs",
        "run",
        "deliver",
        "-o",
        "json",
        env={"KCHAT_TRANSPORT": f"file:{target}"},
        preexec_fn=limit_file_size(limit),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["counts"] == {"sent": 1, "retrying": 1, "failed": 0}
    lines = whole_json_lines(target)
    assert len(lines) == count + 2
    assert lines[-1]["text"] == "짧은 답변"
    (first, second) = outbox_rows(kchat)
    assert first[:2] == ("text", "sent")
    assert second[:2] == ("text", "pending")
    assert second[2] == f"cannot write {target}: the disk is full"


# Refused consent lines


def test_refused_consent_lines_keep_field_names_with_values_redacted(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    rejects = tmp_path / "rejects.jsonl"
    no_request = consent("u1", "2026-11-20 10:05")
    malformed = consent("u1", "2026-11-20 10:06", "consent-2", name="김민지", phone=PHONE, age=30)
    kchat.ingest(no_request, malformed, args=("--reject-file", rejects), code=3)
    kept = sorted(whole_json_lines(rejects), key=lambda line: line["id"])
    assert [line["id"] for line in kept] == ["consent-1", "consent-2"]
    assert kept[0]["fields"] == {"name": "[redacted]", "phone": "[redacted]"}
    assert kept[1]["fields"] == {"name": "[redacted]", "phone": "[redacted]", "age": "[redacted]"}
    assert kept[0]["user"] == "u1" and kept[0]["type"] == "consent"
    assert PHONE not in rejects.read_text(encoding="utf-8")
    assert "김민지" not in rejects.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600


def test_a_consent_line_that_is_not_json_has_its_values_redacted(kchat, tmp_path):
    rejects = tmp_path / "rejects.jsonl"
    broken = f'{{"id": "c9", "type": "consent", "fields": {{"phone": "{PHONE}"}}'
    result = kchat("ingest", "-", "--reject-file", rejects, input=broken + "\n", code=3)
    kept = rejects.read_text(encoding="utf-8")
    assert PHONE not in kept
    assert '"fields": {"phone": "[redacted]"}' in kept
    assert kept.startswith('{"id": "c9", "type": "consent"')
    assert PHONE not in result.stderr


# Database passwords


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:secretpw@127.0.0.1:1/x", "postgresql://u@127.0.0.1:1/x?password=secretpw"],
)
@pytest.mark.parametrize("command", [("db", "current"), ("unread",)])
def test_a_database_password_is_never_shown(url, command, tmp_path):
    """In a fresh process each: nothing concealed by an earlier command helps."""
    result = subprocess.run(
        [sys.executable, "-m", "kchat_cli", "--db", url, *command],
        env={**without_kchat_settings(), "KCHAT_HOME": str(tmp_path), "KCHAT_ADMIN": "alice"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "secretpw" not in result.stdout + result.stderr
    assert result.stderr.startswith("error: cannot open the store at ")
    assert "***" in result.stderr
