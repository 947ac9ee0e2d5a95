"""Output that fits: tables within the terminal's width (wide Korean characters count two
columns; text cut with …, never ids), long messages wrapped and a long history paged on a
terminal, colour on a terminal only, one look for headers, yes/no and times, and message tags
with no stray space that say a coupon once."""

import json
import os
import pty
import re
import subprocess
import sys
from io import StringIO

import pytest
from conftest import RECEIPT, kst, room_of
from wcwidth import wcswidth

from kchat_cli.render import Column, Format, Screen, emit, field, status_style
from kchat_cli.views import message_body

NARROW = {"COLUMNS": "80"}
LONG_NAME = "김민지김민지김민지 고객님 (강남점 VIP 단골, 주말 오후 방문 예정)"
LONG_LABELS = ["재구매고객_강남점_2026", "이벤트대상_겨울시즌", "환불요청_처리중_확인"]
LONG_TEXT = (
    "안녕하세요, 지난주 토요일 강남점에서 주문한 케이크 두 개 중 하나가 배송 중에 "
    "찌그러져서 왔어요. 사진 첨부해 드릴 테니 교환이나 환불 가능한지 확인 부탁드립니다. "
    "다음 주 화요일까지 연락 주시면 좋겠어요."
)
ANSI = "\x1b["


def widest(text: str) -> int:
    return max(wcswidth(line) for line in text.splitlines())


@pytest.fixture
def busy(kchat, ev):
    """A channel with long Korean names, labels and messages, and a few job runs."""
    for label in LONG_LABELS:
        kchat("labels", "create", label)
    for n in range(1, 6):
        kchat.ingest(
            ev.open(f"u{n}", "2026-11-20 09:00", nickname=f"고객{n}"),
            ev.friend(f"u{n}", "2026-11-20 09:00"),
            ev.says(f"u{n}", f"2026-11-20 10:0{n}", text=LONG_TEXT),
        )
    room = room_of(kchat, "u1")["id"]
    kchat("rooms", "rename", room, LONG_NAME)
    kchat("rooms", "label", room, *(f"--add={label}" for label in LONG_LABELS))
    kchat("rooms", "assign", room, "--to", "alice")
    kchat("send", room, LONG_TEXT)
    for job in ("offhours-notices", "pii-purge"):
        kchat("jobs", "run", job)
    kchat("jobs", "run", "retention", "--dry-run")
    kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{kchat.home / 'sent.jsonl'}"})
    kchat("send", room, LONG_TEXT)  # pending in the outbox
    return room


@pytest.mark.parametrize(
    "args",
    [
        ("rooms", "list"),
        ("jobs", "list"),
        ("jobs", "history"),
        ("outbox", "list"),
        ("search", "케이크"),
        ("rooms", "show", "{room}", "--peek"),
        ("status",),
    ],
    ids=" ".join,
)
def test_every_line_fits_80_columns(kchat, busy, args):
    args = [arg.format(room=busy) for arg in args]
    wide = kchat(*args).stdout
    narrow = kchat(*args, env=NARROW).stdout
    naturally_narrow = args[0] == "status" or args[:2] == ["jobs", "list"]
    assert widest(wide) > 80 or naturally_narrow, "the data is wide enough to need fitting"
    assert widest(narrow) <= 80, narrow


def test_text_is_cut_with_an_ellipsis_and_ids_never(kchat, busy):
    table = kchat("rooms", "list", env=NARROW).stdout
    assert "…" in table
    listed = {room["id"] for room in kchat.json("rooms", "list")}
    first_cells = {int(line.split()[0]) for line in table.splitlines()[2:]}
    assert first_cells == listed, "every id shown whole"
    assert all(f"2026-11-20 10:0{n}" in table for n in range(2, 6)), "times whole"


def test_the_widest_text_column_is_cut_first(kchat, busy):
    header, _, *rows = kchat("rooms", "list", env={"COLUMNS": "110"}).stdout.splitlines()
    (long_row,) = [row for row in rows if row.split()[0] == str(busy)]
    assert "alice" in long_row, "the assignee fits once the name and labels are cut"
    assert LONG_NAME not in long_row and "…" in long_row


