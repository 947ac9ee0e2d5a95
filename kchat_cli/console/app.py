"""The console: the queue of rooms on the left, the open room on the right, an input line at
the bottom and a status line under it.

It holds itself to the command line's rules for its whole life: every action goes through
the runtime of the command it stands for (`Runtime.mirror`), whose access check runs in each
transaction, so a logout, an expired session or a removed admin is refused at the next
action. Writes run one at a time on a thread of their own (writer.py), so a busy store keeps
a reply waiting, never the screen. What is typed belongs to its room (a draft each) and comes
back to the input whenever it could not be sent.

Reading is by what was on the screen: a room's messages are shown and marked in the order
they came, and a mark never covers a message whose first line has not been on the screen
while the terminal had focus (or, where it does not say, within a minute of a key). Changes
by others are coalesced: after a burst the console redraws once.

Nothing that goes wrong ends in a traceback: an error is an `error: …` line in the status
line, and what Textual could not handle ends the console with that line on stderr.
"""

import contextlib
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
from textual.widgets import RichLog, Static

from kchat_cli.console import keys, layout, slash
from kchat_cli.console.composer import Composer
from kchat_cli.console.conversation import Conversation
from kchat_cli.console.lists import LISTS, hit_lines
from kchat_cli.console.queue import Queue, QueueTable
from kchat_cli.console.switcher import RoomSwitcher
from kchat_cli.console.words import TRY_AGAIN, error_line, kept_for
from kchat_cli.console.writer import Writer
from kchat_cli.domain.conversations import room_actions, watch
from kchat_cli.domain.conversations.listing import RoomFilter, list_rooms, records_of
from kchat_cli.domain.conversations.sending import Outgoing
from kchat_cli.domain.paging import Page
from kchat_cli.domain.upkeep.delivery import scheduler_runs
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import NeedsVerification, NotAnAdmin, Refused, debug_traceback
from kchat_cli.render import visible
from kchat_cli.room_verbs import VERBS, act_on_room, act_on_rooms, send_message
from kchat_cli.runtime import Runtime

PATIENCE = 5.0  # seconds a write waits for the store before the console says it is busy
ROOM_LIMIT = 100  # messages a look at a room brings: the first new ones, or the latest
REFRESH_DELAY = 0.1  # seconds: changes arriving within it are drawn together
PRESENCE = 60.0  # seconds after a key, where the terminal does not report its focus
SEARCH_LIMIT = 50
NO_SCHEDULER = "; no scheduler runs: `kchat jobs run deliver` sends it"
# Actions that would act behind a dialog (Ctrl-K's), which has the keys while it is open.
_BEHIND_DIALOGS = frozenset({"queue", "next_room", "urgent_room", "scroll_room", "focus_queue"})


@dataclass
class RoomView:
    """The open room as it is on the screen."""

    id: int
    record: dict
    messages: list[dict]
    last_seq: int  # fetched through this number: what arrives comes after it
    older: int  # messages before the first shown
    marked: int  # read through this number (by this console or anyone)
    audited: bool = False  # the opening's audit entry is written
    auditing: bool = False  # and being written

    @classmethod
    def of(cls, record: dict) -> "RoomView":
        return cls(
            id=record["id"],
            record=record,
            messages=list(record["messages"]),
            last_seq=record["last_seq"],
            older=record["older_not_shown"],
            marked=max(
                (message["seq"] for message in record["messages"] if not message["new"]),
                default=0,
            ),
        )


@dataclass
class Arrivals:
    """Changes by others not yet drawn."""

    messages: int = 0
    rooms_written_in: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)
    last: dict | None = None

    def add(self, other: "Arrivals") -> None:
        self.messages += other.messages
        self.rooms_written_in |= other.rooms_written_in
        self.changed |= other.changed
        self.last = other.last or self.last


@dataclass(frozen=True)
class Typed:
    """What the admin sent or asked for, and in which room it was typed."""

    text: str
    room: int | None
    under_draft: bool = False  # a command typed on a line under a draft


