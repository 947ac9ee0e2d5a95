"""The pii-purge job (R-PII-2): see kchat_cli.domain.personal_data.pii.purge."""

from jobs.context import JobContext
from kchat_cli.domain.personal_data import pii


def run(context: JobContext) -> dict:
    purged = pii.purge(
        context.batches,
        context.as_of,
        dry_run=context.dry_run,
        checkpoint=context.checkpoint,
        progress=context.progress,
    )
    if not context.dry_run:
        for channel_id, destroyed in purged.by_channel.items():
            context.deleted[channel_id] = {"customer_info": destroyed}
    return {"would_destroy" if context.dry_run else "destroyed": purged.destroyed}
