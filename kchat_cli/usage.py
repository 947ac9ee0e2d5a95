"""How kchat speaks about its own usage: human names for values in help (ROOM, LABEL, N,
TIME, FILE) and usage errors in kchat's one voice, `error: what is wrong; what to do`.

Typer shows a value's Python type (`<int range>`, `<list[str]>`) and wraps required
arguments in braces; click and pydantic word their errors their own way over several
lines. The command tree kchat builds passes through `speak_human` once, and every usage
error through `usage_error_line`, so neither reaches a user.
"""

import difflib
import shlex
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

from kchat_cli.domain.vocabulary import MAX_LIMIT
from kchat_cli.typer_internals import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoSuchOption,
    UsageError,
)

COMPLETE_VARIABLE = "_KCHAT_COMPLETE"  # set by the completion script when the shell asks

# The options of `kchat` itself, which go before the command; those that take a value.
GLOBAL_OPTIONS = {"--db": True, "--channel": True, "--as": True, "--version": False}


def _range_in_words(param: Any) -> str | None:
    """A range worth telling (`1 to 10000`); none for the technical bounds of ids and limits."""
    if param.min is None or param.max is None or param.max >= MAX_LIMIT:
        return None
    return f"{param.min} to {param.max}"


class _HumanOption(TyperOption):
    def _get_number_range_help_str(self) -> str | None:
        return _range_in_words(self)


class _HumanArgument(TyperArgument):
    def display_type_rich(self, ctx) -> str | None:
        return None  # the metavar says it all

    def _usage_display_name(self) -> str:
        return self.metavar if self.required else f"[{self.metavar}]"

    def _get_number_range_help_str(self) -> str | None:
        return _range_in_words(self)


def _choices(param: Any) -> list[str] | None:
    choices = param.type_descriptor.choices
    return None if choices is None else [str(getattr(c, "value", c)) for c in choices]


def _human_metavar(param: Any) -> str:
    """The value's name in help, when its command gives none: the choices, N for a number,
    FILE, TIME, or the parameter's own name in capitals."""
    choices = _choices(param)
    if choices is not None:
        listed = "|".join(choices)
        return f"[{listed}]" if isinstance(param, TyperOption) else listed
    descriptor = param.type_descriptor
    if descriptor.is_path or descriptor.is_file:
        name = "FILE"
    elif descriptor.is_datetime:
        name = "TIME"
    elif descriptor.annotation in (int, float):
        name = "N"
    else:
        name = param.name.upper()
    return f"{name}…" if isinstance(param, TyperArgument) and param.nargs != 1 else name


def speak_human(command) -> None:
    """Give every parameter of `command` and its subcommands a human metavar, and show
    ranges and argument names in words instead of Python types."""
    for param in command.params:
        # Typer offers no setting for this: the parameters become kchat's own subclasses.
        if isinstance(param, TyperArgument):
            param.__class__ = _HumanArgument
        elif isinstance(param, TyperOption) and not (param.is_flag or param.count):
            param.__class__ = _HumanOption
        else:
            continue
        if param.metavar is None:
            param.metavar = _human_metavar(param)
    for subcommand in getattr(command, "commands", {}).values():
        speak_human(subcommand)


class UnknownCommand(UsageError):
    def __init__(self, ctx, name: str, known: list[str]):
        super().__init__(f"no command {name!r}", ctx)
        self.name, self.known = name, known


class CommandGroup(TyperGroup):
    """A group that lists its commands' whole summaries (wrapped, never cut mid-phrase) and
    names an unknown command in kchat's words, with the closest known one."""

    def summaries(self, ctx) -> list[tuple[str, str]]:
        commands = ((name, self.get_command(ctx, name)) for name in self.list_commands(ctx))
        return [
            (name, command.get_short_help_str(limit=1000))
            for name, command in commands
            if command is not None and not command.hidden
        ]

    def format_commands(self, ctx, formatter) -> None:
        rows = self.summaries(ctx)
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args: list[str]):
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            raise UnknownCommand(ctx, name, self.list_commands(ctx))
        return super().resolve_command(ctx, args)


