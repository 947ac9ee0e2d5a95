"""kchat jobs: run the batch jobs (for cron), list them and their history."""

from typing import Annotated

import typer

from kchat_cli.commands.common import app_for, runtime
from kchat_cli.commands.options import (
    AsOfOption,
    DryRunOption,
    OutputOption,
    YesOption,
    limit_option,
)
from kchat_cli.commands.speech import say, say_if_cut
from kchat_cli.render import Column, Format, emit, emit_one, field, status_style
from kchat_cli.views import RUN_TABLE

app = app_for("Batch jobs: retention, pii-purge, offhours-notices, deliver.")

JOB_FIELDS = ("name", "schedule", "summary", "last_run", "last_outcome", "next_run")
JOB_TABLE = [
    Column("NAME", field("name"), cut=False),
    Column("SCHEDULE", field("schedule"), cut=False),
    Column("LAST RUN", field("last_run")),
    Column("OUTCOME", field("last_outcome"), cut=False, style=status_style),
    Column("NEXT RUN", field("next_run")),
]


@app.command("list")
def list_(ctx: typer.Context, output: OutputOption = Format.table) -> None:
    """List the jobs with their schedule (Korea time), last run and next run.

    What each job does is in -o json (its summary), and in the README.

    Example: kchat jobs list
    """
    from jobs.schedule import job_table

    records = runtime(ctx).look(job_table)
    emit(records, output, fields=JOB_FIELDS, table=JOB_TABLE)


@app.command()
def run(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="The job: retention, pii-purge, offhours-notices or deliver.")
    ],
    as_of: AsOfOption = None,
    dry_run: DryRunOption = False,
    yes: YesOption = False,
    output: OutputOption = Format.table,
) -> None:
    """Run a job once, as cron would; it waits for nobody and exits 1 if already running.

    The run records who started it: the OS user, and the admin named with --as. Retention
    or pii-purge as of a time ahead of now deletes what has not yet expired: that needs
    --yes.

    Example: kchat jobs run deliver
    """
    from jobs.registry import JOBS
    from jobs.runner import run_job
    from kchat_cli.domain.upkeep.runs import RUN_FIELDS
    from kchat_cli.progress import progress

    rt = runtime(ctx)
    unit = JOBS[name].unit if name in JOBS else ""
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done = count
        update(count)

    with progress(name, unit) as update:
        try:
            record = run_job(
                rt.engine(),
                name,
                as_of=as_of,
                dry_run=dry_run,
                home=rt.home,
                admin=rt.admin_login,
                confirmed=yes,
                progress=advance,
            )
        except KeyboardInterrupt:
            say(
                f"interrupted: {name} stopped after {done:,} {unit}; what it did stays done, "
                "and running it again finishes the rest"
            )
            raise
    emit_one(record, output, fields=RUN_FIELDS)


@app.command()
def history(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this job's runs.")] = None,
    limit: Annotated[int, limit_option("0 for all.")] = 20,
    output: OutputOption = Format.table,
) -> None:
    """Past runs, newest first: as-of, start, end, outcome, counts and error.

    Example: kchat jobs history retention -o json
    """
    from kchat_cli.domain.upkeep.runs import RUN_FIELDS
    from kchat_cli.domain.upkeep.runs import history as run_history

    records = runtime(ctx).look(run_history, name, limit)
    emit(records, output, fields=RUN_FIELDS, table=RUN_TABLE, empty="no runs yet")
    say_if_cut(records, "runs")
