"""R-INPUT-1: nothing a customer or an admin typed reaches a terminal raw (no control
character, escape sequence or bidirectional override), a newline in a name cannot forge a
line, and no cell reaches a spreadsheet as a formula. JSON stays exact data."""

import csv
import io
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import kst, room_of

SHA = "cd" * 32
# What a hostile customer types: screen clearing, a fake banner, a window title, an 8-bit
# CSI, a bidirectional override, DEL, NUL, and line breaks that would forge a line.
HOSTILE = (
    "\x1b[2J\x1b[H\x1b[41mADMIN NOTICE\x1b[0m\x1b]0;owned\x07\x9b31m\u202eevil\x7f\x00 x\n"
    "  99  2026-12-01 09:00  admin alice  환불 완료\r\tend"
)
# What a careless admin types, short enough for names.
NAME = "\x1b]0;t\x07\u202e=n\nx"
# A byte a terminal acts on: C0 but newline, DEL; then (in text) C1 and bidi controls.
RAW_BYTE = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")
RAW_CHAR = re.compile("[\x80-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def assert_terminal_safe(output: str, where: str) -> None:
    data = output.encode("utf-8", "surrogateescape")
    assert not RAW_BYTE.search(data), f"{where}: raw control byte in {output!r}"
    assert not RAW_CHAR.search(output), f"{where}: raw C1 or bidi control in {output!r}"


@pytest.fixture
def hostile(kchat, ev, tmp_path):
    """A channel where every field a customer or an admin fills holds hostile text."""
    at = kst("2026-11-20 10:00")
    events = [
        {"id": "h1", "type": "open", "user": "u\u202e1", "ts": at, "nickname": HOSTILE},
        {"id": "h2", "type": "message", "user": "u\u202e1", "ts": at, "text": HOSTILE},
        {
            "id": "h3",
            "type": "message",
            "user": "u\u202e1",
            "ts": at,
            "kind": "file",
            "text": HOSTILE,
            "file": {"name": HOSTILE, "size": 5, "mime": HOSTILE, "sha256": SHA},
        },
        {
            "id": "h4",
            "type": "comment",
            "user": "u\u202e1",
            "ts": at,
            "post": "p\u202e1",
            "text": HOSTILE,
        },
        {
            "id": "h5",
            "type": "message",
            "user": "u2",
            "ts": at,
            "text": "=cmd|' /C calc'!A1",
            "nickname": '=HYPERLINK("http://evil","x")',
        },
    ]
    kchat.ingest(*events)
    room = room_of(kchat, "u\u202e1")["id"]
    kchat("labels", "create", NAME)
    kchat("rooms", "label", room, "--add", NAME)
    kchat("rooms", "memo", room, HOSTILE)
    kchat("replies", "create", NAME, HOSTILE)
    kchat("groups", "create", NAME)
    kchat("coupons", "create", NAME, "--benefit", NAME, "--valid-until", "2099-12-31")
    kchat("settings", "holidays", "add", "2026-12-25", "--note", NAME)
    kchat("settings", "offhours-message", "set", HOSTILE + " {hours}")
    kchat("settings", "guide-message", "set", HOSTILE)
    kchat("admins", "add", "bob", "--name", NAME, "--phone", NAME)
    kchat("plugin", "register", "--biz-app", NAME, "--fields", NAME)
    kchat("send", room, HOSTILE)
    kchat("rooms", "assign", room, "--to", "bob")
    return room


HUMAN_OUTPUTS = [
    ("rooms", "list", "--status", "all"),
    ("rooms", "show", "{room}", "--peek"),
    ("rooms", "show", "{room}"),
    ("search", "ADMIN"),
    ("search", "ev"),
    ("comments", "list"),
    ("outbox", "list"),
    ("labels", "list"),
    ("replies", "list"),
    ("groups", "list"),
    ("coupons", "list"),
    ("settings", "show"),
    ("settings", "holidays", "list"),
    ("admins", "list"),
    ("plugin", "status"),
    ("report", "--by", "label", "--since", "2026-11-01"),
    ("report", "--by", "assignee", "--since", "2026-11-01"),
    ("status",),
    ("export", "messages", "-o", "jsonl"),
    ("export", "rooms", "-o", "jsonl"),
    ("rooms", "list", "--status", "all", "-o", "json"),
    ("rooms", "show", "{room}", "-o", "json", "--peek"),
]


@pytest.mark.parametrize("command", HUMAN_OUTPUTS, ids=" ".join)
def test_r_input_1_every_human_output_shows_what_was_typed_escaped(kchat, hostile, command):
    args = [part.format(room=hostile) for part in command]
    result = kchat(*args)
    assert_terminal_safe(result.stdout, " ".join(args))
    assert_terminal_safe(result.stderr, " ".join(args))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("labels", "delete", "\x1b[2J\u202eno such", "--yes"), 1),
        (("rooms", "label", "1", "--add", "\x1b]0;x\x07"), 1),
        (("--channel", "\x1b[31mred", "status"), 1),
        (("rooms", "read", "\x01", "\x9b2J"), 3),
        (("replies", "edit", "\x1b[2J", "x"), 1),
    ],
)
def test_r_input_1_errors_that_quote_input_show_it_escaped(kchat, hostile, args, code):
    result = kchat(*args, code=code)
    assert result.stderr.startswith(("error:", "marked read: 0 changed"))
    assert_terminal_safe(result.stderr, " ".join(args))


