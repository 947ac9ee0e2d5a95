"""`kchat chat`: the full-screen console. The queue of rooms on the left, the open room on
the right, an input line at the bottom and a status line under it.

Every action goes through the runtime, as the commands do: the same domain functions, the
same access check and the same audit entries (under the command they stand for: `send`,
`rooms complete`…). Changes by others arrive through the change cursor `watch` follows.
Customer text is shown escaped (render.visible); an error shows in the status line and the
console goes on.
"""

import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static, TextArea

from kchat_cli.commands.views import message_body
from kchat_cli.domain.conversations import room_actions
from kchat_cli.domain.conversations.labels import LabelChange
from kchat_cli.domain.conversations.listing import RoomFilter, list_rooms
from kchat_cli.domain.conversations.replies import list_replies
from kchat_cli.domain.conversations.sending import Outgoing, send
from kchat_cli.domain.upkeep.delivery import scheduler
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import Invalid, KchatError
from kchat_cli.render import clip, short_time, visible
from kchat_cli.runtime import Runtime

# Shown in the conversation's place, a line each: the status line has one line of 80.
HELP = (
    "Enter sends; Alt-Enter (or Shift-Enter, Ctrl-J) starts a new line",
    "/reply NAME       a saved reply (Tab completes NAME)",
    "/complete /reopen the consultation",
    "/label +L -L      add and remove labels",
    "/assign LOGIN     or me, or none",
    "/star /block /request-add",
    "/memo TEXT  /rename TEXT",
    "/coupon ID  /image PATH  /file PATH",
    "/next             the next longest-waiting room (Ctrl-N)",
    "/queue MODE       unread, unanswered, all, starred, mine, label NAME (F2-F6)",
    "/quit             or Ctrl-C; Ctrl-O moves to the queue",
)
QUEUES = ("in-progress", "unread", "unanswered", "starred", "mine")
ROOM_LIMIT = 100
# Statuses as the queue's narrow column shows them.
SHORT_STATUS = {"unread": "unread", "unanswered": "waiting", "answered": "answered"}
NO_SCHEDULER = "; no scheduler runs: `kchat jobs run deliver` sends it"  # fits 80 columns


@dataclass(frozen=True)
class Queue:
    """Which rooms the queue lists: a mode of QUEUES, or a label's rooms."""

    mode: str = "in-progress"
    label: str | None = None

    def room_filter(self, login: str) -> RoomFilter:
        if self.label is not None:
            return RoomFilter(labels=[self.label], limit=200)
        return RoomFilter(
            status=self.mode if self.mode in ("unread", "unanswered") else None,
            starred=self.mode == "starred",
            assignee=login if self.mode == "mine" else None,
            limit=200,
        )

    def __str__(self) -> str:
        return f"label {self.label}" if self.label is not None else self.mode


class Composer(TextArea):
    """The input: Enter sends, Alt-Enter (or Shift-Enter, Ctrl-J) starts a new line, Tab
    completes a saved reply's name after `/reply `."""

    class Submitted(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, reply_names, **kwargs):
        super().__init__(soft_wrap=True, show_line_numbers=False, **kwargs)
        self.reply_names = reply_names

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text, self.text = self.text, ""
            self.post_message(self.Submitted(text))
        elif event.key in ("alt+enter", "shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.insert("\n")
        elif event.key == "tab":
            event.stop()
            event.prevent_default()
            self._complete_reply()
        else:
            await super()._on_key(event)

    def _complete_reply(self) -> None:
        if not self.text.startswith("/reply "):
            return
        typed = self.text.removeprefix("/reply ")
        matching = [name for name in self.reply_names() if name.startswith(typed)]
        if not matching:
            return
        common = matching[0] if len(matching) == 1 else _common_prefix(matching)
        self.text = f"/reply {common}"
        self.move_cursor(self.document.end)


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]


