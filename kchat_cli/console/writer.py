"""The console's writes, one at a time and in the order asked, on a thread of their own: a
store held by another writer keeps a reply waiting, never the screen."""

import queue
import threading
from collections.abc import Callable
from typing import Any


class Writer:
    def __init__(self, app):
        self.app = app
        self.pending = 0  # writes asked for and not yet answered; read on the screen's thread
        self._jobs: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, name="kchat-writes", daemon=True).start()

    def submit(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None],
    ) -> None:
        """Run `work` after the writes before it; then `done(result)` or `failed(error)` on
        the screen's thread."""
        self.pending += 1
        self._jobs.put((work, done, failed))

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, done, failed = job
            try:
                answer, value = done, work()
            except Exception as exc:  # handed to the screen, which says what went wrong
                answer, value = failed, exc
            if not self.app.is_running:  # the console has ended: nobody to answer
                return
            try:
                self.app.call_from_thread(self._answer, answer, value)
            except RuntimeError:  # it ended meanwhile
                return

    def _answer(self, answer: Callable, value: Any) -> None:
        self.pending -= 1
        answer(value)