class ChatConsole(App):
    CSS = """
    #queue-pane { width: 48%; }
    #queue-title { height: auto; max-height: 2; padding: 0 1; text-style: bold; }
    #queue { height: 1fr; }
    #room-pane { width: 52%; border-left: solid $primary; }
    #room-head { height: auto; max-height: 4; padding: 0 1; text-style: bold; }
    #conversation, #lists { height: 1fr; padding: 0 1; }
    #lists { display: none; }
    #composer { height: auto; min-height: 3; max-height: 7; }
    #status { height: auto; max-height: 3; padding: 0 1; background: $boost; }
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
        self.view: RoomView | None = None
        self.drafts: dict[int | None, str] = {}  # what was typed in rooms not open now
        self.sending: list[Typed] = []  # asked for and not yet answered by the store
        self.quitting = False
        self.writer = Writer(self)
        self.arrivals = Arrivals()
        self.arrived = Arrivals()  # since the admin's last key, for the status line
        self.refresh_timer = None
        self.drawing = False  # a redraw's reads are under way
        self.following = False
        self.stop_following = threading.Event()
        self.focus_reported = False
        self.terminal_focused = True
        self.last_key = time.monotonic()
        self.error_shown = False
        self.news_shown = False
        self.failure: Exception | None = None  # what ended the console, said after it
        self.tracebacks: list[str] = []  # with KCHAT_DEBUG=1, shown after the console
        keys.read_alt_keys()

    @property
    def room(self) -> int | None:
        return self.view.id if self.view is not None else None

    # The screen

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="queue-pane"):
                yield Static(id="queue-title")
                yield QueueTable(id="queue")
            with Vertical(id="room-pane"):
                yield Static(id="room-head")
                yield Conversation(id="conversation")
                yield RichLog(id="lists", wrap=True, auto_scroll=False, min_width=20)
        yield Composer(id="composer")
        yield Static(id="status")

    def on_mount(self) -> None:
        if not self.is_headless:
            self._driver.write(keys.MODIFY_OTHER_KEYS)
        self.composer().focus()
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

    def composer(self) -> Composer:
        return self.query_one("#composer", Composer)

    def conversation(self) -> Conversation:
        return self.query_one("#conversation", Conversation)

    def say(self, message: str, *, error: bool = False, news: bool = False) -> None:
        self.error_shown, self.news_shown = error, news
        text = Text(visible(message), style="bold red" if error else "")
        self.query_one("#status", Static).update(text)

    def check_action(self, action: str, parameters: tuple) -> bool:
        return not (action in _BEHIND_DIALOGS and isinstance(self.screen, RoomSwitcher))

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
            self.arrived = Arrivals()
            if self.view is not None:
                self.guard(self.read_what_is_seen)
        await super().on_event(event)

    def action_quit(self) -> None:
        """Leave; what is being sent is let finish first, unless asked twice."""
        if self.sending and not self.quitting:
            self.quitting = True
            self.say("sending what you sent before leaving…; Ctrl-C again leaves at once")
            return
        self.leave()

    def leave(self) -> None:
        """End the console; the drafts it holds are said after it (`kchat chat`), not lost."""
        typed = self.composer().text.strip("\n")
        if typed.strip():
            self.drafts[self.room] = typed
        self.exit()

    # The queue

    def load_queue(self) -> None:
        self.show_queue(self.read_queue(self.queue))

    def read_queue(self, queue: Queue) -> Page:
        """The queue's rooms, as `rooms list --sort waiting` reads them (on any thread)."""
        return self.rt.mirror("rooms list").glance(
            list_rooms, queue.room_filter(self.admin_login), sort="waiting"
        )

    def show_queue(self, page: Page) -> None:
        self.rooms = list(page)
        title = layout.queue_title(str(self.queue), page)
        self.query_one("#queue-title", Static).update(Text(visible(title)))
        width = layout.queue_pane_width(self.size.width)
        self.query_one("#queue", QueueTable).show(self.rooms, width)

    def action_queue(self, mode: str) -> None:
        self.guard(self.switch_queue, mode)

    def switch_queue(self, mode: str = "in-progress", *, label: str | None = None) -> None:
        previous, self.queue = self.queue, Queue(mode, label)
        try:
            self.load_queue()
        except Exception:
            self.queue = previous
            raise
        self.query_one("#queue", QueueTable).move_cursor(row=0)
        self.say(f"queue: {self.queue}")

    def action_focus_queue(self) -> None:
        self.query_one("#queue").focus()

    def on_queue_table_typed(self, message: QueueTable.Typed) -> None:
        composer = self.composer()
        composer.focus()
        if message.text:
            composer.insert(message.text)

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
            list_rooms, RoomFilter(status="unread", limit=2), sort="waiting"
        )
        others = [room["id"] for room in found if room["id"] != self.room]
        if not others:
            self.say("no other room has unread messages")
            return
        self.open_room(others[0])
        self.say(f"room {others[0]}: the longest waiting with unread messages")

    def action_find_room(self) -> None:
        if not isinstance(self.screen, RoomSwitcher):
            self.push_screen(RoomSwitcher(self.find_rooms, error_line), self._switch_to)

    def find_rooms(self, text: str) -> list[dict]:
        """For Ctrl-K (on its own thread): the room of that id, the rooms named exactly so,
        those holding the text, then the loose matches (its characters in order)."""
        rt = self.rt.mirror("rooms list")
        found = []
        if text.isascii() and text.isdigit() and len(text) <= 18:
            found += rt.glance(lambda actor: records_of(actor.db, actor.channel_id, [int(text)]))
        for match in ("exact", "contains", "loose"):
            found += rt.glance(
                list_rooms, RoomFilter(status="all", who=text, who_match=match, limit=100)
            )
        return list({room["id"]: room for room in found}.values())

    def _switch_to(self, room: int | None) -> None:
        if room is not None:
            self.guard(self.open_room, room)
        self.composer().focus()

    def on_data_table_row_selected(self, event: QueueTable.RowSelected) -> None:
        self.guard(self.open_room, int(event.row_key.value))
        self.composer().focus()

    # The open room

    def open_room(self, room_id: int) -> None:
        """Show the room; what of it comes on the screen is read, as `rooms show` reads what
        it prints, and the opening is audited under its name, once."""
        record = self.rt.mirror("rooms show").look(
            room_actions.view_room, room_id, limit=ROOM_LIMIT
        )
        self._take_draft_to(room_id)
        self.view = RoomView.of(record)
        self.show_room()
        self._audit_opening()
        if self.news_shown:  # what arrived was told before this room was opened
            self.say(f"room {room_id}")

    def _audit_opening(self) -> None:
        """The opening's one audit entry; tried again at the next look when the store could
        not take it."""
        view, rt = self.view, self.rt.mirror("rooms show")
        view.auditing = True

        def done(_result) -> None:
            view.audited, view.auditing = True, False

        def failed(exc: Exception) -> None:
            view.auditing = False
            self._background_failed(exc)

        self.writer.submit(
            lambda: rt.act(room_actions.mark_shown, view.id, None, target=f"room {view.id}"),
            done=done,
            failed=failed,
        )

    def _background_failed(self, exc: Exception) -> None:
        """A write the admin did not ask for (an audit entry, a read mark) failed: said
        unless something the admin asked for is being said."""
        if not self.error_shown:
            self.fail(exc)

    def show_room(self) -> None:
        view = self.view
        self._show_conversation()
        self.query_one("#room-head", Static).update(layout.room_head(view.record))
        first_new = next((m["id"] for m in view.messages if m["new"]), None)
        self.conversation().show(view.messages, older=view.older, first_new=first_new)
        self.call_after_refresh(self.guard, self.read_what_is_seen)

    def refresh_room(self) -> None:
        """What arrived in the open room since it was drawn, added under what is shown, and
        the room's head as it is now."""
        view, conversation = self.view, self.conversation()
        record = self.rt.mirror("rooms show").look(
            room_actions.view_room, view.id, limit=0, after_seq=view.last_seq
        )
        view.record, view.last_seq = record, record["last_seq"]
        self.query_one("#room-head", Static).update(layout.room_head(record))
        if not record["messages"]:
            return
        at_end = conversation.following
        first_line = len(conversation.lines)
        if conversation.first_new is None:
            conversation.first_new = next((m["id"] for m in record["messages"] if m["new"]), None)
        view.messages += record["messages"]
        conversation.add(record["messages"])
        if at_end:
            conversation.follow(first_line)
        self.call_after_refresh(self.guard, self.read_what_is_seen)

    def read_what_is_seen(self) -> None:
        """Mark read what has come on the screen, if someone can see it."""
        view = self.view
        if view is None or not self.may_read():
            return
        if not (view.audited or view.auditing):
            self._audit_opening()
        through = self.conversation().seen_through()
        if through is None or through <= view.marked:
            return
        view.marked = through
        rt = self.rt.mirror("rooms show")
        self.writer.submit(
            lambda: rt.act(room_actions.mark_shown, view.id, through, audited=False),
            done=lambda _: self.guard(self.refresh_after_write),
            failed=lambda exc: self._not_marked(view, through, exc),
        )

    def _not_marked(self, view: RoomView, through: int, exc: Exception) -> None:
        view.marked = min(view.marked, through - 1)  # tried again at the next look
        self._background_failed(exc)

    def may_read(self) -> bool:
        """Whether what is on the screen can be seen: the terminal has focus, or (where it
        does not say) a key was pressed within a minute."""
        if self.focus_reported:
            return self.terminal_focused
        return time.monotonic() - self.last_key < PRESENCE

    def on_app_focus(self, _event: events.AppFocus) -> None:
        self.focus_reported, self.terminal_focused = True, True
        self.guard(self.read_what_is_seen)

    def on_app_blur(self, _event: events.AppBlur) -> None:
        self.focus_reported, self.terminal_focused = True, False

    def on_conversation_scrolled(self, _message: Conversation.Scrolled) -> None:
        self.guard(self.read_what_is_seen)

    def action_scroll_room(self, direction: int) -> None:
        """PgUp and PgDn: the conversation, or the list shown in its place; PgUp at the top
        brings the older messages."""
        conversation = self.conversation()
        if not conversation.display:
            shown = self.query_one("#lists", RichLog)
            if direction > 0:
                shown.scroll_page_down(animate=False)
            else:
                shown.scroll_page_up(animate=False)
        elif direction > 0:
            conversation.scroll_page_down(animate=False)
        elif conversation.scroll_y > 0 or self.view is None or not self.view.older:
            conversation.scroll_page_up(animate=False)
        else:
            self.guard(self._show_older)

    def _show_older(self) -> None:
        view = self.view
        before = view.messages[0]["seq"] if view.messages else view.last_seq + 1
        earlier = self.rt.mirror("rooms show").look(
            room_actions.earlier_messages, view.id, before_seq=before, limit=ROOM_LIMIT
        )
        view.messages = earlier["messages"] + view.messages
        view.older = earlier["older_not_shown"]
        self.show_room()
        conversation = self.conversation()  # the page just above what was at the top
        above = (conversation.line_of(before) or 0) - conversation.scrollable_content_region.height
        conversation.scroll_to(y=max(above, 0), animate=False, immediate=True)

    def open_room_or_refuse(self) -> int:
        if self.room is None:
            raise Refused("no room is open", "pick one in the queue (Ctrl-O, then Enter)")
        return self.room

    # Lists shown where the conversation was

    def show_lines(self, lines: list[str], note: str) -> None:
        shown = self.query_one("#lists", RichLog)
        shown.clear()
        for line in lines:
            shown.write(Text(visible(line)))
        shown.display, self.conversation().display = True, False
        shown.scroll_home(animate=False, immediate=True)
        self.say(f"{note}; Esc shows the room again")

    def _show_conversation(self) -> None:
        self.query_one("#lists").display, self.conversation().display = False, True

    def show_help(self) -> None:
        self.show_lines(slash.help_lines(), "the keys and slash commands")

    def show_list(self, kind: str) -> None:
        command, work, line = LISTS[kind]
        found = self.rt.mirror(command).look(work)
        self.show_lines([line(item) for item in found] or [f"no {kind} yet"], f"the {kind}")

    def search_room(self, text: str) -> None:
        from kchat_cli.domain.conversations.search import search

        room = self.open_room_or_refuse()
        hits = self.rt.mirror("search").look(
            search, text, rooms=None, since=None, until=None, limit=SEARCH_LIMIT, room=room
        )
        found = counted(len(hits), "message")
        if hits.total:
            found = f"{hits.total:,} found, the newest {len(hits)} shown"
        lines = hit_lines(hits, text) or ["nothing found"]
        self.show_lines(lines, f"search {text!r} in room {room}: {found}")

    def on_composer_left(self, _message: Composer.Left) -> None:
        if self.view is not None and not self.conversation().display:
            self._show_conversation()
            self.say(f"room {self.room}")
            self.call_after_refresh(self.guard, self.read_what_is_seen)

    # The input: what is typed belongs to its room

    def _take_draft_to(self, room: int) -> None:
        """Moving to `room`: what was typed stays with the room it was typed in."""
        if room == self.room:
            return
        composer = self.composer()
        if composer.text.strip():
            self.drafts[self.room] = composer.text
        else:
            self.drafts.pop(self.room, None)
        composer.replace_text(self.drafts.pop(room, ""))

    def _give_back(self, typed: Typed) -> None:
        """What could not be done goes back where it was typed: a reply before anything typed
        since, a command under the draft it was typed under (and selected, so that typing
        replaces it and Enter tries it again)."""
        here = typed.room == self.room
        since = (self.composer().text if here else self.drafts.get(typed.room, "")).strip("\n")
        if typed.under_draft:
            text = f"{since}\n{typed.text}" if since else typed.text
        else:
            text = f"{typed.text}\n{since}" if since else typed.text
        if not here:
            self.drafts[typed.room] = text
            return
        composer = self.composer()
        composer.replace_text(text)
        if _is_command(typed.text) and not since:
            composer.select_all()

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        """What was typed goes; a slash command on the last line under a draft runs alone,
        and the draft stays (to /send-code and /verify without losing a reply)."""
        text = message.text.strip("\n")
        if not text.strip():
            return
        draft, _, last = text.rpartition("\n")
        keep = draft if draft.strip() and _is_command(last) else ""
        typed = Typed(last if keep else text, self.room, under_draft=bool(keep))
        self.composer().replace_text(keep)
        try:
            self._run(typed)
        except Exception as exc:
            self._give_back(typed)
            self.fail(exc, kept=kept_for(typed.text, typed.room, self.room))

    def _run(self, typed: Typed) -> None:
        """A slash command (`/` first; `//` sends a text that starts with `/`), or a reply."""
        text = typed.text.lstrip()
        if _is_command(text):
            slash.run(self, typed, text)
        else:
            self.send_outgoing(typed, text=text.removeprefix("/") if text[:2] == "//" else text)

    def on_composer_completing(self, _message: Composer.Completing) -> None:
        self.guard(self._complete_reply)

    def _complete_reply(self) -> None:
        """`/reply ` + Tab: the saved reply's name, or as much of it as is shared, and the
        names that match in the status line."""
        composer = self.composer()
        if not composer.text.startswith("/reply"):
            return
        typed = composer.text.removeprefix("/reply").lstrip()
        _, list_replies, _ = LISTS["replies"]
        names = [reply["name"] for reply in self.rt.mirror("replies list").look(list_replies)]
        matching = [name for name in names if name.startswith(typed)]
        if not matching:
            self.say(f"no saved reply starts with {typed!r}" if typed else "no saved replies yet")
            return
        composer.replace_text(f"/reply {_common_prefix(matching)}")
        if len(matching) > 1:
            self.say("replies: " + ", ".join(matching))

    def write(
        self,
        typed: Typed,
        work: Callable[[], Any],
        said: Callable[[Any], str],
        *,
        then: Callable | None = None,
    ) -> None:
        """Run `work` on the writer's thread; say what it did, then `then` (by default, a
        look at what changed). What could not be done goes back to the input of its room."""
        self.sending.append(typed)
        self.say("sending…")

        def done(result: Any) -> None:
            self.sending.remove(typed)
            if self.guard(then or self.refresh_after_write):
                self.say(said(result))
            self._leave_if_asked()

        def failed(exc: Exception) -> None:
            self.sending.remove(typed)
            self._give_back(typed)
            self.quitting = False  # what was to go first did not: the admin decides again
            self.fail(exc, kept=kept_for(typed.text, typed.room, self.room))

        self.writer.submit(work, done, failed)

    def _leave_if_asked(self) -> None:
        if self.quitting and not self.sending:
            self.leave()

    def refresh_after_write(self) -> None:
        self.load_queue()
        if self.view is not None:
            self.refresh_room()

    def send_outgoing(self, typed: Typed, **what) -> None:
        room = self.open_room_or_refuse()
        outgoing = Outgoing(**what)
        rt = self.rt.mirror("rooms request-add" if outgoing.add_request else "send")

        def work() -> tuple[dict, bool]:
            return send_message(rt, room, outgoing), not rt.look(scheduler_runs)

        def said(done: tuple[dict, bool]) -> str:
            return f"queued message {done[0]['id']} to room {room}" + (
                NO_SCHEDULER if done[1] else ""
            )

        self.write(typed, work, said)

    def run_verb(self, typed: Typed, name: str, *arguments) -> None:
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

        self.write(typed, work, str)

    def send_code(self, typed: Typed, via: str) -> None:
        from kchat_cli.domain.access import auth

        rt = self.rt.mirror("auth send-code")

        def work() -> bool:
            rt.act(auth.send_code, via=via, details={"via": via})
            return not rt.look(scheduler_runs)

        def said(waits: bool) -> str:
            return f"a code goes by {via}; then /verify CODE" + (NO_SCHEDULER if waits else "")

        # Nothing else changed, and nothing may be read before /verify.
        self.write(typed, work, said, then=lambda: None)

    def verify(self, typed: Typed, code: str) -> None:
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

        self.write(typed, work, str, then=self._after_verify)

    def _after_verify(self) -> None:
        """A new session: the screen follows again."""
        self.start()

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
            batches, channel = self.rt.mirror("watch").batches(), self.rt.channel().id
            stop = self.stop_following
            for batch in watch.follow_batches(batches, channel, wait=1.0, cursor=cursor, stop=stop):
                self.call_from_thread(self.on_changes, batch)
        except Exception as exc:  # said on screen, unless the console has ended
            if not self.stop_following.is_set():
                self.following = False
                self.call_from_thread(self.fail, exc)

    def on_changes(self, batch: list[dict]) -> None:
        """Gathered, and drawn once REFRESH_DELAY after the first of a burst."""
        arrivals = Arrivals()
        for event in batch:
            arrivals.changed.add(event["room"])
            if event["type"] == "message":
                arrivals.messages += 1
                arrivals.rooms_written_in.add(event["room"])
                arrivals.last = event
        self.arrivals.add(arrivals)
        if self.refresh_timer is None:
            self.refresh_timer = self.set_timer(REFRESH_DELAY, self.draw_changes)

    def draw_changes(self) -> None:
        """The queue is read on a thread of its own and drawn on the screen's: a key pressed
        while the store is read is handled at once, not after the redraw."""
        self.refresh_timer = None
        if self.drawing:  # the next redraw reads once this one has drawn
            self.refresh_timer = self.set_timer(REFRESH_DELAY, self.draw_changes)
            return
        arrivals, self.arrivals = self.arrivals, Arrivals()
        self.drawing = True
        threading.Thread(
            target=self._read_for_draw, args=(self.queue, arrivals), name="kchat-draw", daemon=True
        ).start()

    def _read_for_draw(self, queue: Queue, arrivals: Arrivals) -> None:
        try:
            page = self.read_queue(queue)
        except Exception as exc:  # said on the screen's thread
            page = exc
        with contextlib.suppress(RuntimeError):  # the console has ended meanwhile
            self.call_from_thread(self._drawn, queue, page, arrivals)

    def _drawn(self, queue: Queue, page: Page | Exception, arrivals: Arrivals) -> None:
        self.drawing = False
        try:
            if isinstance(page, Exception):
                raise page
            self._draw(queue, page, arrivals)
        except (NeedsVerification, NotAnAdmin):
            pass  # the screen stops following; the next action says why
        except Exception as exc:
            self.fail(exc)

    def _draw(self, queue: Queue, page: Page, arrivals: Arrivals) -> None:
        if queue is self.queue:  # else a key chose another queue meanwhile, and drew it
            self.show_queue(page)
        if self.room in arrivals.changed:
            self.refresh_room()
        if not arrivals.messages:
            return
        self.arrived.add(arrivals)
        if not self.error_shown:
            self.say(_arrived(self.arrived), news=True)
        elsewhere = arrivals.rooms_written_in - ({self.room} if self.may_read() else set())
        if elsewhere and self.notifications:
            self._alert(arrivals)

    def _alert(self, arrivals: Arrivals) -> None:
        self.bell()
        if shutil.which("notify-send"):
            event = arrivals.last
            text = event["text"] or f"[{event['kind']}]"
            if arrivals.messages > 1:
                text = _arrived(arrivals)
            subprocess.Popen(
                ["notify-send", "kchat", text],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )


def _is_command(text: str) -> bool:
    text = text.lstrip()
    return text.startswith("/") and not text.startswith("//")


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