class ChatConsole(App):
    CSS = """
    #queue-pane { width: 48%; }
    #queue { height: 1fr; }
    #room-pane { width: 52%; border-left: solid $primary; }
    #room-head { height: auto; max-height: 3; padding: 0 1; text-style: bold; }
    #conversation { height: 1fr; padding: 0 1; }
    #composer { height: 3; }
    #status { height: 1; padding: 0 1; background: $boost; }
    """
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True),
        Binding("f2", "queue('unread')", "Unread"),
        Binding("f3", "queue('unanswered')", "Unanswered"),
        Binding("f4", "queue('in-progress')", "All"),
        Binding("f5", "queue('starred')", "Starred"),
        Binding("f6", "queue('mine')", "Mine"),
        Binding("ctrl+n", "next_room", "Next room"),
        Binding("ctrl+o", "focus_queue", "Queue", show=False),
    ]

    def __init__(self, rt: Runtime, room: int | None = None):
        super().__init__()
        self.rt = rt
        self.first_room = room
        self.queue = Queue()
        self.rooms: list[dict] = []
        self.room: int | None = None
        self.first_new: int | None = None  # where the open room's new messages began
        self.stop_following = threading.Event()

    # The screen

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="queue-pane"):
                yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
            with Vertical(id="room-pane"):
                yield Static(id="room-head")
                yield VerticalScroll(id="conversation")
        yield Composer(self._reply_names, id="composer")
        yield Static(id="status")

    def on_mount(self) -> None:
        self.admin = self.rt.look(lambda actor: actor.admin)
        self.title = f"kchat · {self.rt.channel().name} · {self.admin.login}"
        table = self.query_one("#queue", DataTable)
        for column in ("★", "ID", "CUSTOMER", "STATUS"):
            table.add_column(column, key=column)
        self.load_queue()
        first = self.first_room or (self.rooms[0]["id"] if self.rooms else None)
        if first is not None:
            self.open_room(first)
        self.query_one("#composer").focus()
        self.say(f"queue: {self.queue} · F2-F6 switch · /help")
        threading.Thread(target=self._follow, daemon=True).start()

    def on_unmount(self) -> None:
        self.stop_following.set()

    def say(self, message: str, *, error: bool = False) -> None:
        text = Text(visible(message), style="bold red" if error else "")
        self.query_one("#status", Static).update(text)

    # The queue

    def load_queue(self) -> None:
        self.rooms = self.rt.glance(
            list_rooms, self.queue.room_filter(self.admin.login), sort="waiting"
        )
        table = self.query_one("#queue", DataTable)
        table.clear()
        for room in self.rooms:
            table.add_row(*_queue_row(room), key=str(room["id"]), height=2)
        if self.room is not None and any(room["id"] == self.room for room in self.rooms):
            table.move_cursor(row=table.get_row_index(str(self.room)))

    def action_queue(self, mode: str) -> None:
        self.queue = Queue(mode)
        self.load_queue()
        self.say(f"queue: {self.queue} ({counted(len(self.rooms), 'room')})")

    def action_focus_queue(self) -> None:
        self.query_one("#queue").focus()

    def action_next_room(self) -> None:
        waiting = [room["id"] for room in self.rooms if room["id"] != self.room]
        if not waiting:
            self.say("no other room in this queue")
            return
        self.open_room(waiting[0])
        self.say(f"room {waiting[0]}: the next in the queue")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_room(int(event.row_key.value))
        self.query_one("#composer").focus()

    # The open room

    def open_room(self, room_id: int) -> None:
        """Show the room and read what is shown, as `rooms show` does."""
        record = self.rt.act(
            room_actions.view_room,
            room_id,
            limit=ROOM_LIMIT,
            mark_read=True,
            target=f"room {room_id}",
            audit_as="rooms.show",
        )
        if room_id != self.room:
            self.first_new = None
        self.room = room_id
        news = [message["id"] for message in record["messages"] if message["new"]]
        self.first_new = news[0] if news and self.first_new is None else self.first_new
        self._show(record)
        self.load_queue()

    def _show(self, record: dict) -> None:
        labels = ", ".join(record["labels"]) or "-"
        head = (
            f"room {record['id']} · {record['name'] or record['user']} · {record['status']} · "
            f"labels {labels} · {record['assignee'] or 'unassigned'}"
        )
        if record["memo"]:
            head += f"\nmemo: {record['memo']}"
        self.query_one("#room-head", Static).update(Text(visible(head)))
        lines: list[Text] = []
        if record["older_not_shown"]:
            lines.append(Text(f"… {record['older_not_shown']} older messages", style="dim"))
        day = None
        for message in record["messages"]:
            if short_time(message["ts"])[:10] != day:
                day = short_time(message["ts"])[:10]
                lines.append(Text(f"── {day} ──", style="dim"))
            if message["id"] == self.first_new:
                lines.append(Text("── new ──", style="bold"))
            lines.append(_message_line(message))
        if record["newer_not_shown"]:
            lines.append(Text(f"… {record['newer_not_shown']} newer, still unread", style="dim"))
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.remove_children()
        conversation.mount_all(Static(line) for line in lines)
        conversation.scroll_end(animate=False)

    # The input

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        text = event.text.strip("\n")
        if not text.strip():
            return
        try:
            if text.startswith("/"):
                self._command(text)
            else:
                self._send(Outgoing(text=text))
        except KchatError as exc:
            self.say(f"error: {exc}", error=True)
        except ValueError as exc:  # a slash command's words (an unclosed quote)
            self.say(f"error: {exc}", error=True)

    def _command(self, text: str) -> None:
        name, _, rest = text[1:].partition(" ")
        rest = rest.strip()
        if name in ("quit", "q"):
            self.exit()
        elif name == "help":
            self._show_help()
        elif name == "next":
            self.action_next_room()
        elif name == "queue":
            self._switch_queue(rest)
        else:
            room = self._open_room_or_refuse()
            self._room_command(room, name, rest)

    def _room_command(self, room: int, name: str, rest: str) -> None:
        outgoing = {
            "reply": lambda: Outgoing(reply=_needed(rest, "/reply NAME")),
            "coupon": lambda: Outgoing(coupon=_number(rest, "/coupon ID")),
            "image": lambda: Outgoing(image=Path(_needed(rest, "/image PATH")).expanduser()),
            "file": lambda: Outgoing(file=Path(_needed(rest, "/file PATH")).expanduser()),
            "request-add": lambda: Outgoing(add_request=True),
        }
        actions = {
            "complete": (room_actions.Complete, "rooms.complete", "completed"),
            "reopen": (room_actions.Reopen, "rooms.reopen", "reopened"),
            "label": (lambda: _label_change(rest), "rooms.label", "labels changed"),
            "assign": (lambda: room_actions.Assign(self._login(rest)), "rooms.assign", "assigned"),
            "star": (lambda: room_actions.Star(not self._starred(room)), "rooms.star", "starred"),
        }
        if name in outgoing:
            self._send(outgoing[name]())
        elif name in actions:
            make, audit_as, done = actions[name]
            report = self.rt.bulk([str(room)], make(), dry_run=False, audit_as=audit_as)
            if report.refused:
                self.say(f"error: {report.refused[0][1]}", error=True)
            else:
                self.say(f"room {room}: {done}")
            self.open_room(room)
        elif name in ("memo", "rename"):
            work = room_actions.memo if name == "memo" else room_actions.rename
            self.rt.act(work, room, rest, target=f"room {room}", audit_as=f"rooms.{name}")
            self.say(f"room {room}: {name} saved")
            self.open_room(room)
        elif name == "block":
            self.rt.act(room_actions.block, room, target=f"room {room}", audit_as="users.block")
            self.say(f"room {room}: the user is blocked")
            self.open_room(room)
        else:
            raise Invalid(f"no command /{name}", "/help lists them")

    def _show_help(self) -> None:
        conversation = self.query_one("#conversation", VerticalScroll)
        conversation.remove_children()
        conversation.mount_all(Static(Text(line)) for line in HELP)
        conversation.scroll_home(animate=False)
        self.say("the slash commands; Ctrl-O then Enter shows the room again")

    def _send(self, outgoing: Outgoing) -> None:
        room = self._open_room_or_refuse()
        sent = self.rt.act(
            send,
            room,
            outgoing,
            target=f"room {room}",
            audit_as="send",
            details=lambda record: {"message": record["id"], "kind": record["kind"]},
        )
        self.open_room(room)
        waits = self.rt.look(scheduler) is None
        self.say(f"queued message {sent['id']}" + (NO_SCHEDULER if waits else ""))

    def _switch_queue(self, rest: str) -> None:
        words = shlex.split(rest)
        if len(words) == 2 and words[0] == "label":
            self.queue = Queue(label=words[1])
        elif len(words) == 1 and words[0] in (*QUEUES, "all"):
            self.queue = Queue("in-progress" if words[0] == "all" else words[0])
        else:
            raise Invalid("/queue unread|unanswered|all|starred|mine|label NAME")
        self.load_queue()
        self.say(f"queue: {self.queue} ({counted(len(self.rooms), 'room')})")

    def _open_room_or_refuse(self) -> int:
        if self.room is None:
            raise Invalid("no room is open", "pick one in the queue (Ctrl-O, then Enter)")
        return self.room

    def _login(self, text: str) -> str | None:
        who = _needed(text, "/assign LOGIN|me|none")
        return {"me": self.admin.login, "none": None}.get(who, who)

    def _starred(self, room_id: int) -> bool:
        return any(room["id"] == room_id and room["starred"] for room in self.rooms)

    def _reply_names(self) -> list[str]:
        return [reply["name"] for reply in self.rt.look(list_replies)]

    # Live

    def _follow(self) -> None:
        """Another thread: follow the channel's changes and hand them to the screen."""
        from kchat_cli.domain.conversations.watch import follow

        try:
            for event in follow(self.rt.engine(), self.rt.channel().id, wait=1.0):
                if self.stop_following.is_set():
                    return
                self.call_from_thread(self._changed, event)
        except Exception as exc:  # the store went away: say so, unless the console has ended
            if not self.stop_following.is_set():
                self.call_from_thread(self.say, f"live updates stopped: {exc}", error=True)

    def _changed(self, event: dict) -> None:
        if event["room"] == self.room:
            self.open_room(self.room)
        else:
            self.load_queue()
            if event["type"] == "message" and self.admin.notifications:
                self._alert(event)

    def _alert(self, event: dict) -> None:
        self.bell()
        who = event["name"] or event["user"]
        self.say(f"new message in room {event['room']} from {who}")
        if shutil.which("notify-send"):
            text = event["text"] or f"[{event['kind']}]"
            subprocess.run(["notify-send", f"kchat: {who}", text], check=False)


