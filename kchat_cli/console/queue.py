"""The queue of rooms: which rooms it lists (`Queue`), and the table that shows them. Typing
in the table (after Ctrl-O) goes to the input; Esc goes back there."""

import dataclasses
from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import DataTable

from kchat_cli.console import layout
from kchat_cli.domain.conversations.listing import RoomFilter

QUEUE_LIMIT = 200
COLUMNS = ("★", "ID", "CUSTOMER", "STATUS")
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


class QueueTable(DataTable):
    class Typed(Message):
        """A key meant for the input (or Esc, with no text): back to the input."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.widths: tuple | None = None
        self.rooms: list[dict] = []
        self.shown: dict[str, tuple] = {}  # the rows on screen, by room id

    def on_resize(self, _event: events.Resize) -> None:
        """Laid out again for its new width: every row keeps its status in view."""
        if self.rooms:
            self.show(self.rooms, self.size.width)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape" or (event.is_printable and event.character):
            event.stop()
            event.prevent_default()
            self.post_message(self.Typed("" if event.key == "escape" else event.character))
        else:
            await super()._on_key(event)

    def show(self, rooms: list[dict], width: int) -> None:
        """The rooms, two lines each. The cursor keeps its place: on the same room while the
        queue has focus (its admin is choosing), else on the same row, so that the waiting
        customers stay in view as answered rooms move down."""
        self.rooms = rooms
        keep = self._cursor_room() if self.has_focus else None
        row = self.cursor_row
        widths = layout.queue_widths(self.size.width or width, rooms)
        rows = {str(room["id"]): layout.queue_row(room, widths) for room in rooms}
        if widths == self.widths and list(rows) == list(self.shown):
            self._update_changed(rows)
        else:
            self._rebuild(widths, rows)
        self.shown = rows
        ids = [room["id"] for room in rooms]
        if keep in ids:
            row = ids.index(keep)
        if rooms:
            self.move_cursor(row=min(max(row, 0), len(rooms) - 1), animate=False)

    def _update_changed(self, rows: dict[str, tuple]) -> None:
        """The same rooms in the same order (a burst mostly changes their counts): only the
        cells that changed are drawn again, not two hundred rows."""
        for key, cells in rows.items():
            for column, cell, before in zip(COLUMNS, cells, self.shown[key], strict=True):
                if cell != before:
                    self.update_cell(key, column, cell)

    def _rebuild(self, widths: tuple, rows: dict[str, tuple]) -> None:
        if widths != self.widths:
            self.clear(columns=True)
            for name, width in zip(COLUMNS, widths, strict=True):
                self.add_column(name, width=width, key=name)
            self.widths = widths
        else:
            self.clear()
        for key, cells in rows.items():
            self.add_row(*cells, key=key, height=2)

    def _cursor_room(self) -> int | None:
        if not self.row_count:
            return None
        return int(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)
