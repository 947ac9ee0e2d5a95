"""`kchat scheduler run`: the APScheduler daemon that runs the jobs on their schedules.

Only one scheduler may run per store: it holds the `scheduler` lease, renewed while it
lives and expiring if it dies; a second one says who holds it and exits 1. Each job also
takes its own lock (as `kchat jobs run` does), so cron and the scheduler never run a job
twice at once. Besides its timed runs, delivery runs as soon as something is queued: a
thread waits on the outbox (PostgreSQL NOTIFY; SQLite polls), so a reply leaves within a
second of its commit. SIGTERM or SIGINT: no new run starts, a running job finishes its
current batch and stops, and the process exits 0.
"""

import logging
import signal
import threading
from datetime import timedelta

import sqlalchemy as sa

from jobs.registry import JOBS
from jobs.runner import Stopped, run_job
from jobs.schedule import trigger_for
from kchat_cli import clock
from kchat_cli.clock import KST
from kchat_cli.domain.actor import Home
from kchat_cli.domain.upkeep import delivery
from kchat_cli.domain.upkeep import runs as jobruns
from kchat_cli.domain.vocabulary import counted
from kchat_cli.errors import Busy
from kchat_cli.store import catalog, locks
from kchat_cli.store.batches import Batches
from kchat_cli.store.wakeups import OUTBOX_CHANNEL

LEASE_NAME = catalog.SCHEDULER
LEASE = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=20)
OUTBOX_POLL = 0.2  # seconds between looks at the outbox (SQLite; PostgreSQL is woken)
OUTBOX_WAIT = 1.0  # seconds to wait for a NOTIFY before looking anyway (retries come due)
RETRY_AFTER = 10.0  # seconds before trying again on demand after a run that did not go
log = logging.getLogger("kchat.scheduler")

# What a run's counts say, in words: the noun counted (none: the count alone) and what
# happened to it. Counts not named here (batches, timings) are the run's bookkeeping.
COUNT_WORDS = {
    "sent": ("", "sent"),
    "retrying": ("", "to retry"),
    "failed": ("", "failed"),
    "destroyed": ("customer info record", "destroyed"),
    "messages": ("message", "deleted"),
    "files": ("file", "deleted"),
    "outbox": ("outbox item", "deleted"),
    "rooms": ("room", "touched"),
    "held_skipped": ("held message", "kept"),
    "index_tables_dropped": ("search table", "dropped"),
}


def run_summary(record: dict) -> str | None:
    """A run in a line of words (`deliver: 3 sent, 1 to retry`); None for a run that went
    well and did nothing, which the log keeps quiet about."""
    said = [
        f"{counted(count, noun) if noun else count} {verb}"
        for key, (noun, verb) in COUNT_WORDS.items()
        if (count := record["counts"].get(key))
    ]
    if record["outcome"] != "ok":
        said.insert(0, record["outcome"])
    return f"{record['name']}: {', '.join(said)}" if said else None


class Daemon:
    def __init__(self, engine: sa.Engine, home: Home):
        self.engine = engine
        self.batches = Batches(engine)
        self.home = home
        self.stopping = threading.Event()
        self.delivering = threading.Lock()  # one delivery at a time: timed or on demand

    def checkpoint(self) -> None:
        """Between a job's batches: stop there when a stop was asked for."""
        if self.stopping.is_set():
            raise Stopped()

    def run_once(self, name: str) -> dict | None:
        """One run of a job; a run already going here or elsewhere is skipped, not an error."""
        if name != "deliver":
            return self._run(name)
        if not self.delivering.acquire(blocking=False):
            return None
        try:
            return self._run(name)
        finally:
            self.delivering.release()

    def watch_outbox(self) -> None:
        """Deliver as soon as something is due, until the scheduler stops; after an error
        (the store gone a while), start watching again once RETRY_AFTER has passed."""
        while not self.stopping.is_set():
            try:
                self._watch_outbox()
            except Exception as exc:  # the timed runs go on meanwhile
                log.error("outbox watch: %s; watching again in %g s", exc, RETRY_AFTER)
                self.stopping.wait(RETRY_AFTER)

    def _watch_outbox(self) -> None:
        listener = self.batches.listener(OUTBOX_CHANNEL, poll=OUTBOX_POLL)
        try:
            while not self.stopping.is_set():
                listener.wait(OUTBOX_WAIT)
                due = not self.stopping.is_set() and delivery.due_now(self.batches)
                if due and self.run_once("deliver") is None:
                    # Failing or busy: leave it to the timed runs for a while.
                    self.stopping.wait(RETRY_AFTER)
        finally:
            listener.close()

    def _run(self, name: str) -> dict | None:
        try:
            record = run_job(self.engine, name, home=self.home, checkpoint=self.checkpoint)
        except Busy as exc:
            log.warning("%s: skipped: %s", name, exc)
            return None
        except Stopped:
            log.warning("%s: stopped after its current batch", name)
            return None
        except Exception as exc:  # recorded by run_job; the daemon goes on
            log.error("%s: failed: %s", name, exc)
            return None
        summary = run_summary(record)
        if summary:
            log.info(summary)
        return record

    def missed(self, event) -> None:
        """A run that could not start in its grace time is recorded, not lost silently."""
        when = event.scheduled_run_time
        due = clock.to_kst(when).strftime("%Y-%m-%d %H:%M:%S")
        log.warning("%s: missed the run due at %s", event.job_id, due)
        self.batches.write(
            lambda session: jobruns.record_missed(
                session, event.job_id, as_of=when, now=clock.now(), holder=locks.me()
            ),
        )

    def renew(self) -> None:
        if not locks.renew(self.engine, LEASE_NAME, lease=LEASE):
            # It expired (this machine slept?): `status` says no scheduler runs until
            # another takes the lease; the jobs' own locks keep runs apart meanwhile.
            log.warning("the scheduler's lease had expired; it is no longer renewed")


# Job functions live at module level, as APScheduler wants them.
_daemon: Daemon | None = None


def _run(name: str) -> None:
    _daemon.run_once(name)


def _renew() -> None:
    _daemon.renew()


def serve(engine: sa.Engine, home: Home, *, once: bool = False, ready=lambda: None) -> list[dict]:
    """Run the scheduler until SIGTERM/SIGINT (or every job once, with `once`)."""
    global _daemon
    locks.acquire(engine, LEASE_NAME, lease=LEASE)
    _daemon = Daemon(engine, home)
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
        scheduler.add_job(
            _run,
            trigger_for(job),
            args=[job.name],
            id=job.name,
            name=job.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace,
        )
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
    watcher = threading.Thread(target=_daemon.watch_outbox, name="outbox", daemon=True)
    watcher.start()
    ready()
    scheduler.start()
    watcher.join(timeout=OUTBOX_WAIT + 1)
