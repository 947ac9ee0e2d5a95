"""`kchat scheduler run`: one per store, every job on its schedule, a clean stop on SIGTERM,
and a log line, in words, for each run that did something and none for a run that did
nothing."""

import logging
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from conftest import kst

from jobs.runner import Stopped, run_job
from jobs.scheduler import Daemon, run_summary
from kchat_cli.clock import parse_instant
from kchat_cli.domain.actor import Home
from kchat_cli.store.models import JobRun, Lock


def start_scheduler(kchat, **env) -> subprocess.Popen:
    """A real scheduler process; returns once it says it has started."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kchat_cli", "scheduler", "run"],
        env={**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home), **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:
        if "scheduler started" in line:
            return process
    raise AssertionError(f"the scheduler did not start: {process.wait()}")


def test_once_runs_every_job_and_exits(kchat):
    runs = kchat.json("scheduler", "run", "--once")
    assert [run["name"] for run in runs] == [
        "retention",
        "pii-purge",
        "offhours-notices",
        "deliver",
    ]
    assert {run["outcome"] for run in runs} == {"ok"}
    with kchat.engine.connect() as connection:
        assert connection.execute(sa.select(Lock)).all() == [], "every lock let go"


def test_a_second_scheduler_says_who_runs_and_exits_1_and_sigterm_exits_0(kchat):
    first = start_scheduler(kchat)
    try:
        second = kchat("scheduler", "run", code=1)
        assert second.stderr.startswith(
            f"error: scheduler is held by {os.uname().nodename}:{first.pid} since "
        )
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        assert "stopping on SIGTERM" in first.stderr.read()
    finally:
        first.kill()
    assert [run["name"] for run in kchat.json("scheduler", "run", "--once")] == [
        "retention",
        "pii-purge",
        "offhours-notices",
        "deliver",
    ], "the lease was let go"


def finished_runs(kchat, name: str) -> int:
    with kchat.engine.connect() as connection:
        return connection.scalar(
            sa.select(sa.func.count())
            .select_from(JobRun)
            .where(JobRun.name == name, JobRun.finished_at.is_not(None))
        )


def test_the_scheduler_runs_jobs_on_schedule_and_says_nothing_of_runs_that_did_nothing(kchat):
    first = start_scheduler(kchat, KCHAT_SCHEDULE_DELIVER="every 1 seconds")
    try:
        deadline = time.monotonic() + 30
        while finished_runs(kchat, "deliver") < 2:
            assert time.monotonic() < deadline, "no timed deliver run"
            time.sleep(0.05)
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        log = first.stderr.read().splitlines()
    finally:
        first.kill()
    assert kchat.json("jobs", "history", "deliver")[0]["outcome"] == "ok"
    stamp, _, logged = log[0].partition(" on SIGTERM")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d stopping", stamp)
    assert (logged, log[1:]) == (
        ": running jobs finish their current batch",
        ["scheduler stopped"],
    ), "an empty outbox delivered twice is not news"


def test_a_stopped_job_finishes_its_batch_and_is_recorded_stopped(kchat, ev, monkeypatch):
    kchat.ingest(*(ev.says(f"u{n}", f"2022-01-0{n + 1} 10:00") for n in range(5)))
    monkeypatch.setenv("KCHAT_RETENTION_BATCH", "2")

    def stop_now():
        raise Stopped()

    with pytest.raises(Stopped):
        run_job(
            kchat.engine,
            "retention",
            as_of=parse_instant(kst("2026-11-25 12:00")),
            home=Home(kchat.home),
            checkpoint=stop_now,
        )
    (run,) = kchat.json("jobs", "history", "retention")
    assert run["outcome"] == "stopped"
    with kchat.engine.connect() as connection:
        left = connection.exec_driver_sql("SELECT count(*) FROM messages").scalar()
    assert left == 3, "the first batch of two finished; nothing after it started"


def test_a_run_in_words_and_none_for_a_run_that_did_nothing():
    def run(name, outcome="ok", **counts):
        return {"name": name, "outcome": outcome, "counts": counts}

    assert run_summary(run("deliver", sent=0, retrying=0, failed=0)) is None
    assert run_summary(run("deliver", sent=3, retrying=1, failed=0)) == (
        "deliver: 3 sent, 1 to retry"
    )
    assert run_summary(run("retention", messages=1, files=0, rooms=1, batches=1)) == (
        "retention: 1 message deleted, 1 room touched"
    )
    assert run_summary(run("pii-purge", destroyed=2)) == (
        "pii-purge: 2 customer info records destroyed"
    )
    assert run_summary(run("deliver", "stopped", sent=0)) == "deliver: stopped"


def test_the_scheduler_logs_a_line_a_run_that_did_something_and_nothing_else(
    kchat, two_rooms_asking, caplog
):
    u1, _ = two_rooms_asking
    daemon = Daemon(kchat.engine, Home(folder=kchat.home))
    with caplog.at_level(logging.INFO, logger="kchat.scheduler"):
        assert daemon.run_once("deliver")["counts"]["sent"] == 0
        assert daemon.run_once("offhours-notices") is not None
        assert caplog.messages == [], "nothing happened"
        kchat("send", u1, "안녕하세요")
        daemon.run_once("deliver")
    assert caplog.messages == ["deliver: 1 sent"]
