"""The console: the queue of rooms on the left, the open room on the right, an input line at
the bottom and a status line under it.

It holds itself to the command line's rules for its whole life: every action goes through
the runtime of the command it stands for (`Runtime.mirror`), whose access check runs in each
transaction, so a logout, an expired session or a removed admin is refused at the next
action. Writes run one at a time on a thread of their own (writer.py), so a busy store keeps
a reply waiting, never the screen; what was typed stays in the input until it is sent.

Reading is by what was shown: a room's messages are shown and marked in the order they came,
a mark never covers a message that was not displayed, and arriving messages are read only
while the terminal has focus (or, where it does not say, within a minute of a key).
Changes by others are coalesced: after a burst the console redraws once.

Nothing that goes wrong ends in a traceback: an error is an `error: …` line in the status
line, and what Textual could not handle ends the console with that line on stderr.
"""

import dataclasses
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, RichLog, Static

from kchat_cli.console import keys, layout, slash
from kchat_cli.console.composer import Composer
from kchat_cli.console.switcher import RoomSwitcher
from kchat_cli.console.words import REPLY_KEPT, TRY_AGAIN, error_line
from kchat_cli.console.writer import Writer
from kchat_cli.domain.access.admins import list_admins
from kchat_cli.domain.conversations import room_actions, watch
from kchat_cli.domain.conversations.coupons import list_coupons
from kchat_cli.domain.conversations.groups import list_groups
from kchat_cli.domain.conversations.labels import list_labels
from kchat_cli.domain.conversations.listing import RoomFilter, list_rooms, records_of
from kchat_cli.domain.conversations.replies import list_replies
from kchat_cli.domain.conversations.sending import Outgoing, send
from kchat_cli.domain.upkeep.delivery import scheduler
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import NeedsVerification, NotAnAdmin, Refused, debug_traceback
from kchat_cli.render import visible
from kchat_cli.room_verbs import VERBS, act_on_room, act_on_rooms
from kchat_cli.runtime import Runtime
from kchat_cli.views import around, message_body

PATIENCE = 5.0  # seconds a write waits for the store before the console says it is busy
QUEUE_LIMIT = 200
ROOM_LIMIT = 100  # messages a look at a room shows at once
PANE_LIMIT = 1000  # messages the open room keeps on screen; older ones come back with PgUp
REFRESH_DELAY = 0.1  # seconds: changes arriving within it are drawn together
PRESENCE = 60.0  # seconds after a key, where the terminal does not report its focus
SEARCH_LIMIT = 50
NO_SCHEDULER = "; no scheduler runs: `kchat jobs run deliver` sends it"  # fits 80 columns
QUEUE_MODES = {
    "in-progress": RoomFilter(),
    "unread": RoomFilter(status="unread"),
    "unanswered": RoomFilter(status="unanswered"),
    "starred": RoomFilter(starred=True),
}


@dataclass(frozen=True)
class Queue:
    """Which rooms the queue lists: a mode (in-progress, unread, unanswered, starred, mine),
    or a label's rooms."""

    mode: str = "in-progress"
    label: str | None = None

    def room_filter(self, login: str | None) -> RoomFilter:
        if self.label is not None:
            return RoomFilter(labels=[self.label], limit=QUEUE_LIMIT)
        if self.mode == "mine":
            return RoomFilter(assignee=login, limit=QUEUE_LIMIT)
        return dataclasses.replace(QUEUE_MODES[self.mode], limit=QUEUE_LIMIT)

    def __str__(self) -> str:
        return f"label {self.label}" if self.label is not None else self.mode


@dataclass
class RoomView:
    """The open room as it is on screen."""

    record: dict
    messages: list[dict]
    last_seq: int
    older: int  # messages before the first shown
    newer: int  # messages after the last shown, not yet fetched
    first_new: int | None = None  # the id of the first message that was new when shown
    unmarked: int | None = None  # shown while nobody could see it: read once someone can

    @classmethod
    def of(cls, record: dict) -> "RoomView":
        return cls(
            record=record,
            messages=list(record["messages"]),
            last_seq=record["last_seq"],
            older=record["older_not_shown"],
            newer=record["newer_not_shown"],
            first_new=_first_new(record["messages"]),
        )


