"""The command line as scripts and people use it: help, outputs, errors, exit codes."""

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import Kchat, room_of, verify
from typer.main import get_command

from kchat_cli.app import app
from kchat_cli.commands import COMMANDS
from kchat_cli.domain.conversations.listing import MESSAGE_FIELDS, ROOM_FIELDS


def _all_commands():
    """Every command a user can run, by its full name (`settings hours set`)."""
    root = get_command(app)
    pending = [(name, root.get_command(None, name)) for name in COMMANDS]
    while pending:
        name, command = pending.pop(0)
        subcommands = getattr(command, "commands", None)
        if subcommands:
            pending += [(f"{name} {sub.name}", sub) for sub in subcommands.values()]
        else:
            yield name, command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_lists_each_command_with_its_own_summary(name):
    """`kchat --help` shows COMMANDS' summaries without importing the modules: they must be
    the summaries the commands themselves give."""
    command = get_command(app).get_command(None, name)
    _, summary = COMMANDS[name]
    assert summary == command.get_short_help_str(limit=1000)


def test_the_help_imports_no_command_module(tmp_path):
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from kchat_cli.app import main\n"
            "sys.argv = ['kchat', '--help']\n"
            "try:\n    main()\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in sys.modules if m.startswith(('kchat_cli.commands.', "
            "'kchat_cli.store', 'sqlalchemy', 'sqlmodel'))]\n"
            "print('imported:', heavy, file=sys.stderr)",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "KCHAT_HOME": str(tmp_path)},
        timeout=60,
    )
    assert "rooms" in shown.stdout and "Follow new user messages" in shown.stdout
    assert "imported: []" in shown.stderr, shown.stderr


@pytest.mark.parametrize("name, command", list(_all_commands()), ids=lambda v: str(v))
def test_every_command_has_help_with_an_example(name, command):
    assert command.help, f"kchat {name} has no help"
    assert "Example: kchat" in command.help, f"kchat {name} help shows no example"


def test_help_runs_for_every_command(tmp_path):
    cli = Kchat("sqlite:///" + str(tmp_path / "none.db"), tmp_path)
    for name, _ in _all_commands():
        result = cli(*name.split(), "--help")
        assert "Usage:" in result.stdout


