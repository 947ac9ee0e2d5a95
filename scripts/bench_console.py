"""One `kchat chat` console in a process of its own, for the bench's burst rows.

An admin's console is a process of its own, so the bench runs each console it measures in
one, as `kchat chat` would: the same app, at 80×24, headless. It takes requests on stdin, a
line each, and answers each with a JSON line on stdout:

    (at start)      {"room": ID, "open_user": KEY}    the console is open on a room
    key F2|F4       {"seconds": S}                    the key until its queue is in the table
    shown TEXT      {"at": MONOTONIC}                 the open room shows a message TEXT
    rooms           {"rooms": [[ID, UNREAD], ...]}    the queue, after 2 s of quiet

Times are `time.monotonic()`, which is the machine's, the same in every process.
Usage: bench_console.py STORE_URL  (KCHAT_HOME from the environment; the admin `owner`).
"""

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from textual import events

from kchat_cli.console.app import ChatConsole
from kchat_cli.runtime import Runtime

PATIENCE = 60  # seconds before a request is given up, and the bench stopped
MODES = {"f2": "unread", "f4": "in-progress"}


async def main(url: str) -> None:
    home = Path(os.environ["KCHAT_HOME"])
    rt = Runtime(db=url, folder=home, channel_name=None, admin_login="owner")
    rt.command = "chat"
    app = ChatConsole(rt)
    async with app.run_test(size=(80, 24)):
        await _until(lambda: app.view is not None, "the console did not open")
        answer({"room": app.view.id, "open_user": app.view.record["user"]})
        loop = asyncio.get_running_loop()
        while request := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            verb, _, argument = request.partition(" ")
            answer(await REQUESTS[verb](app, argument))


async def queue_key(app: ChatConsole, key: str) -> dict:
    """As the terminal's key arrives; looked at without a forced refresh of the screen,
    which a terminal's key never causes."""
    started = time.monotonic()
    app.post_message(events.Key(key, None))
    await _until(lambda: app.queue.mode == MODES[key], f"{key} never took effect")
    return {"seconds": time.monotonic() - started}


async def shown(app: ChatConsole, text: str) -> dict:
    await _until(
        lambda: text in [message["text"] for message in app.view.messages],
        "the last event never reached the console",
    )
    return {"at": time.monotonic()}


async def settled_rooms(app: ChatConsole, _argument: str) -> dict:
    await asyncio.sleep(2)  # the console draws what came last
    return {"rooms": [[room["id"], room["unread"]] for room in app.rooms]}


REQUESTS = {"key": queue_key, "shown": shown, "rooms": settled_rooms}


async def _until(condition, failure: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"console: {failure}")
        await asyncio.sleep(0.001)


def answer(what: dict) -> None:
    print(json.dumps(what), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
