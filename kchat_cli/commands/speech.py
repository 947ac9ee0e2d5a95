"""What the commands say to a person, on stderr (stdout stays data): progress, summaries
and hints, the kchat commands they name given this command line's global options."""

import typer

from kchat_cli.errors import EXIT_PARTIAL
from kchat_cli.runtime import Runtime


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

    from kchat_cli.errors import masked
    from kchat_cli.typer_internals import ParameterSource, get_current_context

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
