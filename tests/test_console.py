"""`kchat chat`, driven headless with Textual's pilot: the same rules and audit as the
commands, errors in the status line, other processes' changes on screen within a second."""

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import room_of
from rich.console import Console

from kchat_cli.console import ChatConsole
from kchat_cli.runtime import Runtime

SNAPSHOT = Path(__file__).parent / "snapshots" / "console_80x24.txt"


def console_of(kchat, room: int | None = None) -> ChatConsole:
    rt = Runtime(db=kchat.url, folder=kchat.home, channel_name=None, admin_login="alice")
    rt.command = "chat"
    return ChatConsole(rt, room)


def drive(app: ChatConsole, scenario, size=(80, 24)) -> None:
    async def run():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(run())


def screen_text(app: ChatConsole) -> str:
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, color_system=None
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def status_of(app: ChatConsole) -> str:
    return str(app.query_one("#status").render())


async def type_and_enter(pilot, text: str) -> None:
    composer = pilot.app.query_one("#composer")
    composer.text = text
    await pilot.press("enter")
    await pilot.pause()


def a_store(kchat, ev) -> None:
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00", text="배송 언제 되나요?", nickname="김하늘"),
        ev.says("u2", "2026-11-20 10:00", text="교환 가능한가요?", nickname="이바다"),
        ev.says("u3", "2026-11-20 11:00", text="쿠폰이 안 돼요", nickname="박서연"),
    )
    kchat("labels", "create", "VIP")
    kchat("replies", "create", "배송안내", "오늘 출고되어 내일 도착합니다.")
    kchat("replies", "create", "교환안내", "수령 후 7일 안에 교환됩니다.")


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
        for command in ("/reply NAME", "/label +L -L", "/queue MODE", "/quit"):
            assert command in text, f"{command} on screen at 80x24"
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
def test_another_process_s_message_appears_within_a_second(kchat, ev):
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
        ingested = time.monotonic()
        while "지금 보내는 질문" not in screen_text(app):
            assert time.monotonic() - ingested < 1.0, "not on screen within a second"
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
        await pilot.pause()
        shown["text"] = screen_text(app)

    drive(app, scenario)
    lines = shown["text"].splitlines()
    assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
    assert shown["text"] == SNAPSHOT.read_text(encoding="utf-8")
