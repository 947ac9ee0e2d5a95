"""Group commit: the events of requests that arrive while a transaction is being committed
are applied together in the next one (SQLite takes one writer at a time; a transaction a
request would make it the bottleneck), and each request learns what became of its own events
once its transaction committed. A request alone waits for nobody."""

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from kchat_cli.lines import Line

GROUP_BYTES = 4 << 20  # a group's events at most, so that a group stays one transaction

# line number -> ("applied" | "duplicate" | "refused", reason or None)
Results = dict[int, tuple[str, str | None]]
Apply = Callable[[list[Line]], Results]


@dataclass
class _Request:
    bodies: list[bytes]
    size: int
    done: Future = field(default_factory=Future)


class Committer:
    """Applies groups of requests with `apply` on a thread of its own, in arrival order."""

    def __init__(self, apply: Apply):
        self.apply = apply
        self.waiting: queue.Queue[_Request | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="kchat-commits", daemon=True)
        self.thread.start()

    def submit(self, bodies: list[bytes]) -> Future:
        """A future of the events' results, in order: (result, reason) each."""
        request = _Request(bodies, sum(map(len, bodies)))
        self.waiting.put(request)
        return request.done

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
            self._commit(group)

    def _gather(self, first: _Request) -> tuple[list[_Request], bool]:
        """The first request and those already waiting behind it: alone, a request is
        committed at once; under load, the requests that came during a commit go together
        in the next one."""
        group, size = [first], first.size
        while size < GROUP_BYTES:
            try:
                more = self.waiting.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return group, True
            group.append(more)
            size += more.size
        return group, False

    def _commit(self, group: list[_Request]) -> None:
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
            for request in group:
                request.done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for request, span in zip(group, spans, strict=True):
            request.done.set_result([results[line] for line in span])
