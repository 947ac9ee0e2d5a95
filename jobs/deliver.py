"""The deliver job (R-OUT-1): the outbox to the transport, with retries and backoff."""

from jobs.context import JobContext
from kchat_cli.domain.upkeep.delivery import deliver
from kchat_cli.transports import open_transport


def run(context: JobContext) -> dict:
    home = context.home
    transport = open_transport(home.transport, home.folder, home.transport_timeout)
    return deliver(
        context.batches,
        transport,
        context.attachment_store(),
        as_of=context.as_of if context.as_of_given else None,
        sealer=context.sealer,
        dry_run=context.dry_run,
        progress=context.progress,
    )
