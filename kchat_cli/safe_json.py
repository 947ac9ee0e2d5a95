"""JSON that is safe on a terminal: what kchat writes as JSON (outputs, the file and stdout
transports) may be read on one, and customer text must not act on it there (R-INPUT-1)."""

import json
import re
from typing import Any

# What JSON writes raw but a terminal acts on: C1 controls, bidirectional marks and
# overrides, line and paragraph separators, lone surrogates. Written as \u escapes instead
# (the same data). A pattern, not str.translate with a table: translate looks every
# character up (19 µs for a room's record), the pattern scans in C (1.4 µs).
_ACTS_ON_TERMINAL = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def json_text(value: Any, **options) -> str:
    """JSON with nothing a terminal acts on left raw (json.dumps escapes C0 itself)."""
    return _ACTS_ON_TERMINAL.sub(_escaped, json.dumps(value, ensure_ascii=False, **options))


def _escaped(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"
