"""`kchat scheduler run`: the APScheduler daemon that runs the jobs on their schedules.

Only one scheduler may run per store: it holds the `scheduler` lease, renewed while it
lives and expiring if it dies; a second one says who holds it and exits 1. Each job also
takes its own lock (as `kchat jobs run` does), so cron and the scheduler never run a job
twice at once. SIGTERM or SIGINT: no new run starts, a running job finishes its current
batch and stops, and the process exits 0.
"""

import logging
import signal
import threading
from datetime import timedelta

import sqlalchemy as sa

from jobs.context import JobSettings
from jobs.registry import JOBS
from jobs.runner import Stopped, run_job
from jobs.schedule import trigger_for
from kchat_cli.domain import clock, jobruns, locks
from kchat_cli.domain.clock import KST
from kchat_cli.errors import Busy
from kchat_cli.store.session import run_write

LEASE_NAME = "scheduler"
LEASE = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=20)
log = logging.getLogger("kchat.scheduler")


class Daemon:
    def __init__(self, engine: sa.Engine, settings: JobSettings):
        self.engine = engine
        self.settings = settings
        self.stopping = threading.Event()

    def checkpoint(self) -> None:
        """Between a job's batches: stop there when a stop was asked for."""
        if self.stopping.is_set():
            raise Stopped()

    def run_once(self, name: str) -> dict | None:
        """One run of a job; a run already going elsewhere is skipped, not an error."""
        try:
            record = run_job(self.engine, name, settings=self.settings, checkpoint=self.checkpoint)
        except Busy as exc:
            log.warning("%s skipped: %s", name, exc)
            return None
        except Stopped:
            log.warning("%s stopped after its current batch", name)
            return None
        except Exception as exc:  # recorded by run_job; the daemon goes on
            log.error("%s failed: %s", name, exc)
            return None
        log.info("%s %s %s", name, record["outcome"], record["counts"])
        return record

    def missed(self, event) -> None:
        """A run that could not start in its grace time is recorded, not lost silently."""
        when = event.scheduled_run_time
        run_write(
            self.engine,
            lambda session: jobruns.record_missed(
                session, event.job_id, as_of=when, now=clock.now(), holder=locks.me()
            ),
        )

    def renew(self) -> None:
        locks.renew(self.engine, LEASE_NAME, lease=LEASE)


# Job functions live at module level, as APScheduler wants them.
_daemon: Daemon | None = None


def _run(name: str) -> None:
    _daemon.run_once(name)


def _renew() -> None:
    _daemon.renew()


def serve(
    engine: sa.Engine, settings: JobSettings, *, once: bool = False, ready=lambda: None
) -> list[dict]:
    """Run the scheduler until SIGTERM/SIGINT (or every job once, with `once`)."""
    global _daemon
    locks.acquire(engine, LEASE_NAME, lease=LEASE)
    _daemon = Daemon(engine, settings)
    try:
        if once:
            return [record for name in JOBS if (record := _daemon.run_once(name))]
        _blocking(ready)
        return []
    finally:
        locks.release(engine, LEASE_NAME)
        _daemon = None


def _blocking(ready) -> None:
    from apscheduler.events import EVENT_JOB_MISSED
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BlockingScheduler(timezone=KST)
    for job in JOBS.values():
        scheduler.add_job(_run, trigger_for(job), args=[job.name], id=job.name, name=job.name,
                          replace_existing=True, coalesce=True, max_instances=1,
                          misfire_grace_time=job.misfire_grace)  # fmt: skip
    scheduler.add_job(
        _renew,
        IntervalTrigger(seconds=RENEW_EVERY.total_seconds(), timezone=KST),
        id="lease",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_listener(_daemon.missed, EVENT_JOB_MISSED)

    def stop(signum, _frame) -> None:
        log.warning(
            "stopping on %s: running jobs finish their current batch", signal.Signals(signum).name
        )
        _daemon.stopping.set()
        # Not from the signal handler itself: shutdown waits for running jobs.
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready()
    scheduler.start()
