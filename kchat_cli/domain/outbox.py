"""The outbox (R-OUT-1): what the channel sends, waiting for or after delivery. Every
producer queues through `enqueue`, which wakes a waiting scheduler (delivery.py sends)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.paging import Page, first_rows
from kchat_cli.errors import Invalid
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.models import OutboxItem, Room, User
from kchat_cli.store.wakeups import notify_outbox

MASK = "●●●●●●"
# What an item may carry besides its channel and kind; the rest is the queue's own.
ITEM_FIELDS = ("room_id", "message_id", "admin_id", "text", "sealed_text")


def enqueue(session: Session, items: list[dict], *, now: datetime) -> None:
    """Queue items to send at once: each a dict with `channel_id`, `kind` and any of
    ITEM_FIELDS. A scheduler waiting on the store hears of them when this commits. No
    next attempt time means at once, whatever the clock of the machine that delivers."""
    if not items:
        return
    rows = [
        {
            "channel_id": item["channel_id"],
            "kind": item["kind"],
            **{name: item.get(name) for name in ITEM_FIELDS},
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": None,
        }
        for item in items
    ]
    bulk_insert(session, OutboxItem.__table__, rows)
    notify_outbox(session)


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


def list_outbox(actor: Actor, *, status: str | None = None, limit: int = 50) -> Page:
    session, channel_id = actor.db, actor.channel_id
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
    rows, cut = first_rows(session, query, limit)
    records = Page([dict(zip(OUTBOX_FIELDS, row, strict=True)) for row in rows], cut=cut)
    for record in records:
        if record["kind"] == "code":
            record["text"] = MASK  # a verification code is for its admin's eyes only
    return records
