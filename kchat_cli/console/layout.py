"""How the console lays out rooms and messages: widths in screen cells (wide characters take
two), every customer-typed text escaped, nothing cut without an ellipsis."""

import re

from rich.text import Text

from kchat_cli.domain.vocabulary import counted
from kchat_cli.render import cell_width, cut, short_time, visible
from kchat_cli.views import message_body

_LINE_BREAK = re.compile("\r\n|\r|\n")
# Statuses as the queue's narrow column shows them.
SHORT_STATUS = {"unread": "unread", "unanswered": "waiting", "answered": "answered"}
QUEUE_SHARE = 48  # percent of the screen's width
CELL_PADDING = 2  # a table cell's padding, both sides
SCROLLBAR = 2
MEMO_LINES = 2  # the memo lines the room's head shows
HEAD_PART = 20  # screen cells a name or the labels take in the room's head, at most
INDENT = " " * 6  # a message's lines after its first, under its text


def queue_pane_width(screen_width: int) -> int:
    return screen_width * QUEUE_SHARE // 100


def queue_widths(pane_width: int, rooms: list[dict]) -> tuple[int, int, int, int]:
    """The widths of the star, id, customer and status columns: the id and status as wide
    as their widest value, the customer column what is left, so that a long name is cut and
    never pushes the status out of sight."""
    ids = max([len("ID"), *(len(str(room["id"])) for room in rooms)])
    statuses = max([len("STATUS"), *(cell_width(status_of(room)) for room in rooms)])
    left = pane_width - SCROLLBAR - 4 * CELL_PADDING - 1 - ids - statuses
    return 1, ids, max(left, 4), statuses


def status_of(room: dict) -> str:
    status = SHORT_STATUS.get(room["status"], room["status"])
    return f"{status} {room['unread']:,}" if room["unread"] else status


def queue_row(room: dict, widths: tuple[int, int, int, int]) -> tuple:
    """Two lines a room: the customer over the labels, the status (with the unread count)
    over the assignee."""
    _, _, customer_width, status_width = widths
    customer = cut(visible(room["name"] or room["user"]), customer_width)
    labels = cut(visible(", ".join(room["labels"])), customer_width)
    assignee = cut(visible(room["assignee"] or ""), status_width)
    return (
        "★" if room["starred"] else "",
        room["id"],
        Text(f"{customer}\n{labels}", no_wrap=True),
        Text(f"{status_of(room)}\n{assignee}", no_wrap=True),
    )


def queue_title(queue: str, page) -> str:
    """What the queue holds: `unread · 26 rooms`, or `unread · showing 200 of 20,060` with the
    way to the rest (`showing 200, more` where the count is not kept)."""
    if not page.cut:
        return f"{queue} · {counted(len(page), 'room')}"
    of = f" of {page.total:,}" if page.total is not None else ", more"
    return f"{queue} · showing {len(page):,}{of} · Ctrl-K finds any room"


def room_head(record: dict) -> Text:
    """The open room in a line (wrapped), the customer's name cut so that the status and
    the rest always show, and its memo, line by line."""
    labels = cut(visible(", ".join(record["labels"]) or "-"), HEAD_PART)
    name = cut(visible(record["name"] or record["user"]), HEAD_PART)
    assignee = visible(record["assignee"] or "unassigned")
    head = f"room {record['id']} · {name} · {record['status']} · labels {labels} · {assignee}"
    if record["memo"]:
        lines = record["memo"].splitlines()
        shown = [visible(line) for line in lines[:MEMO_LINES]]
        if len(lines) > MEMO_LINES:
            shown[-1] += " …"
        head += "\nmemo: " + "\n      ".join(shown)
    return Text(head)


def message_line(message: dict) -> Text:
    """A message as its time, who wrote it and its text, its lines kept."""
    who = {"user": "고객", "admin": message["admin"] or "admin"}.get(message["from"], "알림")
    line = Text(f"{short_time(message['ts'])[11:]} ", style="dim")
    line.append(f"{visible(who)}: ", style="bold cyan" if message["from"] == "user" else "bold")
    lines = _LINE_BREAK.split(message_body(message))
    line.append(f"\n{INDENT}".join(visible(text) for text in lines))
    return line


def day_of(message: dict) -> str:
    return short_time(message["ts"])[:10]
