"""The options and arguments the commands share: output, dry run, times, room ids, and the
room filters of `rooms list`, `search` and `export`, one bundle for all."""

import enum
import functools
import inspect
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import typer

from kchat_cli.domain.vocabulary import MAX_ID, MAX_LIMIT, STATUS_FILTERS
from kchat_cli.render import Format

OutputOption = Annotated[
    Format,
    typer.Option("--output", "-o", help="How to print records: table, json, jsonl, csv or ids."),
]


DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change and change nothing.")
]


def time_parser(option: str, *, end_of_day: bool = False):
    """The parser of a time option: a bad value is a usage error naming the option and the
    forms that work."""

    def parse(text: str) -> datetime:
        from kchat_cli.clock import parse_when
        from kchat_cli.errors import Invalid

        try:
            return parse_when(text, end_of_day=end_of_day)
        except Invalid as exc:
            raise Invalid(f"{option}: {exc}") from None

    return parse


since_value = time_parser("--since")


until_value = time_parser("--until", end_of_day=True)


def _period_check(ctx: typer.Context, param: typer.CallbackParam, value: datetime | None):
    """--since and --until: whichever comes second checks that the period is not empty."""
    since = value if param.name == "since" else ctx.params.get("since")
    until = value if param.name == "until" else ctx.params.get("until")
    if since is not None and until is not None and until <= since:
        from kchat_cli.errors import Invalid
        from kchat_cli.render import short_time

        raise Invalid(
            f"the period is empty: --until ({short_time(until)}) is not after "
            f"--since ({short_time(since)})"
        )
    return value


SinceOption = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        parser=since_value,
        callback=_period_check,
        metavar="TIME",
        help="From this time: today, yesterday, 7d, 12h, 30m, 2026-11-01 or "
        "2026-11-01T09:00 (Korea time without an offset).",
    ),
]


UntilOption = Annotated[
    datetime | None,
    typer.Option(
        "--until",
        parser=until_value,
        callback=_period_check,
        metavar="TIME",
        help="Before this time, in the same forms; a day (today, 2026-11-30) is included whole.",
    ),
]


AsOfOption = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        parser=time_parser("--as-of"),
        metavar="TIME",
        help="Decide as if it were this time (default: now).",
    ),
]


RoomArgument = Annotated[
    int, typer.Argument(metavar="ROOM", min=1, max=MAX_ID, help="The room id.")
]


def limit_option(default_help: str = "0 for all.") -> typer.models.OptionInfo:
    """--limit/-n: at most this many records; 0 for all."""
    return typer.Option("--limit", "-n", min=0, max=MAX_LIMIT, help=default_help)


RoomsArgument = Annotated[
    list[str], typer.Argument(metavar="ROOM…", help="Room ids; - reads them from standard input.")
]


def room_tokens(values: list[str]) -> Iterator[str]:
    """The room ids given, with `-` replaced by the ids on standard input."""
    for value in values:
        if value == "-":
            for line in sys.stdin.buffer:
                yield from line.decode("utf-8", "replace").split()
        else:
            yield value


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]


StatusFilter = enum.StrEnum(
    "StatusFilter", {name.replace("-", "_"): name for name in STATUS_FILTERS}
)


# The room filters of `rooms list` (R-FILTER-1), shared by the exports and search.
def _status_option(default_status: str | None):
    default = default_status or "in-progress; all with --left or --blocked"
    return Annotated[
        StatusFilter | None,
        typer.Option("--status", "-s", help=f"Only rooms in this state.  [default: {default}]"),
    ]


LabelOption = Annotated[
    list[str] | None,
    typer.Option("--label", "-l", help="Only rooms with this label; repeat for rooms with all."),
]


AssigneeOption = Annotated[
    str | None,
    typer.Option(
        "--assignee", metavar="LOGIN|none", help="Only rooms assigned to LOGIN, or to no one."
    ),
]


StarredOption = Annotated[bool, typer.Option("--starred", help="Only starred rooms.")]


BlockedOption = Annotated[bool, typer.Option("--blocked", help="Blocked users' rooms.")]


LeftOption = Annotated[bool, typer.Option("--left", help="Rooms that were left.")]


def who_value(text: str) -> str:
    if not text.strip():
        raise typer.BadParameter("it is empty; give part of a nickname, room name or user key")
    return text


WhoOption = Annotated[
    str | None,
    typer.Option(
        "--who",
        parser=who_value,
        metavar="TEXT",
        help="Only rooms whose customer nickname, room name or user key contains TEXT.",
    ),
]


_FILTERS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option)
    for name, option, default in (
        ("label", LabelOption, None),
        ("who", WhoOption, None),
        ("assignee", AssigneeOption, None),
        ("since", SinceOption, None),
        ("until", UntilOption, None),
        ("starred", StarredOption, False),
        ("blocked", BlockedOption, False),
        ("left", LeftOption, False),
    )
]


def room_filters(*, default_status: str | None = None, period: bool = True):
    """A command takes the room filters of `rooms list` (R-FILTER-1) as options, and gets
    them as one RoomFilter, in its `rooms` parameter. Without `period`, --since/--until are
    the command's own (the messages' times, not the rooms')."""

    def decorate(command):
        signature = inspect.signature(command)
        own = [
            parameter for parameter in signature.parameters.values() if parameter.name != "rooms"
        ]
        status = inspect.Parameter(
            "status",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=_status_option(default_status),
        )
        taken = [status] + [p for p in _FILTERS if period or p.name not in ("since", "until")]

        @functools.wraps(command)
        def with_filters(*args, **kwargs):
            from kchat_cli.domain.conversations.listing import RoomFilter

            given = {parameter.name: kwargs.pop(parameter.name) for parameter in taken}
            status = given.pop("status")
            kwargs["rooms"] = RoomFilter(
                status=status.value if status else default_status,
                labels=given.pop("label") or [],
                **given,
            )
            return command(*args, **kwargs)

        with_filters.__signature__ = signature.replace(parameters=own + taken)
        with_filters.__annotations__ = {
            **{name: kind for name, kind in command.__annotations__.items() if name != "rooms"},
            **{parameter.name: parameter.annotation for parameter in taken},
        }
        return with_filters

    return decorate
