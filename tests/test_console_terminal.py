"""`kchat chat` in a real terminal: tmux at 80×24, keys sent as a terminal sends them (Alt-Enter
is ESC CR), the screen read back. What the pilot tests cannot show: the terminal's own bytes,
the screen restored after a failure, and the exit code."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest
from conftest import room_of, verify
from consoles import a_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Terminal:
    """A shell in a tmux window of its own (its own server, so nothing else is touched)."""

    def __init__(self, kchat, size=(80, 24)):
        self.socket = f"kchat-test-{uuid.uuid4().hex[:8]}"
        env = {
            "KCHAT_DB": kchat.url,
            "KCHAT_HOME": str(kchat.home),
            "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
            "PS1": "$ ",
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
        }
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        shell = f"env -i PATH={shlex.quote(os.environ['PATH'])} {exports} bash --norc --noprofile"
        width, height = size
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), shell)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def run(self, command: str) -> None:
        self.keys(command, "Enter")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def text(self, text: str) -> None:
        self._tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, within: float = 15.0) -> str:
        """The screen once it shows `text` (a regular expression)."""
        deadline = time.monotonic() + within
        while not re.search(text, shown := self.screen()):
            assert time.monotonic() < deadline, f"{text!r} not on screen:\n{shown}"
            time.sleep(0.05)
        return shown

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


@pytest.fixture
def terminal(kchat):
    opened = []

    def open_one(**kwargs) -> Terminal:
        opened.append(Terminal(kchat, **kwargs))
        return opened[-1]

    yield open_one
    for one in opened:
        one.close()


KCHAT = f"{shlex.quote(sys.executable)} -m kchat_cli"


def outbox_texts(kchat) -> list[str]:
    return [item["text"] for item in kchat.json("outbox", "list") if item["kind"] == "text"]


def test_a_logout_during_a_session_is_refused_on_screen_and_the_draft_stays(kchat, ev, terminal):
    a_store(kchat, ev)
    kchat("admins", "add", "minji", "--name", "김민지")
    verify(kchat, "minji")
    shell = terminal()
    shell.run(f"{KCHAT} --as minji chat")
    shell.wait_for("배송 언제 되나요?")  # the room is open
    kchat("--as", "minji", "auth", "logout")
    shell.text("로그아웃 후 답장")
    shell.keys("Enter")
    shell.wait_for("error: additional verification needed")
    # The input is drawn again in a refresh of its own, after the status line's.
    shown = shell.wait_for("로그아웃 후 답장")  # the draft stays in the input
    assert "error: additional verification needed" in shown
    assert "/send-code, then /verify CODE" in shown
    shell.keys("C-c")
    shell.wait_for(r"(?m)^\$\s*$")
    assert outbox_texts(kchat) == []


def test_a_failure_at_start_restores_the_screen_and_says_one_line(kchat, ev, terminal):
    a_store(kchat, ev)
    shell = terminal()
    shell.run(f"{KCHAT} chat 99999; echo exit=$?")
    shown = shell.wait_for(r"exit=\d")
    assert "error: no room 99999; see kchat rooms list" in shown
    assert "exit=1" in shown
    assert "Traceback" not in shown


def test_alt_enter_starts_a_line_and_enter_sends_the_whole_reply(kchat, ev, terminal):
    a_store(kchat, ev)
    room = room_of(kchat, "u1")["id"]
    shell = terminal()
    shell.run(f"KCHAT_ADMIN=alice {KCHAT} chat {room}")
    shell.wait_for("배송 언제 되나요?")  # the room is open
    shell.text("첫 줄")
    shell.keys("M-Enter")  # ESC CR, as terminals send Alt-Enter
    shell.text("둘째 줄")
    shown = shell.wait_for("둘째 줄")
    assert "queued message" not in shown and outbox_texts(kchat) == []
    shell.keys("Enter")
    shell.wait_for("queued message")
    shell.keys("C-c")
    shell.wait_for(r"(?m)^\$\s*$")
    assert outbox_texts(kchat) == ["첫 줄\n둘째 줄"]


def test_rooms_show_with_a_failing_pager_prints_the_text_and_then_marks_it_read(
    kchat, ev, terminal
):
    kchat.ingest(*(ev.says("u1", f"2026-11-20 09:{n:02d}", text=f"질문 {n}") for n in range(30)))
    room = room_of(kchat, "u1")["id"]
    shell = terminal()
    shell.run(f"PAGER=false KCHAT_ADMIN=alice {KCHAT} rooms show {room}; echo exit=$?")
    shown = shell.wait_for(r"exit=\d")
    assert "질문 29" in shown and "exit=0" in shown
    assert room_of(kchat, "u1")["unread"] == 0
    assert json.loads(kchat("rooms", "show", room, "-o", "json").stdout)["newer_not_shown"] == 0