def test_piped_without_columns_nothing_is_cut(kchat, busy):
    table = kchat("rooms", "list").stdout
    assert LONG_NAME in table and ", ".join(sorted(LONG_LABELS)) in table
    assert "…" not in table


def test_rooms_show_wraps_long_messages_under_the_text(kchat, busy):
    lines = kchat("rooms", "show", busy, "--peek", env=NARROW).stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["ID", "TIME"])
    indent = wcswidth(header[: header.index("MESSAGE")])
    start = next(i for i, line in enumerate(lines) if "안녕하세요, 지난주" in line)
    going_on = []
    for line in lines[start + 1 :]:
        if line[:indent].strip():
            break
        going_on.append(line[indent:])
    assert going_on, "the message went on over more lines"
    message_column = lines[start][len(header[: header.index("MESSAGE")]) :]
    assert " ".join([message_column, *going_on]).split() == LONG_TEXT.split()


def test_headers_are_upper_case_in_every_table(kchat, busy):
    kchat("replies", "create", "인사", "안녕하세요")
    kchat("admins", "add", "bob", "--name", "박보검")
    for args in (
        ("rooms", "list"),
        ("jobs", "list"),
        ("jobs", "history"),
        ("outbox", "list"),
        ("labels", "list"),
        ("admins", "list"),
        ("replies", "list"),
        ("report", "--since", kst("2026-11-01 00:00")),
    ):
        header = kchat(*args).stdout.splitlines()[0]
        assert header == header.upper() and header.strip(), f"{args}: {header}"
    assert "DRY RUN" in kchat("jobs", "history").stdout


def test_booleans_print_yes_or_no(kchat, busy):
    history = kchat("jobs", "history").stdout.splitlines()
    dry_runs = [line.split()[4] for line in history[2:]]  # ID JOB DAY TIME DRY
    assert sorted(set(dry_runs)) == ["no", "yes"]
    kchat("settings", "chat", "off")
    assert re.search(r"^open_now\s+no$", kchat("status").stdout, re.MULTILINE)


def test_status_shows_times_as_every_table_does(kchat, busy):
    shown = kchat("status").stdout
    (last_jobs,) = [line for line in shown.splitlines() if line.startswith("last_jobs")]
    times = re.findall(r"\d{4}-\d\d-\d\d[ T][\d:]+(?:\+09:00)?", last_jobs)
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", time) for time in times)
    assert "deliver=ok " in last_jobs
    started = kchat.json("status")["last_jobs"]["deliver"]["started_at"]
    assert started.endswith("+09:00") and "T" in started, "JSON keeps ISO 8601"


def test_no_colour_when_piped(kchat, busy):
    for args in (("rooms", "list"), ("jobs", "history"), ("rooms", "show", busy, "--peek")):
        assert ANSI not in kchat(*args).stdout


def test_colour_marks_status_and_unread_on_a_terminal():
    rooms = [
        {"id": 1, "status": "unread", "unread": 3},
        {"id": 2, "status": "answered", "unread": 0},
    ]
    table = [
        Column("ID", field("id")),
        Column("STATUS", field("status"), style=status_style),
        Column("UNREAD", field("unread"), style=lambda text: "bold" if text != "0" else None),
    ]

    def shown(colour: bool) -> str:
        out = StringIO()
        screen = Screen(width=80, colour=colour)
        emit(rooms, Format.table, fields=tuple(rooms[0]), table=table, stream=out, screen=screen)
        return out.getvalue()

    coloured = shown(True)
    assert "\x1b[1;31munread\x1b[0m" in coloured and "\x1b[32manswered\x1b[0m" in coloured
    assert "\x1b[1m3\x1b[0m" in coloured
    assert ANSI not in shown(False)
    lines = [re.sub(r"\x1b\[[\d;]*m", "", line) for line in coloured.splitlines()]
    assert lines == shown(False).splitlines(), "colour changes no column"


def env_of(kchat, **more) -> dict:
    return {
        **{key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "PAGER")},
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_ADMIN": "alice",
        "COLUMNS": "80",
        "LINES": "24",
        "TERM": "xterm",
        **more,
    }


