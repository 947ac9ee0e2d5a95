"""The retention job (R-RET-1): see kchat_cli.domain.upkeep.retention for what it keeps true."""

import os

from jobs.context import JobContext
from kchat_cli.domain.upkeep import retention
from kchat_cli.errors import Invalid

MAX_BATCH = 1_000_000


def run(context: JobContext) -> dict:
    batch_size = _batch_size()
    report = retention.run(
        context.batches,
        as_of=context.as_of,
        files=context.attachment_store(),
        dry_run=context.dry_run,
        batch_size=batch_size,
        checkpoint=context.checkpoint,
        progress=context.progress,
    )
    for channel_id, messages in report.by_channel.items():
        context.deleted[channel_id] = {"messages": messages}
    return report.counts()


def _batch_size() -> int:
    """KCHAT_RETENTION_BATCH tunes how many messages one transaction deletes."""
    text = os.environ.get("KCHAT_RETENTION_BATCH")
    if not text:
        return retention.RETENTION_BATCH
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_BATCH):
        raise Invalid(
            f"KCHAT_RETENTION_BATCH must be a whole number from 1 to {MAX_BATCH:,}",
            f"the default is {retention.RETENTION_BATCH:,}",
        )
    return int(text)
