"""Ctrl-K: a room by its customer's name, its user key or its id, typed loosely (the letters
in order, others between them), as editors find files."""

import asyncio
from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kchat_cli.console.layout import status_of
from kchat_cli.render import cut, visible

SHOWN = 20
TYPING = 0.15  # seconds without a key before the rooms are looked for


class RoomSwitcher(ModalScreen[int | None]):
    """Dismissed with the chosen room's id, or None (Escape)."""

    CSS = """
    RoomSwitcher { align: center top; }
    #switcher { width: 70; max-width: 100%; height: auto; max-height: 80%; margin-top: 2;
                border: round $primary; background: $surface; }
    #found { height: auto; max-height: 20; }
    #switcher-note { height: auto; color: $text-muted; }
    """

    def __init__(self, find: Callable[[str], list[dict]], say_error: Callable[[Exception], str]):
        super().__init__()
        self.find = find
        self.say_error = say_error

    def compose(self) -> ComposeResult:
        with Vertical(id="switcher"):
            yield Input(placeholder="a customer's name, a user key or a room id", id="wanted")
            yield OptionList(id="found")
            yield Static("Enter opens · Esc goes back", id="switcher-note")

    async def on_input_changed(self, event: Input.Changed) -> None:
        """Rooms for what is typed, looked for beside the screen (a large store takes a
        moment), and shown unless more was typed meanwhile."""
        wanted = event.value.strip()
        found = self.query_one("#found", OptionList)
        if not wanted:
            found.clear_options()
            return
        await asyncio.sleep(TYPING)  # while keys come, only the last look is made
        if self.query_one("#wanted", Input).value.strip() != wanted:
            return
        try:
            rooms = await asyncio.to_thread(self.find, wanted)
        except Exception as exc:  # shown where the rooms would be; the console goes on
            self.query_one("#switcher-note", Static).update(self.say_error(exc))
            return
        if self.query_one("#wanted", Input).value.strip() != wanted:
            return
        matcher = Matcher(wanted)
        ranked = sorted(rooms, key=lambda room: _rank(matcher, wanted, room))[:SHOWN]
        found.clear_options()
        found.add_options(Option(_label(room), id=str(room["id"])) for room in ranked)
        note = "Enter opens · Esc goes back" if ranked else "no room matches; Esc goes back"
        self.query_one("#switcher-note", Static).update(note)
        if ranked:
            found.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        found = self.query_one("#found", OptionList)
        if found.highlighted is not None:
            self.dismiss(int(found.get_option_at_index(found.highlighted).id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def on_key(self, event: events.Key) -> None:
        found = self.query_one("#found", OptionList)
        if event.key == "escape":
            event.stop()
            self.dismiss(None)
        elif event.key in ("down", "up"):
            event.stop()
            found.action_cursor_down() if event.key == "down" else found.action_cursor_up()


def _rank(matcher: Matcher, wanted: str, room: dict) -> tuple:
    """The room whose id, user key or name is what was typed first, then the best loose
    matches."""
    exact = wanted in (str(room["id"]), room["user"], room["name"])
    score = max(matcher.match(room["name"] or ""), matcher.match(room["user"]))
    return (not exact, -score)


def _label(room: dict) -> str:
    name = cut(visible(room["name"] or room["user"]), 24)
    return f"{room['id']:>7}  {name}  {cut(visible(room['user']), 16)}  {status_of(room)}"
