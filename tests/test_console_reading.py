"""R-READ-1 and R-UNR-2 in the console: it reads what was displayed, in the order shown, and
only while someone can see it; one audit entry per opening of a room; a burst of changes by
others is drawn once, and the queue then equals `rooms list`."""

import json
import os
import re
import subprocess
import sys
import time

from conftest import room_of
from consoles import a_store, console_of, drive, screen_text, settle, status_of, type_and_enter
from textual import events

from kchat_cli.console.app import PRESENCE


async def until_on_screen(pilot, text: str, within: float = 10.0) -> None:
    """Until another process's change is on the screen (the console polls the store)."""
    deadline = time.monotonic() + within
    while text not in screen_text(pilot.app):
        assert time.monotonic() < deadline, f"{text!r} not on screen"
        await pilot.pause(0.05)
    await settle(pilot)


def views_of(kchat, room: int) -> int:
    lines = kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    entries = [json.loads(line) for line in lines]
    return sum(
        entry["action"] == "rooms.show" and entry["target"] == f"room {room}" for entry in entries
    )


def test_r_read_1_an_arriving_message_is_read_only_while_the_terminal_has_focus(kchat, ev):
    a_store(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        app.post_message(events.AppBlur())
        await settle(pilot)
        kchat.ingest(ev.says("u1", "2026-11-20 12:00", text="아무도 안 보나요?"))
        await until_on_screen(pilot, "아무도 안 보나요?")
        assert room_of(kchat, "u1")["unread"] == 1, "shown, but nobody could see it"
        app.post_message(events.AppFocus())
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0, "read once the terminal has focus again"

    drive(app, scenario)


def test_r_read_1_without_focus_reports_it_reads_only_within_a_minute_of_a_key(kchat, ev):
    a_store(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        app.last_key = time.monotonic() - PRESENCE - 1  # nobody has typed for a minute
        kchat.ingest(ev.says("u1", "2026-11-20 12:00", text="계세요?"))
        await until_on_screen(pilot, "계세요?")
        assert room_of(kchat, "u1")["unread"] == 1
        await pilot.press("end")  # the admin is back
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0

    drive(app, scenario)


def test_one_audit_entry_per_opening_of_a_room_not_per_refresh(kchat, ev):
    a_store(kchat, ev)
    u1 = room_of(kchat, "u1")["id"]
    app = console_of(kchat, u1)

    async def scenario(pilot):
        for number in range(3):
            kchat.ingest(ev.says("u1", f"2026-11-20 12:0{number}", text=f"추가 질문 {number}"))
            await until_on_screen(pilot, f"추가 질문 {number}")
        assert room_of(kchat, "u1")["unread"] == 0, "the admin at the keyboard read them"
        assert views_of(kchat, u1) == 1

    drive(app, scenario)
    app = console_of(kchat, u1)
    drive(app, lambda pilot: settle(pilot))
    assert views_of(kchat, u1) == 2, "opened again: audited again"


def test_r_read_1_the_console_reads_only_what_has_been_on_the_screen(kchat, ev):
    """120 new messages, of which the screen shows a dozen: those are read, and each PgDn
    reads what it brings on the screen."""
    kchat.ingest(
        *(
            ev.says("u1", f"2026-11-20 09:{minute:02}", text=f"질문 {minute}")
            for minute in range(60)
        ),
        *(ev.says("u1", f"2026-11-20 10:{minute:02}", text=f"더 {minute}") for minute in range(60)),
    )
    app = console_of(kchat)

    async def scenario(pilot):
        first = room_of(kchat, "u1")["unread"]
        assert 100 < first < 120, "only the messages on the screen are read"
        await pilot.press("pagedown")
        await settle(pilot)
        second = room_of(kchat, "u1")["unread"]
        assert 0 < first - second <= 20, "a page more"
        for _ in range(30):
            await pilot.press("pagedown")
            await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0
        assert "더 59" in screen_text(app)

    drive(app, scenario)


def test_r_read_1_what_arrives_below_the_screen_or_behind_a_list_waits_to_be_seen(kchat, ev):
    kchat.ingest(*(ev.says("u1", f"2026-11-20 09:{n:02}", text=f"질문 {n}") for n in range(40)))
    app = console_of(kchat)

    async def scenario(pilot):
        for _ in range(10):
            await pilot.press("pagedown")
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0
        await pilot.press("pageup")  # the admin reads above
        await settle(pilot)
        kchat.ingest(ev.says("u1", "2026-11-20 10:00", text="아래에 온 질문"))
        await until_drawn(pilot, app, "아래에 온 질문")
        assert room_of(kchat, "u1")["unread"] == 1, "below the screen: not read"
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0
        await type_and_enter(pilot, "/help")
        kchat.ingest(ev.says("u1", "2026-11-20 10:01", text="도움말 뒤에 온 질문"))
        await until_drawn(pilot, app, "도움말 뒤에 온 질문")
        assert room_of(kchat, "u1")["unread"] == 1, "behind the help: not read"
        await pilot.press("escape")
        await settle(pilot)
        assert room_of(kchat, "u1")["unread"] == 0

    drive(app, scenario)


async def until_drawn(pilot, app, text: str, within: float = 10.0) -> None:
    """Until the open room holds `text` (on the screen or not)."""
    deadline = time.monotonic() + within
    while text not in [message["text"] for message in app.view.messages]:
        assert time.monotonic() < deadline, f"{text!r} never arrived"
        await pilot.pause(0.05)
    await settle(pilot)


def test_a_burst_of_events_is_drawn_in_a_few_redraws_and_the_queue_equals_rooms_list(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)
    burst = [
        ev.says(f"burst-{number % 100}", "2026-11-20 12:00", text=f"문의 {number}")
        for number in range(300)
    ]
    env = {**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)}
    drawn = []  # the new messages each redraw drew

    async def scenario(pilot):
        draw = app.draw_changes
        app.draw_changes = lambda: (drawn.append(app.arrivals.messages), draw())
        subprocess.run(
            [sys.executable, "-m", "kchat_cli", "ingest", "-"],
            input="".join(json.dumps(event, ensure_ascii=False) + "\n" for event in burst),
            text=True,
            env=env,
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while sum(drawn) < 300:
            assert time.monotonic() < deadline, f"the burst is not drawn: {drawn}"
            await pilot.pause(0.05)
        await settle(pilot)
        listed = kchat.json("rooms", "list", "--sort", "waiting", "--limit", "200")
        assert [room["id"] for room in app.rooms] == [room["id"] for room in listed]
        assert [room["unread"] for room in app.rooms] == [room["unread"] for room in listed]
        assert len([count for count in drawn if count]) <= 3, f"redraws: {drawn}"
        assert re.fullmatch(r"[0-9]+ new messages in [0-9]+ rooms", status_of(app))

    drive(app, scenario)
