"""The one renderer: every record a command prints goes through `emit`.

stdout carries data only; a table is for people, json/jsonl/csv/ids are for scripts. What
customers and admins typed is hostile (R-INPUT-1): tables and messages show it through
`visible`, JSON escapes what a terminal would act on and stays exact data, and CSV cells
that a spreadsheet would run as a formula are neutralized.
"""

import csv
import enum
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TextIO

from kchat_cli.clock import KST, kst_iso
from kchat_cli.domain.hostile import spreadsheet_safe
from kchat_cli.errors import Invalid
from kchat_cli.safe_json import JSON_ESCAPES, json_text


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


# A table column: its header and how to show it from a record.
Column = tuple[str, Callable[[dict], Any]]

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
) -> int:
    """Write records in `fmt`; return how many were written. Streams for all but table.

    A record is a dict with (at least) `fields`, or a tuple of their values in that order.
    `plain` promises that every value is a str, an int or None, which json and csv write as
    they are (text for csv already spreadsheet-safe): exports stream millions of such rows
    without a look at each value."""
    out = stream or sys.stdout
    if fmt is Format.ids and "id" not in fields:
        raise Invalid("these records have no ids", "use -o json, jsonl, csv or table")
    rows = _rows(records, fields)
    if fmt is Format.table:
        records = [dict(zip(fields, row, strict=True)) for row in rows]
        return _table(records, table or [(name, field(name)) for name in fields], empty, out)
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
    writer = csv.writer(out, lineterminator="\n")
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


def _table(records: list[dict], columns: Sequence[Column], empty: str, out: TextIO) -> int:
    if not records:
        print(empty, file=sys.stderr)
        return 0
    from tabulate import tabulate

    rows = [[visible(str(_table_value(show(record)))) for _, show in columns] for record in records]
    out.write(
        tabulate(
            rows,
            headers=[header for header, _ in columns],
            tablefmt="simple",
            disable_numparse=True,
        )
    )
    out.write("\n")
    return len(records)


def _table_value(value: Any) -> Any:
    if isinstance(value, dict):
        return " ".join(f"{key}={item}" for key, item in value.items())
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return short_time(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else value


def emit_one(
    record: dict, fmt: Format, *, fields: Sequence[str], stream: TextIO | None = None
) -> None:
    """A single record: json as an object; a table as `key  value` lines."""
    out = stream or sys.stdout
    if fmt is Format.json:
        text = json.dumps(plain({k: record.get(k) for k in fields}), ensure_ascii=False, indent=2)
        out.write(text.translate(JSON_ESCAPES) + "\n")
    elif fmt is Format.table:
        from tabulate import tabulate

        rows = [[name, visible(str(_table_value(record.get(name))))] for name in fields]
        out.write(tabulate(rows, tablefmt="plain", disable_numparse=True) + "\n")
    else:
        emit([record], fmt, fields=fields, stream=out)
