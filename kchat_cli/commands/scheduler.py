"""kchat scheduler: the long-running job scheduler (APScheduler)."""

import logging
from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import OutputOption
from kchat_cli.commands.speech import say
from kchat_cli.render import Format, emit
from kchat_cli.views import RUN_TABLE

app = app_for("The scheduler that runs the jobs on their schedules.")


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run every job once and exit.")] = False,
    output: OutputOption = Format.table,
) -> None:
    """Run the jobs on their schedules until SIGTERM, which lets a running batch finish
    and exits 0. A second scheduler on the same store says who runs it and exits 1.

    Example: kchat scheduler run
    """
    from jobs.scheduler import serve
    from kchat_cli.domain.upkeep.runs import RUN_FIELDS

    _log_in_korea_time()
    rt = runtime(ctx)
    records = serve(rt.engine(), rt.home, once=once, ready=lambda: say("scheduler started"))
    if once:
        emit(records, output, fields=RUN_FIELDS, table=RUN_TABLE)
    else:
        say("scheduler stopped")


def _log_in_korea_time() -> None:
    """A line on stderr for each thing that happened (`2026-12-01 12:00:10 deliver: 3
    sent`), its time in Korea time."""
    from datetime import datetime

    from kchat_cli.clock import KST

    class KoreaTime(logging.Formatter):
        def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
            return datetime.fromtimestamp(record.created, KST).strftime("%Y-%m-%d %H:%M:%S")

    handler = logging.StreamHandler()
    handler.setFormatter(KoreaTime("%(asctime)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
