"""The pii-purge job (R-PII-2): customer info is destroyed three days after the
consultation's completion or the consent, whichever comes first; see kchat_cli.domain.access.pii
for what stays true."""

from jobs.context import JobContext
from kchat_cli.domain.access import pii
from kchat_cli.store.opening import leave_nothing_in_wal
from kchat_cli.store.session import read_session, run_write

PURGE_BATCH = 1000


def run(context: JobContext) -> dict:
    with read_session(context.engine) as session:
        due = pii.due_for_destruction(session, context.as_of)
    destroyed = 0
    for start in range(0, len(due), PURGE_BATCH):
        chunk = due[start : start + PURGE_BATCH]
        done = run_write(
            context.engine,
            lambda session, chunk=chunk: pii.destroy(
                session, [consent_id for consent_id, _ in chunk]
            ),
            commit=not context.dry_run,
        )
        destroyed += done
        context.progress(destroyed)
        if done and not context.dry_run:
            for _, channel_id in chunk:
                counts = context.deleted.setdefault(channel_id, {"customer_info": 0})
                counts["customer_info"] += 1
        context.checkpoint()
    if destroyed and not context.dry_run:
        leave_nothing_in_wal(context.engine, "pii-purge")
    return {"would_destroy" if context.dry_run else "destroyed": destroyed}
