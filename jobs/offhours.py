"""The offhours-notices job (R-SET-4, R-SET-5): a notice to every user who wrote during
the off-hours period still going on and has none for it yet."""

import sqlalchemy as sa

from jobs.context import JobContext
from kchat_cli.domain.chat_settings import notices, settings
from kchat_cli.store.models import Channel
from kchat_cli.store.session import read_session, run_write


def run(context: JobContext) -> dict:
    with read_session(context.engine) as session:
        channel_ids = list(session.scalars(sa.select(Channel.id).order_by(Channel.id)))
    sent = 0
    for channel_id in channel_ids:
        sent += run_write(
            context.engine,
            lambda session, channel_id=channel_id: _notify(session, channel_id, context),
            commit=not context.dry_run,
        )
        context.checkpoint()
    return {"would_send" if context.dry_run else "sent": sent}


def _notify(session, channel_id: int, context: JobContext) -> int:
    chat = settings.load(session, channel_id)
    conversation = notices.due_offhours(session, channel_id, chat, context.as_of)
    conversation.flush()
    return conversation.notices_sent