def usage_error_line(exc: UsageError, argv: list[str]) -> str:
    """The one line for a usage error: `error: what is wrong; what to do`. `argv` is the
    whole command line after `kchat`, to show where a misplaced global option goes."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "kchat"
    below = " ".join(where.split()[1:])  # the command after `kchat`, for suggestions
    help_hint = f"see {where} --help" if ctx is not None else None
    if isinstance(exc, UnknownCommand):
        close = difflib.get_close_matches(exc.name, exc.known, n=1)
        hint = f"did you mean '{f'{below} {close[0]}'.strip()}'?" if close else help_hint
        return f"no command '{f'{below} {exc.name}'.strip()}'; {hint}"
    if isinstance(exc, NoSuchOption):
        return _no_such_option(exc, argv, where, help_hint)
    if isinstance(exc, MissingParameter) and exc.param is not None:
        return _missing(exc, ctx)
    if isinstance(exc, BadParameter):
        return _with_hint(_bad_value(exc), help_hint)
    if isinstance(exc, BadOptionUsage):
        takes_none = "does not take a value" in exc.message
        return _with_hint(
            f"{exc.option_name} {'takes no value' if takes_none else 'needs a value'}", help_hint
        )
    message = exc.format_message().rstrip(".")
    if message.startswith("Got unexpected extra argument") and ctx is not None:
        extra = message.rpartition("(")[2].rstrip(")")
        return f"unexpected argument {extra!r}; usage: {_usage(ctx)}"
    return _with_hint(f"{message[:1].lower()}{message[1:]}", help_hint)


def _with_hint(message: str, hint: str | None) -> str:
    return message if hint is None or "; " in message else f"{message}; {hint}"


def _usage(ctx) -> str:
    return ctx.get_usage().removeprefix("Usage: ").strip()


def _no_such_option(exc: NoSuchOption, argv: list[str], where: str, help_hint: str) -> str:
    option = exc.option_name
    if option in GLOBAL_OPTIONS and exc.ctx is not None and exc.ctx.parent is not None:
        moved = _global_option_first(argv, option)
        return f"{option} goes before the command; run kchat {shlex.join(moved)}"
    close = difflib.get_close_matches(option, sorted(exc.possibilities or ()), n=1)
    hint = f"did you mean {close[0]}?" if close else help_hint
    return f"{where} has no option {option}; {hint}"


def _global_option_first(argv: list[str], option: str) -> list[str]:
    """`argv` with the misplaced `option` (and its value) moved to the front."""
    for at, token in enumerate(argv):
        if token == option or token.startswith(f"{option}="):
            width = 2 if token == option and GLOBAL_OPTIONS[option] else 1
            return [*argv[at : at + width], *argv[:at], *argv[at + width :]]
    return [option, *argv]


def _name(param) -> str | None:
    """How a parameter is named in an error: its long option, or its argument's metavar
    (none for an argument of choices: the choices are listed)."""
    if param.param_type_name == "option":
        return max(param.opts, key=len)
    metavar = param.metavar or param.name.upper()
    return None if "|" in metavar else metavar


def _missing(exc: MissingParameter, ctx) -> str:
    param = exc.param
    if param.param_type_name == "argument":
        return f"missing {param.metavar}; usage: {_usage(ctx)}"
    return f"missing {_name(param)} {param.metavar}; see {ctx.command_path} --help"


def _bad_value(exc: BadParameter) -> str:
    """A value a parameter refused, in kchat's words rather than pydantic's; a hint only
    when there is a close choice (the caller adds one otherwise)."""
    param = exc.param
    if param is None:
        return exc.message
    problem = _pydantic_problem(exc.__cause__)
    choices = _choices(param) if hasattr(param, "type_descriptor") else None
    if problem is not None and choices is not None:
        given = str(problem["input"])
        close = difflib.get_close_matches(given, choices, n=1)
        message = f"{given!r} is not one of {', '.join(choices)}"
        message = f"{message}; did you mean {close[0]!r}?" if close else message
    else:
        message = _in_words(problem) if problem else exc.message
    name = _name(param)
    return f"{name}: {message}" if name else message


def _pydantic_problem(cause: BaseException | None) -> dict | None:
    """The first error pydantic found in a value (its own `errors()` record), if it was it."""
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    found = errors()
    return found[0] if found else None


_BOUNDS = {
    "greater_than_equal": ("ge", "is less than"),
    "greater_than": ("gt", "is not more than"),
    "less_than_equal": ("le", "is more than"),
    "less_than": ("lt", "is not less than"),
}


def _in_words(problem: dict) -> str:
    given, kind = problem["input"], problem["type"]
    if kind in ("int_parsing", "int_from_float"):
        return f"{str(given)!r} is not a whole number"
    if kind == "float_parsing":
        return f"{str(given)!r} is not a number"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{given} {words} {problem['ctx'][key]}"
    return str(problem["msg"]).removeprefix("Value error, ")
