"""The retention job (R-RET-1): see kchat_cli.domain.retention for what it keeps true."""

import os

from jobs.context import JobContext
from kchat_cli.domain import retention


def run(context: JobContext) -> dict:
    # KCHAT_RETENTION_BATCH tunes how many messages one transaction deletes.
    batch_size = int(os.environ.get("KCHAT_RETENTION_BATCH", retention.RETENTION_BATCH))
    report = retention.run(context.engine, as_of=context.as_of, home=context.home,
                           dry_run=context.dry_run, batch_size=batch_size,
                           checkpoint=context.checkpoint)  # fmt: skip
    return report.counts()
