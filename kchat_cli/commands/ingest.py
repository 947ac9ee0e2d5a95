"""kchat ingest."""

import os
import stat
import sys
from pathlib import Path
from typing import Annotated

import typer

from kchat_cli.commands.common import runtime
from kchat_cli.commands.options import AsOfOption, OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.errors import EXIT_PARTIAL, Invalid
from kchat_cli.render import Format, emit_one

app = typer.Typer(add_completion=False, rich_markup_mode=None)

SHOWN_REFUSALS = 20


@app.command()
def ingest(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-", help="Events, one JSON object per line; - for standard input."
        ),
    ] = "-",
    as_of: AsOfOption = None,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=100_000, help="Events per transaction."),
    ] = 5000,
    reject_file: Annotated[
        Path | None,
        typer.Option(
            "--reject-file",
            help="Append refused lines here as they came, personal data redacted (created 0600).",
        ),
    ] = None,
    output: OutputOption = Format.table,
) -> None:
    """Apply inbound events; the same event twice changes nothing.

    Refused lines are reported with their line number and reason, the rest are applied;
    the exit code is 3 when any line was refused. Automatic notices (guide, off-hours) are
    decided as of --as-of (default: now), so a replay of old events sends none.

    Example: kchat ingest events.jsonl --reject-file rejected.jsonl
    """
    from kchat_cli import collector
    from kchat_cli.domain.conversations.ingest import IngestReport, redacted
    from kchat_cli.domain.conversations.ingest import ingest as apply_events
    from kchat_cli.files import private_append
    from kchat_cli.lines import read_lines
    from kchat_cli.progress import progress

    rt = runtime(ctx)
    batches, channel_id, sealer = rt.batches(), rt.channel().id, rt.sealer()
    rejects = private_append(reject_file) if reject_file else None
    report, shown = IngestReport(), 0

    def on_refused(line: int, raw: bytes, reason: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= SHOWN_REFUSALS:
            say(f"line {line}: {reason}")
        if rejects:
            rejects.write(redacted(raw) + b"\n")

    try:
        with _source(source) as stream:
            counted = _Counted(stream)
            with (
                progress("ingest", "events", total=counted.size) as update,
                collector.paused() as collect,
            ):

                def on_batch(done: IngestReport) -> None:
                    update(counted.read, done.applied + done.duplicates)
                    collect()

                apply_events(
                    batches,
                    channel_id,
                    read_lines(counted),
                    on_refused=on_refused,
                    seal=sealer.seal,
                    as_of=as_of,
                    batch_size=batch_size,
                    report=report,
                    on_batch=on_batch,
                )
    except KeyboardInterrupt:
        say(
            f"interrupted: {report.applied:,} events applied, {report.duplicates:,} duplicates, "
            f"{report.refused:,} refused, up to line {report.lines:,}; nothing after it was "
            "applied: run the same ingest again to finish (what was applied is skipped)"
        )
        raise
    finally:
        if rejects:
            rejects.close()
    if shown > SHOWN_REFUSALS:
        say(
            f"… and {shown - SHOWN_REFUSALS} more refused"
            + (f" (all in {reject_file})" if reject_file else "")
        )
    duplicates = "duplicate" if report.duplicates == 1 else "duplicates"
    say(f"{report.applied} applied, {report.duplicates} {duplicates}, {report.refused} refused")
    emit_one(report.record(), output, fields=("applied", "duplicates", "refused"))
    if report.refused:
        raise typer.Exit(EXIT_PARTIAL)


class _Counted:
    """The input, counting the bytes read, and its size when it is a file (for progress)."""

    def __init__(self, stream):
        self.stream, self.read = stream, 0
        try:
            found = os.fstat(stream.fileno())
            self.size = found.st_size if stat.S_ISREG(found.st_mode) else None
        except (AttributeError, OSError, ValueError):
            self.size = None

    def fileno(self) -> int:
        return self.stream.fileno()

    def read1(self, size: int) -> bytes:
        block = self.stream.read1(size)
        self.read += len(block)
        return block


def _source(source: str):
    """Standard input, or a file, FIFO or device named (`<(cmd)` and /dev/stdin work)."""
    if source == "-":
        from contextlib import nullcontext

        return nullcontext(sys.stdin.buffer)
    path = Path(source)
    if path.is_dir():
        raise Invalid(f"{source} is a folder", "name a file of events, or - for standard input")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise Invalid(f"no file {source}") from None
