"""Group commit: the events of requests that arrive while a transaction is being committed
are applied together in the next one (SQLite takes one writer at a time; a transaction a
request would make it the bottleneck), and each request learns what became of its own events
once its transaction committed. A request alone waits for nobody.

Requests come from the server's event loop, and their answers go back to it a group at a
time, in one wake-up of the loop rather than one a request. When the store cannot take a
group now (busy past its patience, away), the requests that came meanwhile are told so with
it, rather than each waiting that long again."""

import asyncio
import contextlib
import math
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kchat_cli.lines import Line

GROUP_BYTES = 4 << 20  # a group's events at most, so that a group stays one transaction

# line number -> ("applied" | "duplicate" | "refused", reason or None)
Results = dict[int, tuple[str, str | None]]
Apply = Callable[[list[Line]], Results]


@dataclass
class _Request:
    bodies: list[bytes]
    size: int
    done: asyncio.Future


class Committer:
    """Applies groups of requests with `apply` on a thread of its own, in arrival order."""

    def __init__(self, apply: Apply, unavailable: Callable[[BaseException], bool]):
        self.apply = apply
        self.unavailable = unavailable
        self.waiting: queue.Queue[_Request | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="kchat-commits", daemon=True)
        self.thread.start()

    def submit(self, bodies: list[bytes]) -> asyncio.Future:
        """A future, on the running event loop, of the events' results, in order: (result,
        reason) each."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.put(_Request(bodies, sum(map(len, bodies)), done))
        return done

    def close(self) -> None:
        """Apply what was submitted, then stop."""
        self.waiting.put(None)
        self.thread.join()

    def _run(self) -> None:
        ending = False
        while not ending:
            first = self.waiting.get()
            if first is None:
                return
            group, ending = self._gather(first)
            failure = self._commit(group)
            if failure is not None and self.unavailable(failure) and not ending:
                waiting, ending = self._gather(None, math.inf)
                _answer(waiting, [failure] * len(waiting))

    def _gather(self, first: _Request | None, limit: float = GROUP_BYTES):
        """The first request and those already waiting behind it, up to `limit` bytes:
        alone, a request is committed at once; under load, the requests that came during a
        commit go together in the next one. And whether the committer was closed."""
        group, size = ([], 0) if first is None else ([first], first.size)
        while size < limit:
            try:
                more = self.waiting.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return group, True
            group.append(more)
            size += more.size
        return group, False

    def _commit(self, group: list[_Request]) -> Exception | None:
        """Apply the group and answer its requests; the store's failure, if it failed."""
        lines, spans, number = [], [], 0
        for request in group:
            start = number + 1
            for body in request.bodies:
                number += 1
                lines.append((number, body))
            spans.append(range(start, number + 1))
        try:
            results = self.apply(lines)
        except BaseException as exc:  # the store failed: every request of the group is told
            _answer(group, [exc] * len(group))
            if not isinstance(exc, Exception):
                raise
            return exc
        _answer(group, [[results[line] for line in span] for span in spans])
        return None


def _answer(group: list[_Request], outcomes: list) -> None:
    """Settle the group's futures on their loop, in one wake-up (a future whose request
    was given up, its client gone, is left alone)."""

    if not group:
        return

    def settle() -> None:
        for request, outcome in zip(group, outcomes, strict=True):
            if request.done.done():
                continue
            if isinstance(outcome, BaseException):
                request.done.set_exception(outcome)
            else:
                request.done.set_result(outcome)

    # A loop already closed (the server stopped past its grace period) waits for no answer;
    # the events are committed all the same.
    with contextlib.suppress(RuntimeError):
        group[0].done.get_loop().call_soon_threadsafe(settle)