def test_kchat_unread_starts_without_sqlmodel_or_the_orm(kchat, ev):
    """`kchat unread` is the light command (its whole process has a budget): it reads the
    counter with SQLAlchemy Core, and never imports sqlmodel or SQLAlchemy's ORM."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    probe = (
        "import atexit, sys\n"
        "heavy = {'sqlmodel', 'sqlalchemy.orm'}\n"
        "atexit.register(lambda: print(sorted(heavy & set(sys.modules)), file=sys.stderr))\n"
        "from kchat_cli.app import main\n"
        "sys.argv = ['kchat', 'unread']\n"
        "main()\n"
    )
    env = {**os.environ, **{k: v for k, v in kchat.env.items() if v is not None}}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert (result.stdout.strip(), result.stderr.strip()) == ("1", "[]")


def test_rooms_list_json_carries_every_spec_field(kchat, ev):
    kchat.ingest(
        ev.open("u1", "2026-11-20 10:00", nickname="민지"), ev.says("u1", "2026-11-20 10:01")
    )
    (room,) = kchat.json("rooms", "list")
    assert tuple(room) == ROOM_FIELDS
    assert room["user"] == "u1" and room["name"] == "민지" and room["labels"] == []
    assert room["last_message_at"] == "2026-11-20T10:01:00+09:00"


def test_rooms_show_json_adds_messages(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:01", text="환불 문의"),
        ev.answer("u1", "2026-11-20 10:02", text="네 고객님"),
    )
    shown = kchat.json("rooms", "show", room_of(kchat, "u1")["id"])
    assert tuple(shown) == (*ROOM_FIELDS, "messages", "older_not_shown", "newer_not_shown")
    assert [tuple(m) for m in shown["messages"]] == [(*MESSAGE_FIELDS, "new")] * 2
    assert [(m["from"], m["text"]) for m in shown["messages"]] == [
        ("user", "환불 문의"),
        ("admin", "네 고객님"),
    ]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "ids", "table"])
def test_rooms_list_in_every_format(kchat, ev, fmt):
    kchat.ingest(
        ev.open("u1", "2026-11-20 10:00", nickname="민지"),
        ev.says("u1", "2026-11-20 10:01"),
        ev.says("u2", "2026-11-20 10:02"),
    )
    out = kchat("rooms", "list", "-o", fmt).stdout
    if fmt == "json":
        assert [room["user"] for room in json.loads(out)] == ["u2", "u1"]
    elif fmt == "jsonl":
        assert [json.loads(line)["user"] for line in out.splitlines()] == ["u2", "u1"]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert list(rows[0]) == list(ROOM_FIELDS)
        assert [(r["user"], r["friend"], r["labels"]) for r in rows] == [
            ("u2", "false", ""),
            ("u1", "false", ""),
        ]
    elif fmt == "ids":
        assert out.split() == [str(room_of(kchat, u)["id"]) for u in ("u2", "u1")]
    else:
        lines = out.splitlines()
        assert lines[0].split()[:3] == ["ID", "NAME", "STATUS"]
        assert "민지" in out and "2026-11-20 10:01" in out


def test_table_lines_up_with_korean_text(kchat, ev):
    kchat.ingest(
        ev.open("u1", "2026-11-20 10:00", nickname="김민지"),
        ev.says("u1", "2026-11-20 10:01"),
        ev.open("u2", "2026-11-20 10:00", nickname="Tom"),
        ev.says("u2", "2026-11-20 10:02"),
    )
    from wcwidth import wcswidth

    header, _rule, *rows = kchat("rooms", "list").stdout.splitlines()
    starts = [
        wcswidth(line[: line.index(word)])
        for line, word in [(header, "STATUS"), (rows[0], "unread"), (rows[1], "unread")]
    ]
    assert len(set(starts)) == 1, "\n".join([header, *rows])


def test_empty_list_prints_empty_json_array(kchat):
    assert kchat("rooms", "list", "-o", "json").stdout == "[]\n"
    result = kchat("rooms", "list")
    assert result.stdout == "" and "no rooms" in result.stderr


def test_r_send_1_text_limit(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    kchat("send", room_id, "가" * 1000)
    result = kchat("send", room_id, "가" * 1001, code=1)
    assert result.stderr == "error: the message has 1001 characters; the limit is 1000\n"
    outbox = kchat.json("outbox", "list")
    assert len(outbox) == 1 and outbox[0]["text"] == "가" * 1000


def test_send_records_admin_and_queues_delivery(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    (message,) = kchat.json("send", room_id, "확인해 드릴게요")
    assert (message["from"], message["admin"], message["room"]) == ("admin", "alice", room_id)
    (item,) = kchat.json("outbox", "list")
    assert (item["kind"], item["status"], item["room"], item["user"]) == (
        "text",
        "pending",
        room_id,
        "u1",
    )
    assert kchat.json("outbox", "list", "--status", "sent") == []


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("rooms", "show", "999"), 1, "error: no room 999; see kchat rooms list\n"),
        (("send", "999", "hi"), 1, "error: no room 999; see kchat rooms list\n"),
        (
            ("--as", "nobody", "send", "1", "hi"),
            1,
            "error: no admin 'nobody' in this channel; see kchat admins list\n",
        ),
        (
            ("--channel", "없는채널", "rooms", "list"),
            1,
            "error: no channel named '없는채널'; channels here: 헬로카페\n",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code(kchat, args, code, message):
    result = kchat(*args, code=code)
    assert result.stderr == message
    assert result.stdout == ""


def test_usage_errors_exit_2(kchat):
    assert kchat("rooms", "list", "--status", "nope", code=2).exit_code == 2
    assert kchat("rooms", "list", "--since", "last tuesday", code=2).exit_code == 2
    assert kchat("unread", "-o", "ids", code=2).stderr.startswith("error: these records")


def test_bulk_refuses_bad_ids_applies_good_exit_3(kchat, ev):
    """R-BULK-1: the good rooms change, the bad ones are refused with a reason (exit 3)."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    result = kchat("rooms", "read", room_id, "999", "abc", code=3)
    assert "marked read: 1 changed, 0 unchanged, 2 refused" in result.stderr
    assert "refused 999: no such room" in result.stderr
    assert "refused abc: not a room id" in result.stderr
    assert room_of(kchat, "u1")["unread"] == 0


