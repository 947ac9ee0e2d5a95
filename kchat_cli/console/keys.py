"""Keys as terminals send them, so that no key a person tries for a new line ever sends.

- Alt-Enter arrives as ESC CR (ESC LF with some terminals), which Textual reads as a plain
  Enter after its escape delay: kchat maps those sequences to `alt+enter` itself, and Alt-A
  (ESC a) to `alt+a`, which pressed twice quickly Textual would read as `^a`.
- Shift-Enter and Ctrl-Enter differ from Enter only where the terminal reports modified
  keys: by kitty's keyboard protocol, which Textual asks for, or by xterm's
  modifyOtherKeys, which kchat asks for (`\\e[27;2;13~`, or `\\e[13;2u` from tmux with
  `extended-keys on`). Textual reads the xterm form as a key named after the character CR;
  any such key that is not plain `enter` starts a line.
- Ctrl-J sends LF, which Textual reads as `ctrl+j`.

Textual's table of escape sequences is private: this module is the one place that touches it.
"""

import enum

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

MODIFY_OTHER_KEYS = "\x1b[>4;1m"  # xterm: report Shift-Enter and Ctrl-Enter apart
MODIFY_OTHER_KEYS_OFF = "\x1b[>4;0m"
NEW_LINE_KEYS = frozenset({"alt+enter", "shift+enter", "ctrl+enter", "ctrl+j", "alt+ctrl+j"})


class _Key(enum.Enum):
    ALT_ENTER = "alt+enter"
    ALT_A = "alt+a"


def read_alt_keys() -> None:
    """Make Textual read ESC CR and ESC LF as Alt-Enter, not as Enter, and ESC a as Alt-A."""
    ANSI_SEQUENCES_KEYS["\x1b\r"] = (_Key.ALT_ENTER,)  # type: ignore[index]
    ANSI_SEQUENCES_KEYS["\x1b\n"] = (_Key.ALT_ENTER,)  # type: ignore[index]
    ANSI_SEQUENCES_KEYS["\x1ba"] = (_Key.ALT_A,)  # type: ignore[index]


def starts_a_line(event: events.Key) -> bool:
    """A key that starts a new line in the input, never sends."""
    return event.key in NEW_LINE_KEYS or (event.key != "enter" and event.character in ("\r", "\n"))
