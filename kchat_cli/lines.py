"""Reading inbound lines from a file, a pipe, a FIFO or a terminal, whatever they hold.

A line ends at LF, CRLF or a lone CR; a line longer than MAX_LINE is cut off and reported
instead of being held in memory; a UTF-8 byte order mark before the first line is dropped.
Lines are numbered as a text editor numbers them. When a pipe, FIFO or terminal pauses
(nothing more to read for PAUSE_AFTER seconds), `PAUSE` is yielded, so that what was read so
far can be committed before the reader waits; a regular file never pauses.
"""

import os
import re
import select
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 1 << 20  # bytes
BLOCK = 1 << 16
PAUSE_AFTER = 0.01  # seconds: a writer that keeps writing refills a pipe sooner
BOM = b"\xef\xbb\xbf"
PAUSE = None
_LINE_END = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    raw: bytes
    too_long: bool = False


class _Splitter:
    """Cuts blocks of bytes into lines; holds the unfinished end of the last block."""

    def __init__(self):
        self.number = 0
        self.pending = b""
        self.overflow = False
        self.skip_lf = False  # a CR ended the last line: an LF right after it is its pair

    def feed(self, block: bytes) -> Iterator[Line]:
        if self.skip_lf and block.startswith(b"\n"):
            block = block[1:]
        self.skip_lf = False
        data, start = self.pending + block, 0
        carry = b""
        if data.endswith(b"\r"):
            # Maybe the first half of a CRLF: decided by the next block (or a pause).
            data, carry = data[:-1], b"\r"
        for end in _LINE_END.finditer(data):
            yield self._line(data[start : end.start()])
            start = end.end()
        self.pending = data[start:] + carry
        if len(self.pending) > MAX_LINE + 1:
            # Keep the start of an overlong line for the report; drop the rest as it comes.
            self.pending, self.overflow = self.pending[:MAX_LINE], True

    def flush_cr(self) -> Iterator[Line]:
        """At a pause: a line that ends with a CR is complete."""
        if self.pending.endswith(b"\r"):
            yield self._line(self.pending[:-1])
            self.pending, self.skip_lf = b"", True

    def end(self) -> Iterator[Line]:
        rest = self.pending.rstrip(b"\r")
        if rest or self.overflow:
            yield self._line(rest)
        self.pending = b""

    def _line(self, raw: bytes) -> Line:
        self.number += 1
        line = Line(self.number, raw[:MAX_LINE], too_long=self.overflow or len(raw) > MAX_LINE)
        self.overflow = False
        return line


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


def numbered(texts: Iterable[str]) -> Iterator[Line]:
    """Lines made in memory (the demo's events), numbered from 1."""
    for number, text in enumerate(texts, start=1):
        yield Line(number, text.encode())
