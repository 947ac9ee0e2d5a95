"""The one renderer: every record a command prints goes through `emit`.

stdout carries data only; a table is for people, json/jsonl/csv/ids are for scripts. What
customers and admins typed is hostile (R-INPUT-1): tables and messages show it through
`visible`, JSON escapes what a terminal would act on and stays exact data, and CSV cells
that a spreadsheet would run as a formula are neutralized.

A table fits the terminal (or COLUMNS): its widest text column is cut with … first, never
ids, numbers or times; piped with no COLUMNS, nothing is cut. Colour only on a terminal, and
not with NO_COLOR set; Rich is imported only then.
"""

import contextlib
import csv
import enum
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple, TextIO

from kchat_cli.clock import KST, kst_iso
from kchat_cli.domain.hostile import spreadsheet_safe
from kchat_cli.errors import Invalid
from kchat_cli.safe_json import json_text


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


class Column(NamedTuple):
    """A table column: its header and how to show it from a record.

    `cut`: whether it may be cut with … to fit the terminal; by default a column of text may,
    one of ids, numbers, times or yes/no may not. `wrap`: a long cell goes on over the next
    lines instead. `style`: the Rich style of a cell's text on a colour terminal."""

    header: str
    show: Callable[[dict], Any]
    cut: bool | None = None
    wrap: bool = False
    style: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class Screen:
    """Where a table goes: `width` to fit it in (None: nothing cut, whole values for
    scripts), `height` (None: not a terminal, so never paged) and whether to colour it."""

    width: int | None = None
    height: int | None = None
    colour: bool = False


def screen_of(out: TextIO) -> Screen:
    """A terminal: its size (COLUMNS and LINES first), in colour unless NO_COLOR is set (to
    anything). Anything else: the width in COLUMNS if set, and no colour."""
    if _is_terminal(out):
        size = shutil.get_terminal_size()
        colour = "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        return Screen(size.columns, size.lines, colour)
    columns = os.environ.get("COLUMNS", "")
    return Screen(int(columns) if columns.isdigit() and int(columns) > 0 else None)


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


# Statuses of rooms, outbox items and job runs: colours that read on light and dark
# backgrounds alike (no yellow, cyan, blue or white).
STATUS_STYLES = {
    "unread": "bold red",
    "unanswered": "magenta",
    "answered": "green",
    "completed": "dim",
    "pending": "magenta",
    "sent": "green",
    "failed": "bold red",
    "ok": "green",
    "running": "magenta",
    "error": "bold red",
    "interrupted": "red",
    "stopped": "red",
    "missed": "red",
}


def status_style(text: str) -> str | None:
    return STATUS_STYLES.get(text)


def count_style(text: str) -> str | None:
    """A count that asks for attention (unread messages): bold unless zero."""
    return "bold" if text not in ("", "0") else None


# What a terminal acts on: C0 and C1 controls (ESC starts escape sequences), DEL,
# bidirectional overrides and isolates, line and paragraph separators, lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SHOWN_AS = {"\n": "↵", "\t": "\\t", "\r": "\\r"}


