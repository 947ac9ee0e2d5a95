"""The open room's messages, in the order they came. It knows on which line each message
begins, so that the console reads only what has been on the screen (`seen_through`), and it
says when it scrolls, so that what scrolls into view is read then."""

from rich.text import Text
from textual.message import Message
from textual.widgets import RichLog

from kchat_cli.console import layout
from kchat_cli.domain.vocabulary import counted


class Conversation(RichLog, can_focus=False):
    class Scrolled(Message):
        """What is on the screen may have changed."""

    def __init__(self, **kwargs):
        super().__init__(wrap=True, auto_scroll=False, min_width=20, **kwargs)
        self.starts: list[tuple[int, int]] = []  # (line, seq) of each message, in order
        self.day: str | None = None
        self.first_new: int | None = None  # the id of the message the `── new ──` line is over
        self.following = True  # its end is in view: what arrives is shown as it comes
        self.width_seen = 0  # the text's width when last on the screen

    def write(self, content, **kwargs) -> "Conversation":
        """Lines wrapped to the width the pane has on the screen, even while a list hides
        it (RichLog would wrap them at its minimum width then)."""
        width = self.scrollable_content_region.width or self.width_seen
        return super().write(content, width=width or None, **kwargs)

    def on_resize(self, _event) -> None:
        if self.scrollable_content_region.width:
            self.width_seen = self.scrollable_content_region.width
        if self.following:  # the status line or the input grew: the end stays in view
            self.scroll_end(animate=False, immediate=True)

    def show(self, messages: list[dict], *, older: int, first_new: int | None) -> None:
        """The room afresh: a note of what came before, then the messages, the view at the
        first new one (or at the end)."""
        self.clear()
        self.starts, self.day, self.first_new = [], None, first_new
        if older:
            note = f"… {counted(older, 'older message')}: PgUp at the top shows them"
            self.write(Text(note, style="dim"))
        marker = self.add(messages)
        if marker is None:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=marker, animate=False, immediate=True)

    def add(self, messages: list[dict]) -> int | None:
        """The messages under what is shown; the line of the `── new ──` line, if it went in
        now."""
        marker = None
        for message in messages:
            if layout.day_of(message) != self.day:
                self.day = layout.day_of(message)
                self.write(Text(f"── {self.day} ──", style="dim"))
            if message["id"] == self.first_new:
                marker = len(self.lines)
                self.write(Text("── new ──", style="bold"))
            self.starts.append((len(self.lines), message["seq"]))
            self.write(layout.message_line(message))
        return marker

    def line_of(self, seq: int) -> int | None:
        """The line where message number `seq` begins, if it is shown."""
        return next((line for line, shown in self.starts if shown == seq), None)

    def follow(self, first_line: int) -> None:
        """After messages were added at the end while it showed the end: the end again, but
        never past the first of them unseen (a burst taller than the screen)."""
        self.scroll_to(y=min(first_line, self.max_scroll_y), animate=False, immediate=True)

    def seen_through(self) -> int | None:
        """The number of the last message whose first line is on the screen now: it and all
        before it have been on the screen (they are read in the order they came)."""
        if not self.display or not self.starts:
            return None
        bottom = self.scroll_y + self.scrollable_content_region.height
        seen = [seq for line, seq in self.starts if line < bottom]
        return seen[-1] if seen else None

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.following = self.is_vertical_scroll_end
        self.post_message(self.Scrolled())
