"""How records look in a table, for the commands that show rooms and messages."""

from kchat_cli.render import clip, field, short_time

ROOM_TABLE = [
    ("ID", field("id")),
    ("NAME", lambda r: clip(16)(r["name"] or r["user"])),
    ("STATUS", field("status")),
    ("UNREAD", field("unread")),
    ("★", lambda r: "★" if r["starred"] else ""),
    ("ASSIGNEE", field("assignee")),
    ("LABELS", field("labels")),
    ("LAST MESSAGE", lambda r: short_time(r["last_message_at"])),
]


def _sender(message: dict) -> str:
    if message["from"] == "admin":
        return f"admin {message['admin']}"
    return message["from"]


def _content(message: dict) -> str:
    if message["kind"] == "text":
        return message["text"] or ""
    name = message["file"]["name"] if message["file"] else ""
    return f"[{message['kind']} {name}] {message['text'] or ''}".strip()


MESSAGE_TABLE = [
    ("ID", field("id")),
    ("TIME", lambda m: short_time(m["ts"])),
    ("FROM", _sender),
    ("MESSAGE", _content),
]

SEARCH_TABLE = [
    ("ID", field("id")),
    ("TIME", lambda m: short_time(m["ts"])),
    ("ROOM", field("room")),
    ("CUSTOMER", lambda m: clip(16)(m["name"] or m["user"])),
    ("FROM", _sender),
    ("MESSAGE", _content),
]
