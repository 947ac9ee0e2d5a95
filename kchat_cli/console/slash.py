"""The console's slash commands, in one table that `/help` is made from. Each parses its own
words (a bad one is an `error: usage …` line) and calls the console, which acts through the
runtime of the command the slash command stands for (room_verbs for the room actions)."""

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kchat_cli.errors import Invalid

if TYPE_CHECKING:
    from kchat_cli.console.app import ChatConsole, Typed

_COMMAND = re.compile(r"/(\S*)\s*(.*)", re.S)
QUEUES = ("unread", "unanswered", "all", "starred", "mine")


@dataclass(frozen=True)
class Slash:
    usage: str
    summary: str
    run: Callable[["ChatConsole", "Typed", str], None]  # (console, what was typed, words)


def _nothing(rest: str, usage: str) -> None:
    if rest:
        raise Invalid(f"usage: {usage}")


def _needed(rest: str, usage: str) -> str:
    if not rest:
        raise Invalid(f"usage: {usage}")
    return rest


def _words(rest: str, usage: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError:
        raise Invalid(f"usage: {usage}", "a quote is not closed") from None


def _unquoted(text: str, usage: str) -> str:
    """A name that may be quoted ("VIP 고객"): the quotes go, an unclosed one is refused."""
    if text[:1] in ("'", '"'):
        if len(text) < 2 or text[-1] != text[0]:
            raise Invalid(f"usage: {usage}", "a quote is not closed")
        return text[1:-1]
    return text


def _verb(name: str, usage: str) -> Callable[["ChatConsole", "Typed", str], None]:
    """A room verb that takes no words."""

    def run(console: "ChatConsole", typed: "Typed", rest: str) -> None:
        _nothing(rest, usage)
        console.run_verb(typed, name)

    return run


def _reply(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    if not rest:
        console.show_list("replies")
        return
    console.send_outgoing(typed, reply=_unquoted(rest, "/reply NAME"))


def _label(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    usage = "/label +LABEL -LABEL …"
    if not rest:
        console.show_list("labels")
        return
    words = _words(rest, usage)
    if not words or any(word[:1] not in "+-" or len(word) < 2 for word in words):
        raise Invalid(f"usage: {usage}")
    add = [word[1:] for word in words if word[0] == "+"]
    remove = [word[1:] for word in words if word[0] == "-"]
    console.run_verb(typed, "label", add, remove)


def _assign(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    if not rest:
        console.show_list("admins")
        return
    who = _unquoted(rest, "/assign LOGIN|me|none")
    console.run_verb(typed, "assign", {"me": console.admin_login, "none": None}.get(who, who))


def _coupon(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    if not rest:
        console.show_list("coupons")
        return
    if not (rest.isascii() and rest.isdigit() and len(rest) <= 18):
        raise Invalid("usage: /coupon ID", "the coupon's number, as /coupon alone lists them")
    console.send_outgoing(typed, coupon=int(rest))


def _to_group(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    if not rest:
        console.show_list("groups")
        return
    console.run_verb(typed, "to-group", _unquoted(rest, "/to-group GROUP"))


def _path(rest: str, usage: str) -> Path:
    return Path(_unquoted(_needed(rest, usage), usage)).expanduser()


def _request_add(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    _nothing(rest, "/request-add")
    console.send_outgoing(typed, add_request=True)


def _next(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    _nothing(rest, "/next")
    console.action_next_room()


def _help(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    _nothing(rest, "/help")
    console.show_help()


def _queue(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    usage = f"/queue {'|'.join(QUEUES)}|label NAME"
    mode, _, name = rest.partition(" ")
    if mode == "label" and name.strip():
        console.switch_queue(label=_unquoted(name.strip(), usage))
    elif mode in QUEUES and not name:
        console.switch_queue("in-progress" if mode == "all" else mode)
    else:
        raise Invalid(f"usage: {usage}")


def _send_code(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    via = rest or "kakao"
    if via not in ("kakao", "sms"):
        raise Invalid("usage: /send-code [sms]", "by KakaoTalk, or by SMS with sms")
    console.send_code(typed, via)


def _verify(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    console.verify(typed, _needed(rest, "/verify CODE"))


def _quit(console: "ChatConsole", typed: "Typed", rest: str) -> None:
    _nothing(rest, "/quit")
    console.leave()


SLASH: dict[str, Slash] = {
    "reply": Slash("/reply NAME", "Tab completes NAME", _reply),
    "complete": Slash("/complete", "complete it", _verb("complete", "/complete")),
    "reopen": Slash("/reopen", "back in progress", _verb("reopen", "/reopen")),
    "label": Slash("/label +L -L", "alone: the labels", _label),
    "assign": Slash("/assign LOGIN", "me, none; alone: list", _assign),
    "star": Slash("/star", "mark it important", _verb("star", "/star")),
    "unstar": Slash("/unstar", "remove the mark", _verb("unstar", "/unstar")),
    "memo": Slash(
        "/memo TEXT", "alone: clears it", lambda c, typed, rest: c.run_verb(typed, "memo", rest)
    ),
    "rename": Slash(
        "/rename TEXT",
        "alone: the nickname",
        lambda c, typed, rest: c.run_verb(typed, "rename", rest),
    ),
    "block": Slash("/block", "block the user", _verb("block", "/block")),
    "unblock": Slash("/unblock", "unblock the user", _verb("unblock", "/unblock")),
    "coupon": Slash("/coupon ID", "alone: the coupons", _coupon),
    "image": Slash(
        "/image PATH",
        "send an image",
        lambda c, typed, rest: c.send_outgoing(typed, image=_path(rest, "/image PATH")),
    ),
    "file": Slash(
        "/file PATH",
        "send a file",
        lambda c, typed, rest: c.send_outgoing(typed, file=_path(rest, "/file PATH")),
    ),
    "request-add": Slash(
        "/request-add",
        "ask to add us",
        _request_add,
    ),
    "to-group": Slash("/to-group GROUP", "alone: the groups", _to_group),
    "search": Slash(
        "/search TEXT",
        "in this room",
        lambda c, typed, rest: c.search_room(_needed(rest, "/search TEXT")),
    ),
    "next": Slash(
        "/next",
        "next waiting, ^N",
        _next,
    ),
    "queue": Slash("/queue MODE", "F2-F6, or label NAME", _queue),
    "send-code": Slash("/send-code [sms]", "a code to verify", _send_code),
    "verify": Slash("/verify CODE", "a 12-hour session", _verify),
    "help": Slash("/help", "this list", _help),
    "quit": Slash("/quit", "or Ctrl-C", _quit),
}

KEYS = (
    "Enter sends · Alt-Enter new line",
    "  (or Shift-Enter, Ctrl-J)",
    "F2 unread · F3 waiting · F4 all",
    "F5 starred · F6 mine",
    "Ctrl-K find a room · Alt-A urgent",
    "Ctrl-N next · Ctrl-O the queue",
    "PgUp/PgDn scroll · Esc back",
)


def help_lines() -> list[str]:
    width = max(len(slash.usage) for slash in SLASH.values())
    return [
        *KEYS,
        *(f"{slash.usage:<{width}} {slash.summary}" for slash in SLASH.values()),
    ]


def run(console: "ChatConsole", typed: "Typed", text: str) -> None:
    """A typed slash command: `/name words…` (the words may start on a new line)."""
    name, rest = _COMMAND.match(text).groups()
    slash = SLASH.get(name)
    if slash is None:
        raise Invalid(f"no command /{name}", "/help lists them")
    slash.run(console, typed, rest.strip())
