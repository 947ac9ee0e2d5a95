"""A progress line for long work, on stderr when it is a terminal (Rich, which Typer brings);
nothing at all otherwise, so scripts and logs see only kchat's summaries."""

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

Update = Callable[..., None]


@contextmanager
def progress(what: str, unit: str, total: int | None = None) -> Iterator[Update]:
    """Yields `update(done, count=done)`: `done` of `total` (when known) fills the bar, and
    `count` of `unit` is shown with its rate since the start."""
    if not sys.stderr.isatty():
        yield lambda done, count=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    started = time.monotonic()
    columns = [TextColumn("{task.description}")]
    if total:
        columns += [BarColumn(), TaskProgressColumn()]
    columns.append(TextColumn("{task.fields[counts]}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total, counts="")

        def update(done: int, count: int | None = None) -> None:
            count = done if count is None else count
            rate = count / max(time.monotonic() - started, 1e-3)
            bar.update(task, completed=done, counts=f"{count:,} {unit}, {rate:,.0f}/s")

        yield update


def tracked(rows: Iterable, what: str, unit: str, every: int = 5000) -> Iterable:
    """`rows` as they are, counted on a progress line when stderr is a terminal (and not
    looked at otherwise: exports stream millions of them)."""
    if not sys.stderr.isatty():
        return rows
    return _counted(rows, what, unit, every)


def _counted(rows: Iterable, what: str, unit: str, every: int) -> Iterator:
    with progress(what, unit) as update:
        count = 0
        for count, row in enumerate(rows, start=1):
            if count % every == 0:
                update(count)
            yield row
        update(count)
