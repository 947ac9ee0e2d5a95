"""Job runs: recorded, locked, listed (R-JOB-1)."""

import json
import subprocess
import sys

import sqlalchemy as sa

from kchat_cli import clock
from kchat_cli.store import locks
from kchat_cli.store.models import JobRun, Lock


def test_every_run_is_recorded_with_counts(kchat):
    first = kchat.json("jobs", "run", "deliver", "--as-of", "2026-11-23T10:00:00+09:00")
    assert (first["name"], first["outcome"], first["dry_run"]) == ("deliver", "ok", False)
    assert first["as_of"] == "2026-11-23T10:00:00+09:00"
    kchat("jobs", "run", "offhours-notices", "--dry-run")
    history = kchat.json("jobs", "history")
    assert [(run["name"], run["dry_run"]) for run in history] == [
        ("offhours-notices", True),
        ("deliver", False),
    ]
    assert [run["name"] for run in kchat.json("jobs", "history", "deliver")] == ["deliver"]


def test_jobs_list_shows_schedule_last_and_next_run(kchat):
    kchat("jobs", "run", "deliver")
    listed = {job["name"]: job for job in kchat.json("jobs", "list")}
    assert listed["deliver"]["schedule"] == "every 10 seconds"
    assert listed["deliver"]["last_outcome"] == "ok"
    assert listed["offhours-notices"]["last_run"] is None
    assert listed["offhours-notices"]["next_run"] is not None


def test_schedule_can_be_configured(kchat):
    env = {"KCHAT_SCHEDULE_DELIVER": "every 30 seconds"}
    listed = {job["name"]: job for job in kchat.json("jobs", "list", env=env)}
    assert listed["deliver"]["schedule"] == "every 30 seconds"


def test_a_job_running_elsewhere_is_refused_exit_1(kchat):
    """The lock a live process holds: `jobs run` says who holds it and exits 1."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        holder = f"{locks.me().rpartition(':')[0]}:{sleeper.pid}"
        now = clock.now()
        with kchat.engine.begin() as connection:
            connection.execute(
                sa.insert(Lock),
                [
                    {
                        "name": "job:deliver",
                        "holder": holder,
                        "acquired_at": now,
                        "expires_at": now + locks.LEASE,
                    }
                ],
            )
        result = kchat("jobs", "run", "deliver", code=1)
        assert result.stderr.startswith(f"error: job:deliver is held by {holder} since ")
    finally:
        sleeper.kill()
        sleeper.wait()
    # Its holder died: the lock is taken over at once.
    assert kchat.json("jobs", "run", "deliver")["outcome"] == "ok"


def test_a_run_cut_short_is_marked_interrupted(kchat):
    with kchat.engine.begin() as connection:
        connection.execute(
            sa.insert(JobRun),
            [
                {
                    "name": "deliver",
                    "as_of": clock.now(),
                    "dry_run": False,
                    "started_at": clock.now(),
                    "outcome": "running",
                    "holder": "elsewhere:1",
                }
            ],
        )
    kchat("jobs", "run", "deliver")
    outcomes = [run["outcome"] for run in kchat.json("jobs", "history", "deliver")]
    assert outcomes == ["ok", "interrupted"]


def test_unknown_job(kchat):
    result = kchat("jobs", "run", "nap", code=1)
    assert (
        result.stderr
        == "error: no job 'nap'; jobs: retention, pii-purge, offhours-notices, deliver\n"
    )
    assert json.loads(kchat("jobs", "history", "-o", "json").stdout) == []
