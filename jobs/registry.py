"""The jobs, their schedules (Korea time) and how late a run may start (misfire grace)."""

from collections.abc import Callable
from dataclasses import dataclass

from jobs import deliver, offhours, pii_purge, retention


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable
    summary: str
    schedule: str  # cron (5 fields, Korea time) or "every N seconds"
    misfire_grace: int  # seconds
    unit: str = ""  # what its progress counts
    deletes: bool = False  # destroys data: audited, and an --as-of ahead of now needs --yes


JOBS = {
    job.name: job
    for job in (
        Job(
            "retention",
            retention.run,
            "delete messages older than three years, their files and outbox copies",
            "30 3 * * *",
            3600,
            "messages deleted",
            deletes=True,
        ),
        Job(
            "pii-purge",
            pii_purge.run,
            "destroy customer info 3 days after completion or consent",
            "0 * * * *",
            1800,
            "records destroyed",
            deletes=True,
        ),
        Job(
            "offhours-notices",
            offhours.run,
            "off-hours notices to users who wrote while chat was closed",
            "* * * * *",
            50,
            "channels done",
        ),
        Job(
            "deliver",
            deliver.run,
            "send the outbox through KCHAT_TRANSPORT",
            "every 10 seconds",
            9,
            "items handled",
        ),
    )
}
