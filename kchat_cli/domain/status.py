"""The channel at a glance (`kchat status`)."""

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.rooms import STATUSES
from kchat_cli.store.models import Channel, OutboxItem, Room, User

STATUS_FIELDS = (
    "channel",
    "unread",
    *(f"rooms_{status}" for status in STATUSES),
    "outbox_pending",
    "outbox_failed",
)


def channel_status(session: Session, channel_id: int) -> dict:
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
    return {
        "channel": channel.name,
        "unread": channel.unread_total,
        **{f"rooms_{status}": by_status.get(status, 0) for status in STATUSES},
        "outbox_pending": outbox.get("pending", 0),
        "outbox_failed": outbox.get("failed", 0),
    }
