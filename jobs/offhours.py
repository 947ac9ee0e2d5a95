"""The offhours-notices job (R-SET-4, R-SET-5): see
kchat_cli.domain.conversations.notices.send_due_offhours."""

from jobs.context import JobContext
from kchat_cli.domain.conversations import notices


def run(context: JobContext) -> dict:
    sent = notices.send_due_offhours(
        context.batches, context.as_of, dry_run=context.dry_run, checkpoint=context.checkpoint
    )
    return {"would_send" if context.dry_run else "sent": sent}
