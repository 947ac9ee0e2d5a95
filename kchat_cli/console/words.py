"""What the console says when something goes wrong: one `error: …` line for the status line,
in the console's own terms. The domain's hints name commands (`see kchat labels list`); in
the console they name what to do there instead (`/label alone lists them`)."""

import re

from kchat_cli.errors import KchatError, NotAnAdmin, describe, masked
from kchat_cli.render import visible
from kchat_cli.store.engine import is_transient, is_unreachable

TRY_AGAIN = "try again"

# The commands the domain's hints name, and what stands for them in the console.
IN_THE_CONSOLE = {
    "kchat auth send-code": "/send-code, then /verify CODE (under your draft, after Alt-Enter)",
    "kchat labels list": "/label alone lists them",
    "kchat admins list": "/assign alone lists them",
    "kchat replies list": "/reply alone lists them",
    "kchat coupons list": "/coupon alone lists them",
    "kchat groups list": "/to-group alone lists them",
    "kchat rooms list": "Ctrl-K finds a room",
    "kchat rooms request-add": "/request-add",
    "kchat users unblock ROOM": "/unblock",
}
# Hints that name a command's option, and what stands for them in the console.
OPTIONS_IN_THE_CONSOLE = {
    "send it with --file instead": "send it with /file PATH instead",
    "use --via kakao or --via sms": "/send-code kakao or /send-code sms",
    "use --via kakao": "/send-code kakao",
    "unblock first, if you may": "/unblock first, if you may",
}
_HINT = re.compile(r"\b(?:run |see |verify as yourself: |unblock first: )?(kchat [^;]*)")


def in_console_terms(text: str) -> str:
    """A domain message with the commands it names replaced by their console counterparts;
    a command the console has none for is named as a shell command."""

    def replaced(match: re.Match) -> str:
        command = match.group(1)
        for named, instead in IN_THE_CONSOLE.items():
            if command.startswith(named):
                return instead
        return f"in a shell: {command}"

    for option, instead in OPTIONS_IN_THE_CONSOLE.items():
        text = text.replace(option, instead)
    return _HINT.sub(replaced, text)


def kept_for(text: str, typed_in: int | None, open_now: int | None) -> str:
    """What became of what was typed (a reply, or a command) when it could not be done."""
    what = "what you typed" if text.lstrip().startswith("/") else "your reply"
    if typed_in == open_now:
        return f"{what} is kept; press Enter to try again"
    return f"{what} in room {typed_in} is kept there"


def error_line(exc: Exception, *, kept: str = TRY_AGAIN) -> str:
    """`exc` as the status line shows it; `kept` says what became of what was typed when the
    store could not take it."""
    if isinstance(exc, NotAnAdmin):
        text = f"{exc.message} any more; an owner can add you again (/quit to leave)"
    elif isinstance(exc, KchatError):
        text = in_console_terms(str(exc))
    elif is_transient(exc):
        text = f"the store is busy; {kept}"
    elif is_unreachable(exc):
        text = f"the store cannot be reached; {kept}"
    else:
        text = describe(exc)
    return visible(f"error: {masked(text)}")
