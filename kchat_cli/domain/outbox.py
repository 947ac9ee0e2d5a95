"""The outbox (SPEC §5): what the channel sends, waiting for or after delivery."""

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.auth import MASK
from kchat_cli.errors import Invalid
from kchat_cli.store.models import OutboxItem, Room, User

OUTBOX_FIELDS = (
    "id",
    "room",
    "user",
    "kind",
    "text",
    "status",
    "attempts",
    "created_at",
    "sent_at",
)
OUTBOX_STATUSES = ("pending", "sent", "failed")


def list_outbox(
    session: Session, channel_id: int, *, status: str | None = None, limit: int = 50
) -> list[dict]:
    if status is not None and status not in OUTBOX_STATUSES:
        raise Invalid(f"unknown outbox status {status!r}")
    query = (
        sa.select(
            OutboxItem.id,
            OutboxItem.room_id,
            User.key,
            OutboxItem.kind,
            OutboxItem.text,
            OutboxItem.status,
            OutboxItem.attempts,
            OutboxItem.created_at,
            OutboxItem.sent_at,
        )
        .outerjoin(Room, Room.id == OutboxItem.room_id)
        .outerjoin(User, User.id == Room.user_id)
        .where(OutboxItem.channel_id == channel_id)
        .order_by(OutboxItem.id.desc())
    )
    if status is not None:
        query = query.where(OutboxItem.status == status)
    if limit:
        query = query.limit(limit)
    records = [dict(zip(OUTBOX_FIELDS, row, strict=True)) for row in session.execute(query)]
    for record in records:
        if record["kind"] == "code":
            record["text"] = MASK  # a verification code is for its admin's eyes only
    return records
