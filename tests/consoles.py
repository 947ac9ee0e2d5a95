"""Driving `kchat chat` headless with Textual's pilot, for the console's tests."""

import asyncio
import io
import time

from rich.console import Console

from kchat_cli.console.app import ChatConsole
from kchat_cli.runtime import Runtime


def console_of(kchat, room: int | None = None, *, login: str = "alice") -> ChatConsole:
    rt = Runtime(db=kchat.url, folder=kchat.home, channel_name=None, admin_login=login)
    rt.command = "chat"
    return ChatConsole(rt, room)


def drive(app: ChatConsole, scenario, size=(80, 24)) -> None:
    async def run():
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)
            await settle(pilot)

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


async def settle(pilot, within: float = 10.0) -> None:
    """Until the console's writes are answered and the changes it heard are drawn."""
    app = pilot.app
    deadline = time.monotonic() + within
    await pilot.pause()
    while app.writer.pending or app.refresh_timer is not None or app.drawing:
        assert time.monotonic() < deadline, "the console did not settle"
        await pilot.pause(0.01)
    await pilot.pause()


async def type_and_enter(pilot, text: str) -> None:
    composer = pilot.app.query_one("#composer")
    composer.text = text
    await pilot.press("enter")
    await settle(pilot)


def a_store(kchat, ev) -> None:
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00", text="배송 언제 되나요?", nickname="김하늘"),
        ev.says("u2", "2026-11-20 10:00", text="교환 가능한가요?", nickname="이바다"),
        ev.says("u3", "2026-11-20 11:00", text="쿠폰이 안 돼요", nickname="박서연"),
    )
    kchat("labels", "create", "VIP")
    kchat("replies", "create", "배송안내", "오늘 출고되어 내일 도착합니다.")
    kchat("replies", "create", "교환안내", "수령 후 7일 안에 교환됩니다.")