def _queue_row(room: dict) -> tuple:
    """Two lines a room, to fit half of 80 columns: the customer over the labels, the
    status (with the unread count) over the assignee."""
    status = SHORT_STATUS.get(room["status"], room["status"])
    if room["unread"]:
        status = f"{status} {room['unread']}"
    customer = clip(10)(visible(room["name"] or room["user"]))
    labels = clip(10)(visible(", ".join(room["labels"])))
    return (
        "★" if room["starred"] else "",
        room["id"],
        Text(f"{customer}\n{labels}"),
        Text(f"{status}\n{visible(room['assignee'] or '')}", no_wrap=True),
    )


def _message_line(message: dict) -> Text:
    who = {"user": "고객", "admin": message["admin"] or "admin"}.get(message["from"], "알림")
    body = message_body(message)
    line = Text(f"{short_time(message['ts'])[11:]} ", style="dim")
    line.append(f"{visible(who)}: ", style="bold cyan" if message["from"] == "user" else "bold")
    line.append(visible(body))
    return line


def _label_change(text: str) -> LabelChange:
    words = shlex.split(text)
    if not words or any(word[:1] not in "+-" or len(word) < 2 for word in words):
        raise Invalid("/label +LABEL -LABEL …")
    return LabelChange(
        [word[1:] for word in words if word[0] == "+"],
        [word[1:] for word in words if word[0] == "-"],
    )


def _needed(text: str, usage: str) -> str:
    if not text:
        raise Invalid(f"usage: {usage}")
    return text


def _number(text: str, usage: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise Invalid(f"usage: {usage}")
    return int(text)
