"""The receiver's writer: a process of its own that applies the groups of events the
committer hands it, the way `kchat ingest` applies them. One Python process runs one thread
at a time, and the HTTP side and the store's side each took about half of it: as two
processes, each has a core.

The writer ignores SIGINT and SIGTERM (a Ctrl-C in a terminal and systemd's stop reach every
process of the group): it stops once the receiver closes its end of the pipe, which the
receiver does after handing it everything submitted, and is killed with the receiver (on
Linux). A writer that does not answer within ANSWER_WITHIN (a store that stopped answering,
which no timeout of its own ends), or by the receiver's stop, is killed; one that dies is
started again for the next group. The group it held is answered 503, so the platform sends
it again (a duplicate, should it have been committed).
"""

import ctypes
import dataclasses
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait

from kchat_cli.errors import KchatError, StoreNotReady, describe
from kchat_cli.lines import Line
from kchat_cli.webhooks.commits import Results

# A group's answer at most: the store's patience for a lock (5 s) and the group's own work.
ANSWER_WITHIN = 8.0  # seconds
STARTED_WITHIN = 8.0  # seconds for a new writer to open the store
TICK = 0.1  # seconds between looks at the receiver's stop while a group is out


class NotApplied(Exception):
    """The writer did not apply a group; `unavailable`: the platform should send it again."""

    def __init__(self, reason: str, unavailable: bool):
        super().__init__(reason)
        self.unavailable = unavailable


class Writer:
    """A writer process for `rt`'s store and channel, started at once."""

    def __init__(self, rt):
        self.rt = dataclasses.replace(rt, _cache={})  # what the process is made from
        self.stop_at = float("inf")  # time.monotonic() by which the receiver must be done
        self._start()

    def stop_by(self, moment: float) -> None:
        """The receiver stops: a group not answered by `moment` is given up (called from a
        signal handler, so it only sets the moment)."""
        self.stop_at = min(self.stop_at, moment)

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # not fork: this process has threads
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(
            target=_write, args=(theirs, self.rt, os.getpid()), name="kchat-writer"
        )
        self.process.start()
        theirs.close()
        try:
            kind, value = self._answer(STARTED_WITHIN)
        except NotApplied:
            kind, value = "refused", StoreNotReady("the store did not answer the receiver's writer")
        if kind != "ready":
            self.close()
            raise value

    def apply(self, lines: list[Line]) -> Results:
        """The group applied in one transaction of the writer's."""
        if self._exited(0):
            self._restart()
        try:
            self.pipe.send(lines)
        except OSError:
            raise NotApplied("the writer stopped", unavailable=True) from None
        kind, value = self._answer(ANSWER_WITHIN)
        if kind != "applied":
            raise NotApplied(value, unavailable=kind == "unavailable")
        return value

    def _answer(self, within: float) -> tuple:
        """The writer's next answer, waited for `within` seconds at most and no later than
        the receiver's stop; a writer that does not answer is killed."""
        deadline = time.monotonic() + within
        while not self.pipe.poll(TICK):
            if time.monotonic() >= min(deadline, self.stop_at):
                self.process.kill()
                raise NotApplied("the writer did not answer in time", unavailable=True)
        try:
            return self.pipe.recv()
        except (EOFError, OSError):
            raise NotApplied("the writer stopped", unavailable=True) from None

    def _restart(self) -> None:
        self.close()
        if time.monotonic() >= self.stop_at:
            raise NotApplied("the receiver is stopping", unavailable=True)
        try:
            self._start()
        except KchatError:  # the store cannot be opened now: tried again for the next group
            raise NotApplied("the writer could not start again", unavailable=True) from None

    def close(self) -> None:
        """Stop the writer: it is idle (every group was answered), so it exits as its pipe
        closes; one that does not is killed."""
        self.pipe.close()
        if not self._exited(1.0):
            self.process.kill()
        self.process.join(1)

    def _exited(self, within: float) -> bool:
        """Whether the writer has exited, waiting up to `within` seconds. Told by its
        sentinel, not by waiting for its status, which the server's event loop may have
        collected first."""
        return bool(wait([self.process.sentinel], within))


def _write(pipe, rt, receiver: int) -> None:
    """The writer process: apply each group the receiver sends, answer what became of it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with(receiver)
    from kchat_cli.webhooks.server import applier, one_line_logs, unavailable

    one_line_logs()

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


def _die_with(receiver: int) -> None:
    """Be killed when the receiver's thread that started this process ends (Linux's parent
    death signal): a writer waiting on a store that stopped answering would otherwise
    outlive it, holding a connection and a transaction it might still commit."""
    if sys.platform != "linux":
        return
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != receiver:  # the receiver died before the call
        os._exit(1)
