"""The cyclic garbage collector, paused for work over millions of rows (ingest, export,
retention): they allocate millions of short-lived objects that reference counting frees,
and the collector, left on, spends up to a tenth of the time scanning them. The caller of
such work (a command, the job runner) decides, not the work itself."""

import contextlib
import gc
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def paused() -> Iterator[Callable[[], None]]:
    """The collector off until the end; call what this yields between batches to collect
    once per batch instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        if enabled:
            gc.enable()
