"""JSON that is safe on a terminal: what kchat writes as JSON (outputs, the file and stdout
transports) may be read on one, and customer text must not act on it there (R-INPUT-1)."""

import json
from typing import Any

# What JSON writes raw but a terminal acts on: written as \u escapes instead (same data).
JSON_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in (
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x2028, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    )
}


def json_text(value: Any) -> str:
    """JSON with nothing a terminal acts on left raw (json.dumps escapes C0 itself)."""
    return json.dumps(value, ensure_ascii=False).translate(JSON_ESCAPES)
