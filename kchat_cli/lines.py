"""Reading inbound lines from a file, a pipe, a FIFO or a terminal, whatever they hold.

A line ends at LF, CRLF or a lone CR; a line longer than MAX_LINE is cut short, as an
`Overlong`, instead of being held in memory; a UTF-8 byte order mark before the first line
is dropped. Lines are numbered as a text editor numbers them. When a pipe, FIFO or terminal
pauses (nothing more to read for PAUSE_AFTER seconds), `PAUSE` is yielded, so that what was
read so far can be committed before the reader waits; a regular file never pauses.
"""

import os
import re
import select
import stat
from collections.abc import Iterable, Iterator
from typing import BinaryIO

MAX_LINE = 1 << 20  # bytes
BLOCK = 1 << 16
PAUSE_AFTER = 0.01  # seconds: a writer that keeps writing refills a pipe sooner
BOM = b"\xef\xbb\xbf"
PAUSE = None
_LINE_END = re.compile(rb"\r\n|\r|\n")

# A line as read: its number and its bytes (an Overlong when cut short).
Line = tuple[int, bytes]


class Overlong(bytes):
    """The first MAX_LINE bytes of a line that was longer."""


class _Splitter:
    """Cuts blocks of bytes into numbered lines; holds the unfinished end of the last one."""

    def __init__(self):
        self.number = 0
        self.pending = b""
        self.overflow = False  # the pending line was cut short
        self.skip_lf = False  # a CR ended the last line: an LF right after it is its pair

    def feed(self, block: bytes) -> Iterator[Line]:
        if self.skip_lf and block.startswith(b"\n"):
            block = block[1:]
        self.skip_lf = False
        data = self.pending + block if self.pending else block
        if b"\r" in data:
            # Maybe the first half of a CRLF at the end: decided by the next block or a pause.
            carry = b"\r" if data.endswith(b"\r") else b""
            lines = _LINE_END.split(data[:-1] if carry else data)
        else:
            carry, lines = b"", data.split(b"\n")
        self.pending = lines.pop() + carry
        if lines and self.overflow:
            lines[0], self.overflow = Overlong(lines[0][:MAX_LINE]), False
        start = self.number
        self.number += len(lines)
        for number, raw in enumerate(lines, start + 1):
            yield number, (raw if len(raw) <= MAX_LINE else Overlong(raw[:MAX_LINE]))
        if len(self.pending) > MAX_LINE:
            # Keep the start of an overlong line for the report; drop the rest as it comes.
            self.pending, self.overflow = self.pending[: MAX_LINE + 1], True

    def flush_cr(self) -> Iterator[Line]:
        """At a pause: a line that ends with a CR is complete."""
        if self.pending.endswith(b"\r"):
            yield from self._last(self.pending[:-1])
            self.skip_lf = True

    def end(self) -> Iterator[Line]:
        yield from self._last(self.pending.rstrip(b"\r"))

    def _last(self, raw: bytes) -> Iterator[Line]:
        if raw or self.overflow:
            self.number += 1
            overlong = self.overflow or len(raw) > MAX_LINE
            yield self.number, (Overlong(raw[:MAX_LINE]) if overlong else raw)
        self.pending, self.overflow = b"", False


def read_lines(stream: BinaryIO) -> Iterator[Line | None]:
    """The lines of `stream`, numbered from 1, with `PAUSE` wherever the input pauses."""
    fd = _watched(stream)
    read = stream.read1 if hasattr(stream, "read1") else stream.read
    splitter, first = _Splitter(), True
    while True:
        if fd is not None and not _readable(fd, PAUSE_AFTER):
            yield from splitter.flush_cr()
            yield PAUSE
        block = read(BLOCK)
        if not block:
            break
        if first:
            block, first = block.removeprefix(BOM), False
        yield from splitter.feed(block)
    yield from splitter.end()


def numbered(texts: Iterable[str]) -> Iterator[Line]:
    """Lines made in memory (the demo's events), numbered from 1."""
    for number, text in enumerate(texts, start=1):
        yield number, text.encode()


def _watched(stream: BinaryIO) -> int | None:
    """The descriptor to watch for pauses: pipes, FIFOs and terminals; None for files."""
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else fd


def _readable(fd: int, timeout: float) -> bool:
    readable, _, _ = select.select([fd], [], [], timeout)
    return bool(readable)
