"""How records look in a table, for the commands that show rooms, messages and job runs."""

from kchat_cli.render import Column, count_style, field, status_style

ROOM_TABLE = [
    Column("ID", field("id")),
    Column("NAME", lambda r: r["name"] or r["user"]),
    Column("STATUS", field("status"), cut=False, style=status_style),
    Column("UNREAD", field("unread"), style=count_style),
    Column("★", lambda r: "★" if r["starred"] else "", cut=False),
    Column("ASSIGNEE", field("assignee")),
    Column("LABELS", field("labels")),
    Column("LAST MESSAGE", field("last_message_at")),
]


def _sender(message: dict) -> str:
    if message["from"] == "admin":
        return f"admin {message['admin']}"
    return message["from"]


# Kinds whose text, as the customer sees it, opens with a tag of its own: not shown twice.
_OWN_TAG = {"coupon": "[쿠폰] "}


def message_body(message: dict) -> str:
    """A message as a line: its text, tagged `[kind]` (`[image 영수증.png]`) unless plain
    text."""
    text, kind = message["text"] or "", message["kind"]
    if kind == "text":
        return text
    tag = f"{kind} {message['file']['name']}" if message["file"] else kind
    return f"[{tag}] {text.removeprefix(_OWN_TAG.get(kind, ''))}".rstrip()


MESSAGE_TABLE = [
    Column("ID", field("id")),
    Column("TIME", field("ts")),
    Column("FROM", _sender),
    Column("MESSAGE", message_body, wrap=True),
]


def search_table(text: str) -> list[Column]:
    """Search hits, each message from a little before what was searched for: a cut message
    still shows the hit."""
    return [
        Column("ID", field("id")),
        Column("TIME", field("ts")),
        Column("ROOM", field("room")),
        Column("CUSTOMER", lambda m: m["name"] or m["user"]),
        Column("FROM", _sender),
        Column("MESSAGE", lambda m: around(message_body(m), text)),
    ]


def around(body: str, text: str, before: int = 8) -> str:
    """`body` from `before` characters ahead of `text` in it (… marking what was left out)."""
    at = body.casefold().find(text.casefold())
    return body if at <= before else "…" + body[at - before :]


def _counts(run: dict) -> str:
    """What a run counted, the counts that are not zero: `sent=3 failed=1`."""
    counts = run["counts"] or {}
    return " ".join(f"{name}={count}" for name, count in counts.items() if count) or (
        "0" if counts else ""
    )


# A run in 80 columns: when it ran as of and when it finished are in -o json.
RUN_TABLE = [
    Column("ID", field("id")),
    Column("JOB", field("name"), cut=False),
    Column("STARTED", field("started_at")),
    Column("DRY RUN", field("dry_run")),
    Column("OUTCOME", field("outcome"), cut=False, style=status_style),
    Column("COUNTS", _counts),
    Column("ERROR", field("error")),
    Column("BY", lambda run: run["admin"] or run["started_by"]),
]
