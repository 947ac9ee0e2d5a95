"""`kchat chat`, driven headless with Textual's pilot: the same rules and audit as the
commands, errors in the status line, other processes' changes on screen."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import room_of
from consoles import a_store, console_of, drive, screen_text, settle, status_of, type_and_enter
from textual._xterm_parser import XTermParser

from kchat_cli.console import keys

QUEUE_USAGE = "/queue unread|unanswered|all|starred|mine|label NAME"
SNAPSHOT = Path(__file__).parent / "snapshots" / "console_80x24.txt"


def test_it_opens_the_longest_waiting_room_and_a_reply_answers_it(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        assert app.room == room_of(kchat, "u1")["id"], "the longest-waiting room"
        await type_and_enter(pilot, "내일 도착합니다.")
        assert "queued message" in status_of(app)
        assert "no scheduler runs" in status_of(app)

    drive(app, scenario)
    assert [item["text"] for item in kchat.json("outbox", "list")] == ["내일 도착합니다."]
    assert room_of(kchat, "u1")["status"] == "answered"
    assert room_of(kchat, "u2")["status"] == "unread", "only what was on screen was read"


def test_slash_commands_do_what_the_commands_do(kchat, ev):
    a_store(kchat, ev)
    u1, u2 = room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        composer.text = "/reply 배"
        await pilot.press("tab")
        assert composer.text == "/reply 배송안내", "Tab completes a saved reply's name"
        await pilot.press("enter")
        await pilot.pause()
        await type_and_enter(pilot, "/label +VIP")
        await type_and_enter(pilot, "/assign me")
        await type_and_enter(pilot, "/complete")
        assert "completed" in status_of(app)
        await type_and_enter(pilot, "/next")
        assert app.room == u2

    drive(app, scenario)
    room = room_of(kchat, "u1")
    assert (room["status"], room["labels"], room["assignee"]) == ("completed", ["VIP"], "alice")
    assert [item["text"] for item in kchat.json("outbox", "list")] == [
        "오늘 출고되어 내일 도착합니다."
    ]
    lines = kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    audit = [json.loads(line)["action"] for line in lines]
    for action in ("send", "rooms.label", "rooms.assign", "rooms.complete", "rooms.show"):
        assert action in audit


def test_an_error_shows_in_the_status_line_and_the_console_goes_on(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, "/label +없는라벨")
        assert "error: no label '없는라벨'" in status_of(app)
        await type_and_enter(pilot, "/nonsense")
        assert "no command /nonsense" in status_of(app)
        await type_and_enter(pilot, "여전히 동작합니다")
        assert "queued message" in status_of(app)
        assert app.is_running

    drive(app, scenario)


def test_alt_enter_makes_a_new_line_and_enter_sends_both(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        composer.text = "첫 줄"
        composer.move_cursor(composer.document.end)
        await pilot.press("alt+enter")
        composer.insert("둘째 줄")
        await pilot.press("enter")
        await pilot.pause()

    drive(app, scenario)
    assert [item["text"] for item in kchat.json("outbox", "list")] == ["첫 줄\n둘째 줄"]


def test_customer_text_is_shown_escaped(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 09:00", text="\x1b[2J\x1b]0;owned\x07가짜 공지"))
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.pause()
        text = screen_text(app)
        assert "\\x1b[2J" in text and "가짜 공지" in text
        assert "\x1b" not in text

    drive(app, scenario, size=(160, 30))


def test_help_lists_the_slash_commands_where_the_conversation_was_and_next_says_so(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.pause()
        await type_and_enter(pilot, "/help")
        text = screen_text(app)
        await pilot.press("pagedown")
        await settle(pilot)
        text += screen_text(app)
        for command in ("/reply NAME", "/label +L -L", "/queue MODE", "/verify CODE", "/quit"):
            assert command in text, f"{command} on screen at 80x24, a PgDn at most"
        opened = app.room
        await type_and_enter(pilot, "/next")
        assert app.room != opened
        assert status_of(app) == f"room {app.room}: the next in the queue"

    drive(app, scenario)


def test_chat_without_a_terminal_says_it_needs_one(kchat, ev):
    a_store(kchat, ev)
    refused = kchat("chat", input="", code=2)
    assert refused.stderr == (
        "error: kchat chat needs a terminal; in scripts: rooms list, rooms show, send\n"
    )


@pytest.mark.slow
def test_another_process_s_message_appears_on_screen(kchat, ev):
    a_store(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    app = console_of(kchat, u1)
    event = ev.says("u1", "2026-11-20 12:00", text="지금 보내는 질문")
    env = {**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)}

    async def scenario(pilot):
        subprocess.run(
            [sys.executable, "-m", "kchat_cli", "ingest", "-"],
            input=json.dumps(event, ensure_ascii=False) + "\n",
            text=True,
            env=env,
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 30  # how fast: scripts/bench's console rows
        while "지금 보내는 질문" not in screen_text(app):
            assert time.monotonic() < deadline, "never on screen"
            await pilot.pause(0.02)

    drive(app, scenario)


def test_the_default_screen_at_80_by_24(kchat, ev):
    """The screen an admin sees first, Korean names and all (a text snapshot)."""
    a_store(kchat, ev)
    kchat("rooms", "label", room_of(kchat, "u2")["id"], "--add", "VIP")
    kchat("rooms", "star", room_of(kchat, "u3")["id"])
    app = console_of(kchat)
    shown = {}

    async def scenario(pilot):
        await settle(pilot)
        shown["text"] = screen_text(app)

    drive(app, scenario)
    lines = shown["text"].splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert shown["text"] == SNAPSHOT.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("sequence", "key"),
    [
        ("\x1b\r", "alt+enter"),  # Alt-Enter as terminals send it
        ("\x1b\n", "alt+enter"),
        ("\x1b[13;2u", "shift+enter"),  # kitty's protocol, tmux with extended-keys
        ("\x1b[13;3u", "alt+enter"),
        ("\n", "ctrl+j"),
    ],
)
def test_keys_people_try_for_a_new_line_are_read_as_such_never_as_enter(sequence, key):
    keys.read_alt_keys()
    parser = XTermParser()
    (event,) = [*parser.feed(sequence), *parser.feed("")]
    assert event.key == key
    assert keys.starts_a_line(event)


def test_xterm_s_modified_enter_starts_a_line():
    keys.read_alt_keys()
    for sequence in ("\x1b[27;2;13~", "\x1b[27;3;13~", "\x1b[27;5;13~"):
        parser = XTermParser()
        (event,) = [*parser.feed(sequence), *parser.feed("")]
        assert event.key != "enter" and keys.starts_a_line(event), sequence


def test_shift_enter_and_ctrl_j_start_a_line_and_send_nothing(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        composer.text = "첫 줄"
        composer.move_cursor(composer.document.end)
        await pilot.press("shift+enter", "ctrl+j", "alt+enter")
        await settle(pilot)
        assert composer.text == "첫 줄\n\n\n"

    drive(app, scenario)
    assert kchat.json("outbox", "list") == []


def test_queue_keys_work_while_typing_and_the_cursor_stays_with_the_waiting(kchat, ev):
    a_store(kchat, ev)
    u1, u2 = room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]
    kchat("rooms", "assign", u2, "--to", "alice")
    app = console_of(kchat, u1)

    async def scenario(pilot):
        table = app.query_one("#queue")
        assert (app.rooms[0]["id"], table.cursor_row) == (u1, 0)
        await type_and_enter(pilot, "곧 도착합니다")
        assert app.rooms[-1]["id"] == u1, "answered: no longer waiting"
        assert table.cursor_row == 0 and app.rooms[0]["id"] == u2, "the cursor stays on top"
        app.query_one("#composer").text = "입력 중"
        await pilot.press("f6")
        await settle(pilot)
        assert [room["id"] for room in app.rooms] == [u2], "F6: mine, while the input has focus"
        assert app.query_one("#composer").text == "입력 중"

    drive(app, scenario)


def test_reply_tab_lists_the_saved_replies_when_several_match(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        composer.text = "/reply "
        await pilot.press("tab")
        await settle(pilot)
        assert status_of(app) == "replies: 교환안내, 배송안내"
        assert composer.text == "/reply "

    drive(app, scenario)


def test_ctrl_k_finds_a_room_by_a_loose_name_and_alt_a_the_most_urgent(kchat, ev):
    a_store(kchat, ev)
    u1, u2, u3 = (room_of(kchat, user)["id"] for user in ("u1", "u2", "u3"))
    app = console_of(kchat, u3)

    async def scenario(pilot):
        await pilot.press("ctrl+k", *"이다", "enter")  # 이바다: its letters in order
        await settle(pilot)
        assert app.room == u2
        await pilot.press("ctrl+k", *str(u1), "enter")
        await settle(pilot)
        assert app.room == u1
        await pilot.press("ctrl+k", "escape")
        await settle(pilot)
        assert app.room == u1
        await pilot.press("alt+a")  # u1, u2 and u3 were read: nothing waits unread
        await settle(pilot)
        assert status_of(app) == "no other room has unread messages"
        kchat.ingest(ev.says("u3", "2026-11-20 12:00", text="다시 문의"))
        await pilot.press("alt+a")
        await settle(pilot)
        assert app.room == u3

    drive(app, scenario)


def test_search_within_the_open_room_and_escape_back_to_it(kchat, ev):
    a_store(kchat, ev)
    kchat.ingest(ev.says("u2", "2026-11-20 10:05", text="교환은 언제 되나요?"))
    u2 = room_of(kchat, "u2")["id"]
    app = console_of(kchat, u2)

    async def scenario(pilot):
        await type_and_enter(pilot, "/search 교환")
        text = screen_text(app)
        assert "교환 가능한가요?" in text and "교환은 언제 되나요?" in text
        assert status_of(app).startswith("search '교환' in room")
        await pilot.press("escape")
        await settle(pilot)
        assert "── 2026-11-20 ──" in screen_text(app)

    drive(app, scenario)


def test_pgup_at_the_top_shows_older_messages(kchat, ev):
    kchat.ingest(
        *(
            ev.says("u1", f"2026-11-20 {9 + n // 60:02}:{n % 60:02}", text=f"m{n}")
            for n in range(150)
        )
    )
    kchat("rooms", "read", room_of(kchat, "u1")["id"])
    app = console_of(kchat)

    async def scenario(pilot):
        assert (len(app.view.messages), app.view.older) == (100, 50)
        for _ in range(40):
            await pilot.press("pageup")
        await settle(pilot)
        assert (len(app.view.messages), app.view.older) == (150, 0)
        assert "m0" in screen_text(app)

    drive(app, scenario)


def test_star_and_unstar_act_on_the_open_room_whatever_the_queue_lists(kchat, ev):
    a_store(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        await pilot.press("f5")  # starred: the open room is not in it
        await settle(pilot)
        await type_and_enter(pilot, "/star")
        assert status_of(app) == f"room {u1}: starred"
        assert room_of(kchat, "u1")["starred"]
        await type_and_enter(pilot, "/unstar")
        assert status_of(app) == f"room {u1}: unstarred"
        assert not room_of(kchat, "u1")["starred"]
        await type_and_enter(pilot, "/unstar")
        assert status_of(app) == f"room {u1}: unstarred (no change)"

    drive(app, scenario)


def test_the_queue_says_how_many_rooms_it_holds_and_the_way_to_the_rest(kchat, ev):
    kchat.ingest(*(ev.says(f"u{n}", "2026-11-20 09:00") for n in range(205)))
    app = console_of(kchat)

    async def scenario(pilot):
        assert "in-progress · showing 200 of 205 · Ctrl-K finds any" in screen_text(app)
        await pilot.press("f3")
        await settle(pilot)
        assert "unanswered · 1 room" in screen_text(app)

    drive(app, scenario, size=(120, 30))


def test_a_customer_s_wide_long_name_never_pushes_a_status_out_of_sight(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00", nickname="가" * 255),
        ev.says("u2", "2026-11-20 09:01", nickname="🙂" * 200),
        ev.says("u3", "2026-11-20 09:02", nickname="김하늘"),
    )
    app = console_of(kchat)

    async def scenario(pilot):
        queue = [line.split("│")[0] for line in screen_text(app).splitlines()]
        rows = [line for line in queue if re.match(r"\s+\d+\s", line)]
        assert len(rows) == 3
        assert all(re.search(r"(unread 1|waiting)\s*$", row) for row in rows), rows
        assert [row.count("…") for row in rows] == [1, 1, 0], "long names cut, with …"

    drive(app, scenario)


def test_the_memo_shows_its_lines(kchat, ev):
    a_store(kchat, ev)
    kchat("rooms", "memo", room_of(kchat, "u1")["id"], "환불 완료\n재구매 의사 있음")
    app = console_of(kchat)

    async def scenario(pilot):
        text = screen_text(app)
        assert "memo: 환불 완료" in text and "      재구매 의사 있음" in text
        assert "↵" not in text

    drive(app, scenario)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            '/queue label "VIP',
            f"error: usage: {QUEUE_USAGE}; a quote is not closed",
        ),
        ("/queue nowhere", f"error: usage: {QUEUE_USAGE}"),
        ("/label VIP", "error: usage: /label +LABEL -LABEL …"),
        ("/label +'VIP", "error: usage: /label +LABEL -LABEL …; a quote is not closed"),
        ("/complete now", "error: usage: /complete"),
        (
            "/coupon ten",
            "error: usage: /coupon ID; the coupon's number, as /coupon alone lists them",
        ),
        ("/send-code fax", "error: usage: /send-code [sms]; by KakaoTalk, or by SMS with sms"),
        ("/verify 12", "error: a code is six digits; copy it from the message you received"),
        ("/image", "error: usage: /image PATH"),
        ("/nonsense", "error: no command /nonsense; /help lists them"),
    ],
)
def test_every_bad_slash_argument_is_one_error_line(kchat, ev, typed, said):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, typed)
        assert status_of(app) == said
        assert app.query_one("#composer").text == typed, "what was typed stays to be fixed"

    drive(app, scenario)


def test_console_errors_name_what_to_do_in_the_console(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, "/label +없는라벨")
        assert status_of(app) == "error: no label '없는라벨'; /label alone lists them"
        await type_and_enter(pilot, "/label")
        assert "VIP (0 rooms)" in screen_text(app)
        await type_and_enter(pilot, "/assign nobody")
        assert (
            status_of(app) == "error: no admin 'nobody' in this channel; /assign alone lists them"
        )

    drive(app, scenario)


def test_what_is_typed_stays_with_its_room(kchat, ev):
    a_store(kchat, ev)
    u1, u2 = room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        composer.text = "u1에게 쓰던 답장"
        await pilot.press("ctrl+k", *str(u2), "enter")
        await settle(pilot)
        assert (app.room, composer.text) == (u2, "")
        await pilot.press("ctrl+k", *str(u1), "enter")
        await settle(pilot)
        assert (app.room, composer.text) == (u1, "u1에게 쓰던 답장")

    drive(app, scenario)
    assert kchat.json("outbox", "list") == []


def test_ctrl_k_opens_the_room_whose_id_was_typed_first(kchat, ev):
    kchat.ingest(*(ev.says(f"user-{n}1", "2026-11-20 09:00") for n in range(12)))
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.press("ctrl+k", "1", "enter")
        await settle(pilot)
        assert app.room == 1
        await pilot.press("ctrl+k", "1", "1")
        await settle(pilot)
        await pilot.press("ctrl+n")  # behind the dialog: the queue keys wait
        await pilot.press("enter")
        await settle(pilot)
        assert app.room == 11

    drive(app, scenario)


def test_typing_in_the_queue_goes_to_the_input_and_escape_goes_back(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.press("ctrl+o")
        assert app.focused is app.query_one("#queue")
        await pilot.press("안", "녕")
        assert app.focused is app.query_one("#composer")
        assert app.query_one("#composer").text == "안녕"
        await pilot.press("ctrl+o", "escape")
        assert app.focused is app.query_one("#composer")

    drive(app, scenario)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [(" /complete", None), ("//슬래시로 시작하는 답장", "/슬래시로 시작하는 답장")],
)
def test_a_slash_first_is_a_command_and_two_send_one(kchat, ev, typed, sent):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, typed)

    drive(app, scenario)
    texts = [item["text"] for item in kchat.json("outbox", "list")]
    assert texts == ([sent] if sent else [])
    if sent is None:
        assert room_of(kchat, "u1")["status"] == "completed"


def test_a_command_on_the_last_line_runs_and_the_draft_above_it_stays(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, "쓰던 답장\n/label")
        assert "VIP (0 rooms)" in screen_text(app)
        assert app.query_one("#composer").text == "쓰던 답장"
        await type_and_enter(pilot, "/memo\n첫 줄\n둘째 줄")
        assert status_of(app) == f"memo of room {app.room} saved"

    drive(app, scenario)
    assert room_of(kchat, "u1")["memo"] == "첫 줄\n둘째 줄"


def test_a_message_s_lines_and_a_long_name_in_the_room_s_head(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 09:00", text="첫 줄\n둘째 줄", nickname="가" * 255))
    app = console_of(kchat)

    async def scenario(pilot):
        text = screen_text(app)
        assert "고객: 첫 줄" in text and "      둘째 줄" in text and "↵" not in text
        head = text.splitlines()[0] + text.splitlines()[1]
        assert "…" in head and "unanswered" in head, "the status shows whatever the name"

    drive(app, scenario)


def test_console_hints_name_the_console_s_way_not_a_command_s_option(kchat, ev, tmp_path):
    a_store(kchat, ev)
    document = tmp_path / "안내문.txt"
    document.write_text("안내", encoding="utf-8")
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, f"/image {document}")
        assert "send it with /file PATH instead" in status_of(app)
        assert "--" not in status_of(app)

    drive(app, scenario)


def test_quitting_keeps_the_drafts_to_say_them_after(kchat, ev):
    a_store(kchat, ev)
    u1, u2 = room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        app.query_one("#composer").text = "u1에게 쓰던 답장"
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.query_one("#composer").text = "u2에게 쓰던 답장"
        await pilot.press("ctrl+c")

    drive(app, scenario)
    assert app.drafts == {u1: "u1에게 쓰던 답장", u2: "u2에게 쓰던 답장"}


@pytest.mark.parametrize("width", [100, 60, 80])
def test_the_queue_keeps_every_status_after_a_resize(kchat, ev, width):
    kchat.ingest(*(ev.says(f"u{n}", "2026-11-20 09:00", nickname="가" * 40) for n in range(3)))
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.resize_terminal(width, 24)
        await settle(pilot)
        queue = [line.split("│")[0] for line in screen_text(app).splitlines()]
        rows = [line for line in queue if re.match(r"\s+\d+\s", line)]
        assert len(rows) == 3
        assert all(re.search(r"(unread 1|waiting)\s*$", row) for row in rows), rows

    drive(app, scenario)


def test_ctrl_k_finds_a_user_key_exactly_among_many_alike(kchat, ev):
    kchat.ingest(ev.says("x-1", "2026-11-01 09:00"))  # the oldest: last of a newest-first list
    kchat.ingest(*(ev.says(f"x-1{n}", "2026-11-20 09:00") for n in range(120)))
    wanted = room_of(kchat, "x-1")["id"]
    app = console_of(kchat)

    async def scenario(pilot):
        await pilot.press("ctrl+k", *"x-1")
        await settle(pilot)
        await pilot.pause(0.5)  # the switcher looks once typing pauses
        await pilot.press("enter")
        await settle(pilot)
        assert app.room == wanted

    drive(app, scenario)


def test_the_end_stays_in_view_when_the_status_line_grows(kchat, ev):
    """A two-line status (no scheduler) makes the conversation shorter: what arrives next is
    still shown, and read."""
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        await type_and_enter(pilot, "확인해 보겠습니다")
        assert "no scheduler runs" in status_of(app)
        kchat.ingest(ev.says("u1", "2026-11-20 12:00", text="답을 기다려요"))
        deadline = time.monotonic() + 10
        while "답을 기다려요" not in screen_text(app):
            assert time.monotonic() < deadline, "the new message is not on the screen"
            await pilot.pause(0.05)
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0

    drive(app, scenario)


def test_a_crlf_in_a_message_is_a_line_break(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 09:00", text="줄1\r\n줄2"))
    app = console_of(kchat)

    async def scenario(pilot):
        text = screen_text(app)
        assert "고객: 줄1" in text and "      줄2" in text and "\\r" not in text

    drive(app, scenario)
