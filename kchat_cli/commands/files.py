"""kchat files: the bytes of the images and files admins sent."""

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import EXIT_PARTIAL
from kchat_cli.render import Format, emit

app = app_for("The bytes of the images and files admins sent.")

CHECK_FIELDS = ("sha256", "size", "place", "problem")


@app.command()
def check(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """Read the bytes of every file the store keeps and compare them with their hash.

    Lists each file whose bytes are missing (from the store, or from this machine's home
    folder) or damaged, by its SHA-256; the exit code is 3 when there is any.

    Example: kchat files check
    """
    from kchat_cli.progress import progress

    files = runtime(ctx).attachment_store()
    stored = files.everything()
    checked = sum(each.size for each in stored)
    with progress("files check", "bytes", total=checked) as update:
        found = files.problems(stored, update)
    problems = [
        {"sha256": each.sha256, "size": each.size, "place": each.place, "problem": problem}
        for each, problem in found
    ]
    say(
        f"{counted(len(stored), 'file')} checked ({checked / 1024 / 1024:,.1f} MiB): "
        + (f"{len(problems):,} missing or damaged" if problems else "all whole")
    )
    if problems or output is not Format.table:
        emit(problems, output, fields=CHECK_FIELDS)
    if problems:
        raise typer.Exit(EXIT_PARTIAL)