def test_r_input_1_refused_lines_quote_the_line_escaped(kchat, tmp_path):
    lines = [json.dumps({"id": "x", "type": HOSTILE, "user": "u1", "ts": "2026-11-20T10:00"})]
    result = kchat("ingest", "-", input="\n".join(lines) + "\n", code=3)
    assert "line 1: unknown type" in result.stderr
    assert_terminal_safe(result.stderr, "ingest")


def test_r_input_1_a_newline_in_a_name_cannot_forge_a_line(kchat, hostile):
    shown = kchat("rooms", "show", hostile, "--peek").stdout.splitlines()
    assert shown[0].startswith(f"room {hostile} · ")
    assert shown[1].startswith("memo: ")
    assert "↵" in shown[0] and "↵" in shown[1]
    header = shown[2]
    assert header.split() == ["ID", "TIME", "FROM", "MESSAGE"]
    rows = shown[4:]
    assert len(rows) == 3, "one line a message: the forged admin line stays inside its cell"
    assert all(re.match(r"^\s*\d+\s+2026-", row) for row in rows)


def test_r_input_1_json_keeps_the_exact_data(kchat, hostile):
    record = kchat.json("rooms", "show", hostile, "--peek")
    assert record["name"] == HOSTILE.replace("\x00", "\ufffd")
    assert record["user"] == "u\u202e1"
    text = kchat("rooms", "show", hostile, "--peek", "-o", "json").stdout
    assert "\\u202e" in text and "\\u009b" in text, "escaped where a terminal would act on it"


def test_r_input_1_csv_cells_never_run_as_formulas(kchat, hostile):
    """R-INPUT-1, R-EXPORT-1: no exported CSV cell is a formula; JSON stays exact."""
    rooms = list(csv.DictReader(io.StringIO(kchat("export", "rooms").stdout)))
    names = {room["user"]: room["name"] for room in rooms}
    assert names["u2"] == '\'=HYPERLINK("http://evil","x")'
    messages = list(csv.DictReader(io.StringIO(kchat("export", "messages").stdout)))
    texts = [row["text"] for row in messages if row["user"] == "u2"]
    assert texts == ["'=cmd|' /C calc'!A1"]
    listed = list(csv.DictReader(io.StringIO(kchat("labels", "list", "-o", "csv").stdout)))
    assert all(
        not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        for row in listed
        for cell in row.values()
    )
    jsonl = [
        json.loads(line)
        for line in kchat("export", "messages", "-o", "jsonl").stdout.split("\n")
        if line
    ]
    assert "=cmd|' /C calc'!A1" in [row["text"] for row in jsonl], "JSON stays exact"


def test_r_input_1_watch_shows_new_messages_escaped(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    env = {
        **os.environ,
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_ADMIN": "alice",
    }
    watcher = subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", "watch", "--count", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert b"watching" in watcher.stderr.readline()
        kchat.ingest(
            {
                "id": "w1",
                "type": "message",
                "user": "u1",
                "ts": kst("2026-11-20 10:01"),
                "text": HOSTILE,
                "nickname": HOSTILE,
            }
        )
        out, err = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    assert b"ADMIN NOTICE" in out
    assert_terminal_safe(out.decode(), "watch")
    assert_terminal_safe(err.decode().replace("\a", ""), "watch (the bell is kchat's own)")


def test_a_carriage_return_cannot_split_a_csv_row(kchat, ev, tmp_path):
    """A lone CR ends a row in a spreadsheet: a cell holding one is quoted, so what follows
    it (`@SUM(1+1)`) stays inside the cell instead of starting one raw."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:00", text="hi\r@SUM(1+1)", nickname="y\r=1+1"))
    for kind in ("messages", "rooms"):
        target = tmp_path / f"{kind}.csv"
        kchat("export", kind, "-o", "csv", "--out", target)
        with open(target, encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))
        assert all(len(row) == len(rows[0]) for row in rows), "every row whole"
        cells = [cell for row in rows for cell in row]
        assert "hi\r@SUM(1+1)" in cells or "y\r=1+1" in cells
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