def on_a_terminal(kchat, *args, **env) -> str:
    """Run kchat with stdout on a terminal (a pty); return what it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", *map(str, args)],
        env=env_of(kchat, **env),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
    )
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
    assert process.wait(timeout=60) == 0, process.stderr.read()
    return shown.decode(errors="replace")


def test_colour_on_a_terminal_unless_no_color(kchat, busy):
    assert "\x1b[1;31munread" in on_a_terminal(kchat, "rooms", "list")
    assert ANSI not in on_a_terminal(kchat, "rooms", "list", NO_COLOR="")
    assert ANSI not in on_a_terminal(kchat, "jobs", "history", NO_COLOR="1")


@pytest.fixture
def long_room(kchat, ev):
    kchat.ingest(*(ev.says("u1", f"2026-11-20 10:{n:02d}", text=f"질문 {n}") for n in range(40)))
    return room_of(kchat, "u1")["id"]


@pytest.fixture
def pager(tmp_path):
    """A pager that keeps what it was given in a file."""
    script = tmp_path / "pager.sh"
    script.write_text(f"#!/bin/sh\ncat > {tmp_path / 'paged.txt'}\n")
    script.chmod(0o755)
    return script, tmp_path / "paged.txt"


def test_a_long_history_goes_through_the_pager_on_a_terminal(kchat, long_room, pager):
    script, paged = pager
    shown = on_a_terminal(kchat, "rooms", "show", long_room, "--peek", PAGER=str(script))
    text = paged.read_text("utf-8")
    assert all(f"질문 {n}" in text for n in range(40)), "the whole history, through the pager"
    assert "질문 0" not in shown, "nothing printed past the pager"
    short = on_a_terminal(kchat, "rooms", "show", long_room, "--limit", "3", PAGER="false")
    assert "질문 2" in short, "a history that fits the screen is printed as it is"


def test_no_pager_when_piped_or_for_json(kchat, long_room, pager):
    script, paged = pager
    env = env_of(kchat, PAGER=str(script))
    for args in ((), ("-o", "json")):
        done = subprocess.run(
            [sys.executable, "-m", "kchat_cli", "rooms", "show", str(long_room), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "질문 39" in done.stdout and not paged.exists()
    assert json.loads(done.stdout)["id"] == long_room


def test_light_commands_and_plain_tables_do_not_import_rich(kchat, busy):
    probe = (
        "import sys\n"
        "from kchat_cli.app import main\n"
        "sys.argv = ['kchat', *sys.argv[1:]]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)\n"
    )
    for args in (("unread",), ("rooms", "list")):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            env=env_of(kchat),
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout and done.stderr.splitlines()[-1] == "False", (args, done.stderr)


# Message tags


def test_message_tags_have_no_stray_space_and_say_a_coupon_once():
    def message(kind, text, file=None):
        return {"kind": kind, "text": text, "file": file}

    assert message_body(message("text", "안녕하세요")) == "안녕하세요"
    assert message_body(message("notice", "지금은 상담시간이 아닙니다")) == (
        "[notice] 지금은 상담시간이 아닙니다"
    )
    assert message_body(message("coupon", "[쿠폰] 겨울 할인 · 10% 할인 · 2099-12-31까지")) == (
        "[coupon] 겨울 할인 · 10% 할인 · 2099-12-31까지"
    )
    assert message_body(message("image", None, RECEIPT)) == "[image 영수증.png]"
    assert message_body(message("add_request", None)) == "[add_request]"


def test_rooms_show_tags_a_coupon_once(kchat, ev, two_rooms_asking):
    u1, _ = two_rooms_asking
    kchat.ingest(ev.friend("u1", "2026-11-20 10:05"))
    coupon = kchat(
        "coupons", "create", "겨울 할인", "--benefit", "10% 할인", "--valid-until", "2099-12-31"
    ).stdout.strip()
    kchat("send", u1, "--coupon", coupon)
    shown = kchat("rooms", "show", u1).stdout
    assert "[coupon] 겨울 할인 · 10% 할인" in shown
    assert "[쿠폰]" not in shown and "[coupon ]" not in shown