def visible(text: str) -> str:
    """Text safe to print on a terminal: controls, escape sequences and bidirectional
    overrides shown escaped (`\\x1b`, `\\u202e`), a newline as ↵, so nothing typed can move
    the cursor, retitle the window or forge a line."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    return _SHOWN_AS.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def field(name: str) -> Callable[[dict], Any]:
    return lambda record: record.get(name)


def short_time(value: datetime | None) -> str:
    return value.astimezone(KST).strftime("%Y-%m-%d %H:%M") if value else ""


def clip(limit: int) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        text = "" if value is None else " ".join(str(value).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return show


def plain(value: Any) -> Any:
    """A value as scripts see it: times in Korea time ISO 8601."""
    if isinstance(value, datetime):
        return kst_iso(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def _cell(value: Any) -> Any:
    """A CSV cell. Checked by exact type first: exports write millions of them."""
    kind = type(value)
    if kind is str:
        return spreadsheet_safe(value)
    if kind is int or value is None:
        return value
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return kst_iso(value)
    if isinstance(value, dict):
        return spreadsheet_safe(json.dumps(plain(value), ensure_ascii=False))
    if isinstance(value, list | tuple):
        return spreadsheet_safe(";".join(str(item) for item in value))
    return value


def emit(
    records: Iterable[dict | tuple],
    fmt: Format,
    *,
    fields: Sequence[str],
    table: Sequence[Column] | None = None,
    empty: str = "nothing to show",
    stream: TextIO | None = None,
    plain: bool = False,
    screen: Screen | None = None,
) -> int:
    """Write records in `fmt`; return how many were written. Streams for all but table.

    A record is a dict with (at least) `fields`, or a tuple of their values in that order.
    A table fits `screen`, by default the one `stream` shows on.
    `plain` promises that every value is a str, an int or None, which json and csv write as
    they are (text for csv already spreadsheet-safe): exports stream millions of such rows
    without a look at each value."""
    out = stream or sys.stdout
    if fmt is Format.ids and "id" not in fields:
        raise Invalid("these records have no ids", "use -o json, jsonl, csv or table")
    rows = _rows(records, fields)
    if fmt is Format.table:
        records = [dict(zip(fields, row, strict=True)) for row in rows]
        columns = table or [Column(_header(name), field(name)) for name in fields]
        return _table(records, columns, empty, out, screen or screen_of(out))
    counter = itertools.count()
    counted = map(itemgetter(0), zip(rows, counter, strict=False))  # counts in C
    _WRITERS[fmt](out, counted, fields, plain)
    return next(counter)


def _rows(records: Iterable[dict | tuple], fields: Sequence[str]) -> Iterator[tuple]:
    records = iter(records)
    first = next(records, None)
    if first is None:
        return iter(())
    rows = itertools.chain((first,), records)
    return map(itemgetter(*fields), rows) if isinstance(first, dict) else rows


def _json_text(fields: Sequence[str], plain_values: bool) -> Callable[[tuple], str]:
    if plain_values:
        return lambda row: json_text(dict(zip(fields, row, strict=True)))
    return lambda row: json_text(plain(dict(zip(fields, row, strict=True))))


def _write_json(out: TextIO, rows: Iterator[tuple], fields: Sequence[str], as_is: bool) -> None:
    text = _json_text(fields, as_is)
    out.write("[")
    index = -1
    for index, row in enumerate(rows):
        out.write(",\n  " if index else "\n  ")
        out.write(text(row))
    out.write("\n]\n" if index >= 0 else "]\n")


def _write_jsonl(out: TextIO, rows: Iterator[tuple], fields: Sequence[str], as_is: bool) -> None:
    text = _json_text(fields, as_is)
    out.writelines(text(row) + "\n" for row in rows)


def _write_csv(out: TextIO, rows: Iterator[tuple], fields: Sequence[str], as_is: bool) -> None:
    # CRLF ends a row, as RFC 4180 has it; with it the writer quotes a cell holding a lone
    # CR too, which would otherwise split the row in a spreadsheet and start a cell raw.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    if out.isatty():  # a person reads it: nothing raw reaches the terminal
        rows = (
            [visible(str(_cell(value))) if value is not None else None for value in row]
            for row in rows
        )
    elif not as_is:
        rows = ([_cell(value) for value in row] for row in rows)
    writer.writerows(rows)


def _write_ids(out: TextIO, rows: Iterator[tuple], fields: Sequence[str], _as_is: bool) -> None:
    position = list(fields).index("id")
    out.writelines(f"{row[position]}\n" for row in rows)


_WRITERS = {
    Format.json: _write_json,
    Format.jsonl: _write_jsonl,
    Format.csv: _write_csv,
    Format.ids: _write_ids,
}


GAP = "  "  # between columns
DEFAULT_PAGER = "less -FRX"


def _header(name: str) -> str:
    """A field's name as a table header: UPPER CASE, like every table's."""
    return name.replace("_", " ").upper()


def cell_width(text: str) -> int:
    """How many columns `text` takes on a terminal: Korean and other wide characters two."""
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    from wcwidth import wcwidth

    return max(wcwidth(char), 0)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in … when cut."""
    if cell_width(text) <= width:
        return text
    head, _ = _split_at(text, width - 1)
    return head + "…"


def _split_at(text: str, width: int) -> tuple[str, str]:
    """The longest head of `text` within `width` columns (one character at least), and the
    rest."""
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > width and index:
            return text[:index], text[index:]
    return text, ""


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces where it can be."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        size = cell_width(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        while size > width:
            head, word = _split_at(word, width)
            lines.append(head)
            size = cell_width(word)
        line, used = word, size
    return [*lines, line]


def _table(
    records: list[dict], columns: Sequence[Column], empty: str, out: TextIO, screen: Screen
) -> int:
    if not records:
        print(empty, file=sys.stderr)
        return 0
    columns = [Column(*column) for column in columns]
    values = [[column.show(record) for column in columns] for record in records]
    cells = [[visible(str(_table_value(value))) for value in row] for row in values]
    headers = [column.header for column in columns]
    natural = [
        max(cell_width(text) for text in [header, *column_cells])
        for header, column_cells in zip(headers, zip(*cells, strict=True), strict=True)
    ]
    widths = natural
    if screen.width is not None:
        shrinkable = [
            index
            for index, column in enumerate(columns)
            if column.wrap or _is_text(column, [row[index] for row in values])
        ]
        widths = _fit(natural, headers, shrinkable, screen.width)
    import tabulate as layout

    layout.MIN_PADDING = 0  # the widths were fitted: tabulate is not to widen the headers

    rows = [_fitted_cells(row, columns, widths, screen.colour) for row in cells]
    header = [
        _paint(cut(h, w), "bold") if screen.colour else cut(h, w)
        for h, w in zip(headers, widths, strict=True)
    ]
    table = layout.tabulate(rows, header, tablefmt="simple", disable_numparse=True, stralign="left")
    out.write("\n".join(line.rstrip() for line in table.splitlines()) + "\n")
    return len(records)