@dataclass
class Arrivals:
    """Changes by others since the console last drew them."""

    messages: int = 0
    rooms_written_in: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)
    last: dict | None = None


class ChatConsole(App):
    CSS = """
    #queue-pane { width: 48%; }
    #queue-title { height: 1; padding: 0 1; text-style: bold; }
    #queue { height: 1fr; }
    #room-pane { width: 52%; border-left: solid $primary; }
    #room-head { height: auto; max-height: 4; padding: 0 1; text-style: bold; }
    #conversation { height: 1fr; padding: 0 1; }
    #newer { height: auto; padding: 0 1; color: $text-muted; }
    #composer { height: 3; }
    #status { height: 1; padding: 0 1; background: $boost; }
    """
    # Priority: they work while the input has focus, whatever it would make of them.
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True),
        Binding("f2", "queue('unread')", "Unread", priority=True),
        Binding("f3", "queue('unanswered')", "Unanswered", priority=True),
        Binding("f4", "queue('in-progress')", "All", priority=True),
        Binding("f5", "queue('starred')", "Starred", priority=True),
        Binding("f6", "queue('mine')", "Mine", priority=True),
        Binding("ctrl+n", "next_room", "Next room", priority=True),
        Binding("ctrl+o", "focus_queue", "Queue", priority=True),
        Binding("ctrl+k", "find_room", "Find a room", priority=True),
        Binding("alt+a", "urgent_room", "Most urgent", priority=True),
        Binding("pageup", "scroll_room(-1)", "Scroll up", priority=True),
        Binding("pagedown", "scroll_room(1)", "Scroll down", priority=True),
    ]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, rt: Runtime, room: int | None = None):
        super().__init__()
        self.rt = dataclasses.replace(rt, patience=PATIENCE)
        self.first_room = room
        self.admin_login = rt.admin_login
        self.notifications = False
        self.queue = Queue()
        self.rooms: list[dict] = []
        self.widths: tuple | None = None
        self.room: int | None = None
        self.view: RoomView | None = None
        self.showing_list = False
        self.writer = Writer(self)
        self.writing_draft = False
        self.arrivals = Arrivals()
        self.refresh_timer = None
        self.following = False
        self.stop_following = threading.Event()
        self.focus_reported = False
        self.terminal_focused = True
        self.last_key = time.monotonic()
        self.error_shown = False
        self.failure: Exception | None = None  # what ended the console, said after it
        self.tracebacks: list[str] = []  # with KCHAT_DEBUG=1, shown after the console
        keys.read_alt_enter()

    # The screen

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="queue-pane"):
                yield Static(id="queue-title")
                yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
            with Vertical(id="room-pane"):
                yield Static(id="room-head")
                yield RichLog(id="conversation", wrap=True, auto_scroll=False, min_width=20)
                yield Static(id="newer")
        yield Composer(id="composer")
        yield Static(id="status")

    def on_mount(self) -> None:
        if not self.is_headless:
            self._driver.write(keys.MODIFY_OTHER_KEYS)
        self.query_one("#composer").focus()
        self.say("/help lists the commands · F2-F6 switch queues · Ctrl-K finds a room")
        self.call_after_refresh(self.guard, self.start)  # once the panes have their sizes

    def start(self) -> None:
        """Who is acting, the queue, the first room, live updates: again after /verify."""
        admin = self.rt.look(lambda actor: actor.admin)
        self.admin_login, self.notifications = admin.login, admin.notifications
        cursor = self.rt.mirror("watch").look(lambda actor: watch.start(actor.db, actor.channel_id))
        self.load_queue()
        first = self.room or self.first_room or (self.rooms[0]["id"] if self.rooms else None)
        if first is not None:
            self.open_room(first)
        self.follow(cursor)

    def on_unmount(self) -> None:
        self.stop_following.set()
        self.writer.stop()
        if not self.is_headless:
            self._driver.write(keys.MODIFY_OTHER_KEYS_OFF)

    def on_resize(self, event: events.Resize) -> None:
        if self.admin_login is not None and self.widths is not None:
            self.guard(self.load_queue)

    def say(self, message: str, *, error: bool = False) -> None:
        self.error_shown = error
        text = Text(visible(message), style="bold red" if error else "")
        self.query_one("#status", Static).update(text)

    # Errors: never a traceback

    def guard(self, work: Callable, *args, kept: str = TRY_AGAIN) -> bool:
        """`work(*args)`; what goes wrong is said in the status line, and the console goes
        on. Whether it went well."""
        try:
            work(*args)
        except Exception as exc:
            self.fail(exc, kept=kept)
            return False
        return True

    def fail(self, exc: Exception, *, kept: str = TRY_AGAIN) -> None:
        self.say(error_line(exc, kept=kept), error=True)
        if os.environ.get("KCHAT_DEBUG"):
            self.tracebacks.append(debug_traceback(exc))

    def _handle_exception(self, error: Exception) -> None:
        """What Textual itself could not carry on from (its own last resort prints a
        traceback with local variables): the console ends, and `kchat chat` says it in one
        line once the screen is restored."""
        self.failure = error
        self.stop_following.set()
        self.exit(return_code=1)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
            if self.view is not None and self.view.unmarked is not None:
                self.guard(self.read_unmarked)
        await super().on_event(event)

    # The queue

    def load_queue(self) -> None:
        page = self.rt.mirror("rooms list").glance(
            list_rooms, self.queue.room_filter(self.admin_login), sort="waiting"
        )
        self.rooms = list(page)
        title = layout.queue_title(str(self.queue), page)
        self.query_one("#queue-title", Static).update(Text(visible(title)))
        table = self.query_one("#queue", DataTable)
        row = table.cursor_row
        widths = layout.queue_widths(layout.queue_pane_width(self.size.width), self.rooms)
        if widths != self.widths:
            table.clear(columns=True)
            for name, width in zip(("★", "ID", "CUSTOMER", "STATUS"), widths, strict=True):
                table.add_column(name, width=width, key=name)
            self.widths = widths
        else:
            table.clear()
        for room in self.rooms:
            table.add_row(*layout.queue_row(room, widths), key=str(room["id"]), height=2)
        if self.rooms:  # the cursor keeps its place: the waiting customers stay in view
            table.move_cursor(row=min(max(row, 0), len(self.rooms) - 1), animate=False)

    def action_queue(self, mode: str) -> None:
        self.guard(self.switch_queue, mode)

    def switch_queue(self, mode: str = "in-progress", *, label: str | None = None) -> None:
        previous, self.queue = self.queue, Queue(mode, label)
        try:
            self.load_queue()
        except Exception:
            self.queue = previous
            raise
        self.query_one("#queue", DataTable).move_cursor(row=0)
        self.say(f"queue: {self.queue}")

    def action_focus_queue(self) -> None:
        self.query_one("#queue").focus()

    def action_next_room(self) -> None:
        waiting = [room["id"] for room in self.rooms if room["id"] != self.room]
        if not waiting:
            self.say("no other room in this queue")
            return
        if self.guard(self.open_room, waiting[0]):
            self.say(f"room {waiting[0]}: the next in the queue")

    def action_urgent_room(self) -> None:
        self.guard(self._urgent_room)

    def _urgent_room(self) -> None:
        """The longest-waiting room with messages nobody has read, whatever the queue."""
        found = self.rt.mirror("rooms list").glance(
            list_rooms, RoomFilter(status="unread", limit=1), sort="waiting"
        )
        if not found:
            self.say("no room has unread messages")
            return
        self.open_room(found[0]["id"])
        self.say(f"room {found[0]['id']}: the longest waiting with unread messages")

    def action_find_room(self) -> None:
        if isinstance(self.screen, RoomSwitcher):
            return
        self.push_screen(RoomSwitcher(self.find_rooms, error_line), self._switch_to)

    def find_rooms(self, text: str) -> list[dict]:
        rt = self.rt.mirror("rooms list")
        found = rt.glance(list_rooms, RoomFilter(status="all", who=text, fuzzy=True, limit=100))
        if text.isascii() and text.isdigit() and len(text) <= 18:
            by_id = rt.glance(lambda actor: records_of(actor.db, actor.channel_id, [int(text)]))
            found = by_id + [room for room in found if room["id"] != int(text)]
        return found

    def _switch_to(self, room: int | None) -> None:
        if room is not None:
            self.guard(self.open_room, room)
        self.query_one("#composer").focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.guard(self.open_room, int(event.row_key.value))
        self.query_one("#composer").focus()

    # The open room

    def open_room(self, room_id: int) -> None:
        """Show the room, and read what is shown, as `rooms show` does: the opening is
        audited under its name, once."""
        rt = self.rt.mirror("rooms show")
        record = rt.look(room_actions.view_room, room_id, limit=ROOM_LIMIT)
        self.room, self.view, self.showing_list = room_id, RoomView.of(record), False
        self.show_room()
        through = record["read_through"]
        if through is not None and not self.may_read():
            self.view.unmarked, through = through, None
        self.writer.submit(
            lambda: rt.act(room_actions.mark_shown, room_id, through, target=f"room {room_id}"),
            done=lambda _: self.guard(self.refresh_after_write),
            failed=self.fail,
        )

    def show_room(self, *, scroll_to_top: bool = False) -> None:
        view = self.view
        self.query_one("#room-head", Static).update(layout.room_head(view.record))
        conversation = self.conversation()
        conversation.clear()
        if view.older:
            older = f"… {counted(view.older, 'older message')}: PgUp at the top shows them"
            conversation.write(Text(older, style="dim"))
        marker = self._write(view.messages, None)
        self._say_newer()
        if scroll_to_top:
            conversation.scroll_home(animate=False, immediate=True)
        elif marker is not None:
            conversation.scroll_to(y=marker, animate=False, immediate=True)
        else:
            conversation.scroll_end(animate=False, immediate=True)

    def conversation(self) -> RichLog:
        return self.query_one("#conversation", RichLog)

    def _write(self, messages: list[dict], day: str | None) -> int | None:
        """Write the messages under what is shown; the line where `── new ──` went, if it
        went in."""
        conversation, marker = self.conversation(), None
        for message in messages:
            if layout.day_of(message) != day:
                day = layout.day_of(message)
                conversation.write(Text(f"── {day} ──", style="dim"))
            if message["id"] == self.view.first_new:
                marker = len(conversation.lines)
                conversation.write(Text("── new ──", style="bold"))
            conversation.write(layout.message_line(message))
        return marker

    def _say_newer(self) -> None:
        newer = self.view.newer
        text = (
            f"… {counted(newer, 'newer message')}, still unread: PgDn shows them" if newer else ""
        )
        self.query_one("#newer", Static).update(Text(text, style="dim"))

    def refresh_room(self) -> None:
        """What arrived in the open room since it was drawn, added under what is shown."""
        view, rt = self.view, self.rt.mirror("rooms show")
        at_end = self.conversation().is_vertical_scroll_end
        if view.newer and not at_end:  # the admin reads above: fetch more when they get there
            view.record = rt.look(room_actions.room_record, self.room)
            self.query_one("#room-head", Static).update(layout.room_head(view.record))
            return
        record = rt.look(
            room_actions.view_room, self.room, limit=ROOM_LIMIT, after_seq=view.last_seq
        )
        view.record, view.newer, view.last_seq = (
            record,
            record["newer_not_shown"],
            record["last_seq"],
        )
        self.query_one("#room-head", Static).update(layout.room_head(record))
        if record["messages"]:
            self._append(record["messages"], follow=at_end and not view.newer)
        self._say_newer()
        self.mark(record["read_through"])

    def _append(self, messages: list[dict], *, follow: bool) -> None:
        view = self.view
        if view.first_new is None:
            view.first_new = _first_new(messages)
        day = layout.day_of(view.messages[-1]) if view.messages else None
        view.messages += messages
        if self.showing_list:
            return
        if len(view.messages) > PANE_LIMIT:
            self._drop_oldest()
            return
        self._write(messages, day)
        if follow:
            self.conversation().scroll_end(animate=False, immediate=True)

    def _drop_oldest(self) -> None:
        view = self.view
        dropped = len(view.messages) - PANE_LIMIT
        view.messages = view.messages[dropped:]
        view.older += dropped
        self.show_room()

    def mark(self, through: int | None) -> None:
        """Read what was just shown, if someone can see it; else once someone can."""
        if through is None:
            return
        if not self.may_read():
            self.view.unmarked = through
            return
        room, rt = self.room, self.rt.mirror("rooms show")
        self.writer.submit(
            lambda: rt.act(room_actions.mark_shown, room, through, audited=False),
            done=lambda _: None,
            failed=self.fail,
        )

    def read_unmarked(self) -> None:
        if self.may_read():
            through, self.view.unmarked = self.view.unmarked, None
            self.mark(through)

    def may_read(self) -> bool:
        """Whether what is on screen can be seen: the terminal has focus, or (where it does
        not say) a key was pressed within a minute."""
        if self.focus_reported:
            return self.terminal_focused
        return time.monotonic() - self.last_key < PRESENCE

    def on_app_focus(self, event: events.AppFocus) -> None:
        self.focus_reported, self.terminal_focused = True, True
        if self.view is not None and self.view.unmarked is not None:
            self.guard(self.read_unmarked)

    def on_app_blur(self, event: events.AppBlur) -> None:
        self.focus_reported, self.terminal_focused = True, False

    def action_scroll_room(self, direction: int) -> None:
        conversation = self.conversation()
        at_top, at_end = conversation.scroll_y == 0, conversation.is_vertical_scroll_end
        if direction < 0:
            conversation.scroll_page_up(animate=False)
            if at_top and self.view is not None and self.view.older and not self.showing_list:
                self.guard(self._show_older)
        else:
            conversation.scroll_page_down(animate=False)
            if at_end and self.view is not None and self.view.newer and not self.showing_list:
                self.guard(self.refresh_room)

    def _show_older(self) -> None:
        view = self.view
        before = view.messages[0]["seq"] if view.messages else view.last_seq + 1
        earlier = self.rt.mirror("rooms show").look(
            room_actions.earlier_messages, self.room, before_seq=before, limit=ROOM_LIMIT
        )
        view.messages = earlier["messages"] + view.messages
        view.older = earlier["older_not_shown"]
        self.show_room(scroll_to_top=True)

    def open_room_or_refuse(self) -> int:
        if self.room is None:
            raise Refused("no room is open", "pick one in the queue (Ctrl-O, then Enter)")
        return self.room

    # Lists shown where the conversation was

    def show_lines(self, lines: list[str], note: str) -> None:
        conversation = self.conversation()
        conversation.clear()
        for line in lines:
            conversation.write(Text(visible(line)))
        conversation.scroll_home(animate=False, immediate=True)
        self.showing_list = True
        self.say(f"{note}; Esc shows the room again")

    def show_help(self) -> None:
        self.show_lines(slash.help_lines(), "the keys and slash commands")

    def show_list(self, kind: str) -> None:
        command, work, line = _LISTS[kind]
        found = self.rt.mirror(command).look(work)
        self.show_lines([line(item) for item in found] or [f"no {kind} yet"], f"the {kind}")

    def search_room(self, text: str) -> None:
        from kchat_cli.domain.conversations.search import search

        room = self.open_room_or_refuse()
        hits = self.rt.mirror("search").look(
            search, text, rooms=None, since=None, until=None, limit=SEARCH_LIMIT, room=room
        )
        lines = [
            f"{layout.message_line(hit).plain[:6]}{around(message_body(hit), text)}" for hit in hits
        ]
        found = (
            f"{hits.total:,} found, the newest {len(hits)} shown"
            if hits.total
            else counted(len(hits), "message")
        )
        self.show_lines(lines or ["nothing found"], f"search {text!r} in room {room}: {found}")

    def on_composer_left(self, _message: Composer.Left) -> None:
        if self.showing_list and self.view is not None:
            self.showing_list = False
            self.guard(self.show_room)

    # The input

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        composer = self.query_one("#composer", Composer)
        if composer.read_only:
            self.say("still sending the last one; what you typed is kept")
            return
        text = message.text.strip("\n")
        if text.strip():
            self.guard(self._submit, text, kept=REPLY_KEPT)

    def _submit(self, text: str) -> None:
        self.writing_draft = False
        if text.startswith("/"):
            slash.run(self, text)
        else:
            self.send_outgoing(text=text)
        if not self.writing_draft:
            self.query_one("#composer", Composer).replace_text("")

    def on_composer_completing(self, _message: Composer.Completing) -> None:
        self.guard(self._complete_reply)

    def _complete_reply(self) -> None:
        """`/reply ` + Tab: the saved reply's name, or as much of it as is shared, and the
        names that fit in the status line."""
        composer = self.query_one("#composer", Composer)
        if not composer.text.startswith("/reply"):
            return
        typed = composer.text.removeprefix("/reply").lstrip()
        names = [reply["name"] for reply in self.rt.mirror("replies list").look(list_replies)]
        matching = [name for name in names if name.startswith(typed)]
        if not matching:
            self.say(f"no saved reply starts with {typed!r}" if typed else "no saved replies yet")
            return
        composer.replace_text(f"/reply {_common_prefix(matching)}")
        if len(matching) > 1:
            self.say("replies: " + ", ".join(matching))

    def write(
        self, work: Callable[[], Any], said: Callable[[Any], str], *, then: Callable | None = None
    ) -> None:
        """Run `work` on the writer's thread; the input is kept (and locked) until it is
        done, then cleared, or kept when the store could not take it. `then` (by default, a
        look at what changed) runs after it is done."""
        composer = self.query_one("#composer", Composer)
        composer.read_only, self.writing_draft = True, True
        self.say("sending…")

        def done(result: Any) -> None:
            composer.read_only = False
            composer.replace_text("")
            self.say(said(result))
            self.guard(then or self.refresh_after_write)

        def failed(exc: Exception) -> None:
            composer.read_only = False
            self.fail(exc, kept=REPLY_KEPT)

        self.writer.submit(work, done, failed)

    def refresh_after_write(self) -> None:
        self.load_queue()
        if self.view is not None:
            self.refresh_room()

    def send_outgoing(self, **what) -> None:
        room = self.open_room_or_refuse()
        outgoing = Outgoing(**what)
        rt = self.rt.mirror("rooms request-add" if outgoing.add_request else "send")

        def work() -> tuple[dict, bool]:
            sent = rt.act(
                send,
                room,
                outgoing,
                target=f"room {room}",
                details=lambda record: {"message": record["id"], "kind": record["kind"]},
            )
            return sent, rt.look(scheduler) is None

        self.write(
            work, lambda done: f"queued message {done[0]['id']}" + (NO_SCHEDULER if done[1] else "")
        )

    def run_verb(self, name: str, *arguments) -> None:
        """A room verb on the open room, as `kchat rooms …` does it (room_verbs)."""
        room = self.open_room_or_refuse()
        if VERBS[name].bulk:

            def work() -> str:
                report, said = act_on_rooms(self.rt, name, [str(room)], *arguments)
                if report.refused:
                    raise Refused(report.refused[0][1])
                return f"room {room}: {said}" + ("" if report.changed else " (no change)")

        else:

            def work() -> str:
                return act_on_room(self.rt, name, room, *arguments)

        self.write(work, str)

    def send_code(self, via: str) -> None:
        from kchat_cli.domain.access import auth

        rt = self.rt.mirror("auth send-code")

        def work() -> bool:
            rt.act(auth.send_code, via=via, details={"via": via})
            return rt.look(scheduler) is None

        self.write(
            work,
            lambda waits: (
                f"a code goes by {via}; then /verify CODE" + (NO_SCHEDULER if waits else "")
            ),
            then=lambda: None,  # nothing else changed, and nothing may be read before /verify
        )

    def verify(self, code: str) -> None:
        from kchat_cli.domain.access import auth

        auth.check_code(code)
        rt = self.rt.mirror("auth verify")

        def work() -> str:
            outcome = rt.act(
                auth.verify, code, details=lambda done: {"verified": done.path is not None}
            )
            if outcome.refusal is not None:
                raise outcome.refusal
            return "verified for 12 hours"

        self.write(work, str, then=self.start)

    # Live

    def follow(self, cursor) -> None:
        """Follow the channel's changes after `cursor`, taken before the screen was drawn,
        so that nothing in between is missed."""
        if not self.following:
            self.following = True
            threading.Thread(
                target=self._follow, args=(cursor,), name="kchat-follow", daemon=True
            ).start()

    def _follow(self, cursor) -> None:
        """Another thread: the channel's changes, a batch per look at the store."""
        try:
            engine, channel = self.rt.mirror("watch").engine(), self.rt.channel().id
            stop = self.stop_following
            for batch in watch.follow_batches(engine, channel, wait=1.0, cursor=cursor, stop=stop):
                self.call_from_thread(self.on_changes, batch)
        except Exception as exc:  # said on screen, unless the console has ended
            if not self.stop_following.is_set():
                self.following = False
                self.call_from_thread(self.fail, exc)

    def on_changes(self, batch: list[dict]) -> None:
        """Gathered, and drawn once REFRESH_DELAY after the first of a burst."""
        arrivals = self.arrivals
        for event in batch:
            arrivals.changed.add(event["room"])
            if event["type"] == "message":
                arrivals.messages += 1
                arrivals.rooms_written_in.add(event["room"])
                arrivals.last = event
        if self.refresh_timer is None:
            self.refresh_timer = self.set_timer(REFRESH_DELAY, self.draw_changes)

    def draw_changes(self) -> None:
        self.refresh_timer = None
        arrivals, self.arrivals = self.arrivals, Arrivals()
        try:
            self._draw(arrivals)
        except (NeedsVerification, NotAnAdmin):
            pass  # the screen stops following; the next action says why
        except Exception as exc:
            self.fail(exc)

    def _draw(self, arrivals: Arrivals) -> None:
        self.load_queue()
        if self.room in arrivals.changed and self.view is not None:
            self.refresh_room()
        elsewhere = arrivals.rooms_written_in - ({self.room} if self.may_read() else set())
        if arrivals.messages and not self.error_shown:
            self.say(_arrived(arrivals))
        if elsewhere and self.notifications:
            self._alert(arrivals)

    def _alert(self, arrivals: Arrivals) -> None:
        self.bell()
        if shutil.which("notify-send"):
            event = arrivals.last
            text = (
                event["text"] or f"[{event['kind']}]"
                if arrivals.messages == 1
                else _arrived(arrivals)
            )
            subprocess.Popen(
                ["notify-send", "kchat", text],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


# What `/reply`, `/label`, `/assign`, `/coupon` and `/to-group` alone list: the command each
# listing stands for, its domain function, and a line for each item.
_LISTS: dict[str, tuple[str, Callable, Callable[[dict], str]]] = {
    "replies": ("replies list", list_replies, lambda r: f"{r['name']}: {r['text']}"),
    "labels": (
        "labels list",
        list_labels,
        lambda label: f"{label['name']} ({counted(label['rooms'], 'room')})",
    ),
    "admins": ("admins list", list_admins, lambda a: f"{a['login']} · {a['name']} · {a['role']}"),
    "coupons": (
        "coupons list",
        list_coupons,
        lambda c: (
            f"{c['id']}: {c['name']} · {c['benefit']} · until {c['valid_until']}"
            + (" (expired)" if c["expired"] else "")
        ),
    ),
    "groups": (
        "groups list",
        list_groups,
        lambda g: f"{g['name']} ({counted(g['members'], 'member')})",
    ),
}


def _first_new(messages: list[dict]) -> int | None:
    return next((message["id"] for message in messages if message["new"]), None)


def _arrived(arrivals: Arrivals) -> str:
    if arrivals.messages == 1:
        event = arrivals.last
        return f"new message in room {event['room']} from {event['name'] or event['user']}"
    return (
        f"{counted(arrivals.messages, 'new message')} in "
        f"{counted(len(arrivals.rooms_written_in), 'room')}"
    )


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = 0
    while size < len(first) and first[size] == last[size]:
        size += 1
    return first[:size]
