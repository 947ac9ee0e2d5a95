"""The channel at a glance (`kchat status`): SQLAlchemy Core over store.tables only, so that
it starts without the ORM."""

import sqlalchemy as sa

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.chat_settings import hours, settings
from kchat_cli.domain.upkeep import runs as jobruns
from kchat_cli.domain.vocabulary import STATUSES
from kchat_cli.store import catalog
from kchat_cli.store.tables import channels, outbox, rooms, users

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
    db, channel_id, now = actor.db, actor.channel_id, actor.now
    channel = db.execute(sa.select(channels).where(channels.c.id == channel_id)).one()
    by_status = dict(
        db.execute(
            sa.select(rooms.c.status, sa.func.count())
            .join(users, users.c.id == rooms.c.user_id)
            .where(
                rooms.c.channel_id == channel_id,
                rooms.c.left_at.is_(None),
                rooms.c.last_message_at.is_not(None),
                users.c.blocked_at.is_(None),
            )
            .group_by(rooms.c.status)
        ).all()
    )
    waiting = dict(
        db.execute(
            sa.select(outbox.c.status, sa.func.count())
            .where(outbox.c.channel_id == channel_id, outbox.c.status != "sent")
            .group_by(outbox.c.status)
        ).all()
    )
    chat = settings.load(db, channel_id)
    scheduler = catalog.live_lease(db, catalog.SCHEDULER, now)
    return {
        "channel": channel.name,
        "unread": channel.unread_total,
        **{f"rooms_{status}": by_status.get(status, 0) for status in STATUSES},
        "chat": "on" if chat.chat_on else "off",
        "open_now": chat.chat_on and hours.is_available(chat.schedule, now),
        "held_rooms": db.scalar(
            sa.select(sa.func.count()).where(
                rooms.c.channel_id == channel_id, rooms.c.held.is_(True)
            )
        ),
        "outbox_pending": waiting.get("pending", 0),
        "outbox_failed": waiting.get("failed", 0),
        "scheduler": scheduler.holder if scheduler else "not running",
        "scheduler_since": scheduler.acquired_at if scheduler else None,
        "last_delivery": db.scalar(
            sa.select(sa.func.max(outbox.c.sent_at)).where(outbox.c.channel_id == channel_id)
        ),
        "last_jobs": {
            name: {"outcome": run["outcome"], "started_at": run["started_at"]}
            for name, run in sorted(jobruns.last_runs(db).items())
        },
    }