def _is_text(column: Column, values: list) -> bool:
    """Whether a column may be cut: text may, ids, numbers, times and yes/no may not."""
    if column.cut is not None:
        return column.cut
    return not any(isinstance(value, int | float | datetime) for value in values)


def _fit(natural: list[int], headers: list[str], shrinkable: list[int], budget: int) -> list[int]:
    """Column widths within `budget` columns: the widest shrinkable column is cut first, down
    to its header's width, then, if still too wide, down to a few columns."""
    widths = list(natural)
    for floor in (cell_width, lambda _: 3):
        floors = [min(natural[i], max(floor(headers[i]), 2)) for i in range(len(natural))]
        excess = sum(widths) + len(GAP) * (len(widths) - 1) - budget
        while excess > 0:
            open_ = [i for i in shrinkable if widths[i] > floors[i]]
            if not open_:
                break
            widest = max(open_, key=widths.__getitem__)
            runner_up = max((widths[i] for i in open_ if i != widest), default=0)
            level = min(runner_up, widths[widest] - 1)
            target = max(floors[widest], widths[widest] - excess, level)
            excess -= widths[widest] - target
            widths[widest] = target
    return widths


def _fitted_cells(row: list[str], columns: list[Column], widths: list[int], colour: bool):
    """A record's cells within their columns' widths: cut, or wrapped over several lines;
    painted in their columns' styles on a colour terminal."""
    fitted = []
    for text, column, width in zip(row, columns, widths, strict=True):
        lines = wrap(text, width) if column.wrap else [cut(text, width)]
        style = column.style(text) if colour and column.style and text else None
        fitted.append("\n".join(_paint(line, style) if style else line for line in lines))
    return fitted


def _paint(text: str, style: str) -> str:
    from rich.style import Style

    return Style.parse(style).render(text)


def _table_value(value: Any) -> Any:
    if isinstance(value, dict):
        return " ".join(f"{key}={_inline(item)}" for key, item in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return short_time(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else value


def _inline(value: Any) -> Any:
    """A value inside a table cell's key=value pairs: a record's values in a row."""
    if isinstance(value, dict):
        return " ".join(str(_table_value(item)) for item in value.values())
    return _table_value(value)


def page(text: str, screen: Screen, out: TextIO | None = None) -> None:
    """Write `text`; on a terminal, through $PAGER (less -FRX by default) when it is longer
    than the screen. kchat ignores Ctrl-C while the pager runs, as git does: the pager
    decides what it means, and quitting it leaves cleanly. A pager that fails (exits non-zero
    but not by a signal, as `false` or a missing one does) showed nothing: the text is
    written directly, so that what the caller marks as shown was shown."""
    out = out or sys.stdout
    command = os.environ.get("PAGER", DEFAULT_PAGER).strip()
    if screen.height is None or not command or text.count("\n") < screen.height:
        out.write(text)
        return
    out.flush()
    pager = subprocess.Popen(  # $PAGER is a shell command line, as for git and man
        command, shell=True, stdin=subprocess.PIPE, env={"LESS": "FRX", **os.environ}
    )
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with contextlib.suppress(BrokenPipeError), pager.stdin as pipe:
            pipe.write(text.encode(out.encoding or "utf-8", "replace"))
        returncode = pager.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if 0 < returncode <= 128:  # above 128, or below 0: a signal, the user's way out
        out.write(text)


def emit_one(
    record: dict, fmt: Format, *, fields: Sequence[str], stream: TextIO | None = None
) -> None:
    """A single record: json as an object; a table as `key  value` lines."""
    out = stream or sys.stdout
    if fmt is Format.json:
        out.write(json_text(plain({k: record.get(k) for k in fields}), indent=2) + "\n")
    elif fmt is Format.table:
        out.write(_key_values(record, fields, screen_of(out)))
    else:
        emit([record], fmt, fields=fields, stream=out)


def _key_values(record: dict, fields: Sequence[str], screen: Screen) -> str:
    """`key  value` lines, a long value wrapped under itself to fit the screen; a value of
    several `key=value` pairs one pair a line."""
    indent = max(len(name) for name in fields) + len(GAP)
    room = max(screen.width - indent, 20) if screen.width else None
    lines = []
    for name in fields:
        value = record.get(name)
        if isinstance(value, dict):
            parts = [f"{key}={_inline(item)}" for key, item in value.items()] or [""]
        else:
            parts = [_table_value(value)]
        shown = [line for part in parts for line in _wrap_or_not(visible(str(part)), room)]
        lines.append(f"{name.ljust(indent)}{shown[0]}".rstrip())
        lines += [" " * indent + more for more in shown[1:]]
    return "\n".join(lines) + "\n"


def _wrap_or_not(text: str, width: int | None) -> list[str]:
    return wrap(text, width) if width else [text]
