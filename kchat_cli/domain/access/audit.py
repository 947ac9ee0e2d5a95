"""The audit log: every admin write (who, when, action, target, details) and every view or
export of personal data, written in the same transaction as what it records. Details name
what was touched, never the personal data itself."""

import json
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.store.expressions import korea_time_text
from kchat_cli.store.models import Admin, AuditEntry

AUDIT_FIELDS = ("id", "at", "admin", "action", "target", "details")


def record(
    session: Session,
    channel_id: int,
    admin_id: int | None,
    action: str,
    *,
    target: str | None = None,
    details: dict | None = None,
    now: datetime,
) -> None:
    text = json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None
    session.add(
        AuditEntry(
            channel_id=channel_id,
            admin_id=admin_id,
            at=now,
            action=action,
            target=target,
            details=text,
        )
    )


def entries(
    actor: Actor, *, since: datetime | None = None, until: datetime | None = None
) -> Iterator[tuple]:
    """The log in time order, as rows in the order of AUDIT_FIELDS, the details an object."""
    session, channel_id = actor.db, actor.channel_id
    log = AuditEntry.__table__
    query = (
        sa.select(
            log.c.id,
            korea_time_text(log.c.at),
            Admin.login,
            log.c.action,
            log.c.target,
            log.c.details,
        )
        .outerjoin(Admin, Admin.id == log.c.admin_id)
        .where(log.c.channel_id == channel_id)
        .order_by(log.c.at, log.c.id)
        .execution_options(yield_per=5000)
    )
    if since is not None:
        query = query.where(log.c.at >= since)
    if until is not None:
        query = query.where(log.c.at < until)
    for *entry, details in session.connection().execute(query):
        yield (*entry, None if details is None else json.loads(details))
