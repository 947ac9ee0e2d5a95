"""The input line: Enter sends, the keys people try for a new line start one (keys.py), Tab
asks to complete. What was typed stays in the input until the console says it was sent."""

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from kchat_cli.console.keys import starts_a_line


class Composer(TextArea):
    class Submitted(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    class Completing(Message):
        """Tab: the console completes what was typed (a saved reply's name)."""

    class Left(Message):
        """Escape: back to the open room from a list shown in its place."""

    def __init__(self, **kwargs):
        super().__init__(soft_wrap=True, show_line_numbers=False, **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            self._take(event, self.Submitted(self.text))
        elif starts_a_line(event):
            self._take(event)
            if not self.read_only:
                self.insert("\n")
        elif event.key == "tab":
            self._take(event, self.Completing())
        elif event.key == "escape":
            self._take(event, self.Left())
        else:
            await super()._on_key(event)

    def _take(self, event: events.Key, message: Message | None = None) -> None:
        event.stop()
        event.prevent_default()
        if message is not None:
            self.post_message(message)

    def replace_text(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)
