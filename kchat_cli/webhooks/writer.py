"""The receiver's writer: a process of its own that applies the groups of events the
committer hands it, the way `kchat ingest` applies them. One Python process runs one thread
at a time, and the HTTP side and the store's side each took about half of it: as two
processes, each has a core.

The writer ignores SIGINT and SIGTERM (a Ctrl-C in a terminal and systemd's stop reach every
process of the group): it stops once the receiver closes its end of the pipe, which the
receiver does after handing it everything submitted, and at once should the receiver die.
A writer that dies is started again for the next group; the group it held is answered 503,
so the platform sends it again (a duplicate, should it have been committed).
"""

import dataclasses
import multiprocessing
import signal
from multiprocessing.connection import wait

from kchat_cli.errors import KchatError, StoreNotReady, describe
from kchat_cli.lines import Line
from kchat_cli.webhooks.commits import Results

STOP_WITHIN = 10.0  # seconds the writer has to finish its group once told to stop


class NotApplied(Exception):
    """The writer did not apply a group; `unavailable`: the platform should send it again."""

    def __init__(self, reason: str, unavailable: bool):
        super().__init__(reason)
        self.unavailable = unavailable


class Writer:
    """A writer process for `rt`'s store and channel, started at once."""

    def __init__(self, rt):
        self.rt = dataclasses.replace(rt, _cache={})  # what the process is made from
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # not fork: this process has threads
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=_write, args=(theirs, self.rt), name="kchat-writer")
        self.process.start()
        theirs.close()
        try:
            kind, value = self.pipe.recv()
        except EOFError:
            kind, value = "refused", StoreNotReady("the receiver's writer did not start")
        if kind != "ready":
            self.close()
            raise value

    def apply(self, lines: list[Line]) -> Results:
        """The group applied in one transaction of the writer's."""
        if self._exited(0):
            self._restart()
        try:
            self.pipe.send(lines)
            kind, value = self.pipe.recv()
        except (EOFError, OSError):
            raise NotApplied("the writer stopped", unavailable=True) from None
        if kind != "applied":
            raise NotApplied(value, unavailable=kind == "unavailable")
        return value

    def _restart(self) -> None:
        self.close()
        try:
            self._start()
        except KchatError:  # the store cannot be opened now: tried again for the next group
            raise NotApplied("the writer could not start again", unavailable=True) from None

    def close(self) -> None:
        """Let the writer finish its group and stop."""
        self.pipe.close()
        if not self._exited(STOP_WITHIN):
            self.process.kill()
        self.process.join(1)

    def _exited(self, within: float) -> bool:
        """Whether the writer has exited, waiting up to `within` seconds. Told by its
        sentinel, not by waiting for its status, which the server's event loop may have
        collected first."""
        return bool(wait([self.process.sentinel], within))


def _write(pipe, rt) -> None:
    """The writer process: apply each group the receiver sends, answer what became of it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from kchat_cli.webhooks.server import applier, unavailable

    try:
        apply = applier(rt)
    except KchatError as exc:
        pipe.send(("refused", exc))
        return
    except Exception as exc:
        pipe.send(("refused", StoreNotReady(describe(exc))))
        return
    pipe.send(("ready", None))
    while True:
        try:
            lines = pipe.recv()
        except EOFError:
            return
        try:
            answer = ("applied", apply(lines))
        except Exception as exc:
            answer = ("unavailable" if unavailable(exc) else "failed", type(exc).__name__)
        try:
            pipe.send(answer)
        except OSError:  # the receiver is gone
            return
