"""The channel at a glance (`kchat status`)."""

import sqlalchemy as sa

from kchat_cli import clock
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.chat_settings import hours, settings
from kchat_cli.domain.upkeep import runs as jobruns
from kchat_cli.domain.vocabulary import STATUSES
from kchat_cli.store import locks
from kchat_cli.store.models import Channel, OutboxItem, Room, User

STATUS_FIELDS = (
    "channel",
    "unread",
    *(f"rooms_{status}" for status in STATUSES),
    "chat",
    "open_now",
    "held_rooms",
    "outbox_pending",
    "outbox_failed",
    "scheduler",
    "scheduler_since",
    "last_delivery",
    "last_jobs",
)


def channel_status(actor: Actor) -> dict:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    channel = session.get(Channel, channel_id)
    by_status = dict(
        session.execute(
            sa.select(Room.status, sa.func.count())
            .join(User, User.id == Room.user_id)
            .where(
                Room.channel_id == channel_id,
                Room.left_at.is_(None),
                Room.last_message_at.is_not(None),
                User.blocked_at.is_(None),
            )
            .group_by(Room.status)
        ).all()
    )
    outbox = dict(
        session.execute(
            sa.select(OutboxItem.status, sa.func.count())
            .where(OutboxItem.channel_id == channel_id, OutboxItem.status != "sent")
            .group_by(OutboxItem.status)
        ).all()
    )
    chat = settings.load(session, channel_id)
    scheduler = locks.live_holder(session, locks.SCHEDULER, now)
    return {
        "channel": channel.name,
        "unread": channel.unread_total,
        **{f"rooms_{status}": by_status.get(status, 0) for status in STATUSES},
        "chat": "on" if chat.chat_on else "off",
        "open_now": chat.chat_on and hours.is_available(chat.schedule, now),
        "held_rooms": session.scalar(
            sa.select(sa.func.count()).where(Room.channel_id == channel_id, Room.held.is_(True))
        ),
        "outbox_pending": outbox.get("pending", 0),
        "outbox_failed": outbox.get("failed", 0),
        "scheduler": scheduler.holder if scheduler else "not running",
        "scheduler_since": scheduler.acquired_at if scheduler else None,
        "last_delivery": session.scalar(
            sa.select(sa.func.max(OutboxItem.sent_at)).where(OutboxItem.channel_id == channel_id)
        ),
        "last_jobs": {
            name: f"{run['outcome']} {clock.kst_iso(run['started_at'])}"
            for name, run in sorted(jobruns.last_runs(session).items())
        },
    }
