"""Options and helpers shared by the command modules."""

import contextlib
import enum
import functools
import inspect
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.domain.vocabulary import MAX_ID, MAX_LIMIT, STATUS_FILTERS
from kchat_cli.errors import EXIT_PARTIAL, Refused
from kchat_cli.render import Format
from kchat_cli.runtime import Runtime
from kchat_cli.usage import CommandGroup

OutputOption = Annotated[
    Format,
    typer.Option("--output", "-o", help="How to print records: table, json, jsonl, csv or ids."),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change and change nothing.")
]


def app_for(help_text: str) -> typer.Typer:
    """A command group's Typer app; a group even when it has one command so far."""
    group = typer.Typer(
        cls=CommandGroup,
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )
    group.callback()(_group)
    return group


def _group(ctx: typer.Context) -> None:
    """A group's own callback: it names the command run, for the access check."""
    runtime(ctx).command += f" {ctx.invoked_subcommand}"


def runtime(ctx: typer.Context) -> Runtime:
    return ctx.find_root().obj


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


def say(message: str) -> None:
    """Progress, summaries and hints: stderr, so stdout stays data. They may quote what
    someone typed: shown escaped (R-INPUT-1). A kchat command they name carries the global
    options given (`as_typed`)."""
    from kchat_cli.render import visible

    typer.echo(visible(as_typed(message)), err=True)


def say_if_cut(records, noun: str) -> None:
    """When --limit left some records out (a domain Page that was `cut`), say how many match
    (where that is known without counting them) and how to get them all: on stderr, so that
    `-o ids | …` gets only the ids, and even when piped, so that such a pipeline does not
    silently work on part of them."""
    total = getattr(records, "total", None)
    if total is not None:
        say(f"(showing {len(records):,} of {total:,} {noun}; --limit 0 for all)")
    elif getattr(records, "cut", False):
        say(f"({len(records):,} shown, more with --limit 0)")


# The global options a hint repeats when they were typed on the command line (one set in the
# environment holds for the next command too): root parameter name -> option.
_GLOBAL_OPTIONS = (("db", "--db"), ("channel", "--channel"), ("acting", "--as"))


def kchat_as_typed(about: str = "") -> str:
    """`kchat` with the global options of this command line (`kchat --as minji`), so that
    the command a hint names acts as this one did; an option whose value `about` (an error)
    quotes is left out: that error is about it (`no admin 'nobody'`), repeating it fails."""
    import shlex

    from typer._click.core import ParameterSource
    from typer._click.globals import get_current_context

    from kchat_cli.errors import masked

    current = get_current_context(silent=True)
    if current is None:
        return "kchat"
    root = current.find_root()
    words = ["kchat"]
    for name, option in _GLOBAL_OPTIONS:
        value = root.params.get(name)
        if root.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        if value is not None and repr(value) not in about:
            words += [option, shlex.quote(masked(str(value)))]
    return " ".join(words)


def as_typed(text: str) -> str:
    """`text` with each `kchat COMMAND` it names given this command line's global options."""
    import re

    from kchat_cli.commands import COMMANDS

    if "kchat " not in text:
        return text
    prefix = kchat_as_typed(about=text)
    named = "|".join(re.escape(name) for name in COMMANDS)
    return re.sub(rf"(?<![\w.'\"/-])kchat (?=(?:{named})\b)", f"{prefix} ", text)


def say_when_it_leaves(rt: Runtime, what: str) -> None:
    """What is queued leaves with the next deliver run: say how, when no scheduler runs."""
    from kchat_cli.domain.upkeep.delivery import scheduler_runs

    if not rt.look(scheduler_runs):
        say(
            f"no scheduler runs for this store: {what} leaves with the next "
            "`kchat jobs run deliver` (or keep `kchat scheduler run` going)"
        )


def finish_bulk(report, action: str, *, dry_run: bool) -> None:
    """Print a bulk summary on stderr, `ACTION: N changed, N unchanged, N refused`, then
    each refused room with its reason; exit 3 when some rooms were refused."""
    changed = f"{len(report.changed):,} {'would change' if dry_run else 'changed'}"
    counts = f"{changed}, {len(report.unchanged):,} unchanged, {len(report.refused):,} refused"
    say(f"{action}: {counts}" + (" (dry run)" if dry_run else ""))
    for token, reason in report.refused[:20]:
        say(f"  refused {token}: {reason}")
    if len(report.refused) > 20:
        say(f"  … and {len(report.refused) - 20} more refused")
    if report.refused:
        raise typer.Exit(EXIT_PARTIAL)


def confirmed(question: str, *, yes: bool) -> bool:
    """True with --yes; otherwise ask on a terminal, and refuse without one (exit 1)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise Refused(f"{question} needs --yes", "no terminal to ask")
    return typer.confirm(question, err=True)


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


@contextlib.contextmanager
def written_in_editor(start: str) -> Iterator[str]:
    """What the admin writes in $VISUAL or $EDITOR (vi when neither is set), starting from
    `start`, in a draft file that is theirs alone (0600). The draft is removed once the work
    done with the text in the `with` block succeeds; when the editor or that work fails, a
    draft with something in it is kept and its path said, so that nothing written is lost."""
    import os
    import shlex
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    descriptor, name = tempfile.mkstemp(prefix="kchat-draft-", suffix=".txt")
    draft = Path(name)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(start)
    try:
        if subprocess.run([*shlex.split(editor), name], check=False).returncode != 0:
            raise Refused(f"the editor ({editor}) did not finish; nothing was sent")
        yield draft.read_text(encoding="utf-8").rstrip("\n")
    except BaseException:
        _keep_if_written(draft)
        raise
    draft.unlink()


def _keep_if_written(draft: Path) -> None:
    """A draft with something in it stays, the admin's alone, and its path is said; an empty
    one goes."""
    if draft.exists() and draft.read_text(encoding="utf-8", errors="replace").strip():
        draft.chmod(0o600)
        say(f"your draft is kept in {draft}")
    else:
        draft.unlink(missing_ok=True)