def test_bulk_dry_run_changes_nothing(kchat, ev):
    """R-BULK-1: --dry-run says what would change and changes nothing."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    room_id = room_of(kchat, "u1")["id"]
    result = kchat("rooms", "complete", room_id, "--dry-run")
    assert "completed: 1 would change, 0 unchanged, 0 refused (dry run)" in result.stderr
    assert room_of(kchat, "u1")["status"] == "unread"


def test_uninitialised_store_says_what_to_do(tmp_path):
    cli = Kchat("sqlite:///" + str(tmp_path / "none.db"), tmp_path)
    result = cli("rooms", "list", code=1)
    assert result.stderr == (
        f"error: no store at {tmp_path / 'none.db'}; run kchat init --name PROFILE --owner LOGIN\n"
    )
    assert not (tmp_path / "none.db").exists()


def test_unreachable_postgresql_is_one_line_without_password(tmp_path):
    cli = Kchat("postgresql+psycopg://kchat:s3cret@127.0.0.1:1/none", tmp_path)
    result = cli("unread", code=1)
    assert result.stderr.startswith(
        "error: cannot open the store at postgresql+psycopg://kchat:***@127.0.0.1:1/none"
    )
    assert "s3cret" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_sqlite_store_file_is_private(tmp_path):
    cli = Kchat("sqlite:///" + str(tmp_path / "data" / "kchat.db"), tmp_path)
    cli("init", "--name", "헬로카페", "--owner", "alice")
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "kchat.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700


def test_init_twice_keeps_the_channel(kchat):
    result = kchat("init", "--name", "헬로카페", "--owner", "alice", "-o", "json")
    assert json.loads(result.stdout)["created"] is False


def test_status_counts_rooms_by_status(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:01"),
        ev.says("u2", "2026-11-20 10:02"),
        ev.answer("u2", "2026-11-20 10:03"),
    )
    status = kchat.json("status")
    assert status["unread"] == 1
    assert (status["rooms_unread"], status["rooms_answered"]) == (1, 1)


def test_export_messages_csv_and_jsonl_with_period(kchat, ev, tmp_path):
    """R-EXPORT-1: messages export as CSV or JSON lines."""
    kchat.ingest(
        ev.says("u1", "2026-10-31 23:59", text="10월"),
        ev.says("u1", "2026-11-01 00:00", text="11월, 쉼표"),
        ev.answer("u1", "2026-11-30 23:59", text="답변"),
        ev.says("u1", "2026-12-01 00:00", text="12월"),
    )
    out = kchat("export", "messages", "--since", "2026-11-01", "--until", "2026-11-30").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["text"], r["from"], r["admin"]) for r in rows] == [
        ("11월, 쉼표", "user", ""),
        ("답변", "admin", "alice"),
    ]
    target = tmp_path / "out.jsonl"
    result = kchat("export", "messages", "-o", "jsonl", "--out", target)
    assert result.stdout == "" and "exported 4 messages" in result.stderr
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == ["10월", "11월, 쉼표", "답변", "12월"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_demo_is_deterministic_and_covers_every_status(store_url, tmp_path):
    cli = Kchat(store_url, tmp_path / "home")
    cli.env["KCHAT_ADMIN"] = "owner"
    cli("demo", "--as-of", "2026-11-25T12:00:00+09:00")
    verify(cli, "owner")
    rooms = cli.json("rooms", "list", "--status", "all", "--limit", "0")
    assert 190 <= len(rooms) <= 210
    assert {room["status"] for room in rooms} == {"unread", "unanswered", "answered", "completed"}
    assert {room["friend"] for room in rooms} == {True, False}
    assert any(room["legacy"] for room in rooms)
    assert json.loads(cli("demo", "-o", "json").stdout)["applied"] == 0
    assert cli.json("rooms", "list", "--status", "all", "--limit", "0") == rooms


def test_console_script_runs_as_a_real_process(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:01"))
    env = {**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)}
    done = subprocess.run(
        [sys.executable, "-m", "kchat_cli", "unread"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")
    done = subprocess.run(
        [sys.executable, "-m", "kchat_cli", "rooms", "show", "99"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "error: no room 99; see kchat rooms list\n"
