"""Delivery of the outbox (R-OUT-1): due items go to the transport; a failure is retried
with exponential backoff, and after MAX_ATTEMPTS, or at once when it is permanent, the item
is `failed` with its last error. What is delivered never names an admin (R-SEND-2).

An item is sent first and marked after, so a crash in between sends it again: the
Idempotency-Key lets the receiver drop the second copy. An image's or file's bytes go with
it (the transport carries them), read from the attachment store a chunk at a time; an item
whose bytes are missing fails alone.

When an item is due is decided by the store's clock (see expressions.store_now), unless a
run is given a time (`--as-of`): machines of a team whose clocks differ deliver at once.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.clock import kst_iso
from kchat_cli.domain.access import auth
from kchat_cli.domain.actor import Actor
from kchat_cli.errors import KchatError, MissingBytes
from kchat_cli.store import catalog
from kchat_cli.store.attachment_store import AttachmentStore
from kchat_cli.store.batches import Batches
from kchat_cli.store.expressions import store_now
from kchat_cli.store.models import Admin, Channel, Message, OutboxItem, Room, User
from kchat_cli.store.sealing import Sealer

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
DELIVER_BATCH = 200
DELIVER_LIMIT = 10_000  # a run stops after this many; the next run goes on


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour, after the n-th failed attempt."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def idempotency_key(item_id: int, channel_id: int) -> str:
    return f"kchat-{channel_id}-{item_id}"


def _is_due(as_of: datetime | None):
    """Pending, and due at `as_of` (None: now, by the store's clock); no time: at once."""
    now = store_now(0.0) if as_of is None else as_of
    return sa.and_(
        OutboxItem.status == "pending",
        sa.or_(OutboxItem.next_attempt_at.is_(None), OutboxItem.next_attempt_at <= now),
    )


def _due(session: Session, as_of: datetime | None, after_id: int) -> list[dict]:
    query = (
        sa.select(
            OutboxItem.id,
            OutboxItem.channel_id,
            Channel.name,
            User.key,
            OutboxItem.kind,
            OutboxItem.text,
            OutboxItem.sealed_text,
            OutboxItem.created_at,
            OutboxItem.attempts,
            Admin.login,
            Admin.phone,
            Message.file_name,
            Message.file_size,
            Message.file_mime,
            Message.file_sha256,
        )
        .join(Channel, Channel.id == OutboxItem.channel_id)
        .outerjoin(Room, Room.id == OutboxItem.room_id)
        .outerjoin(User, User.id == Room.user_id)
        .outerjoin(Admin, Admin.id == OutboxItem.admin_id)
        .outerjoin(Message, Message.id == OutboxItem.message_id)
        .where(_is_due(as_of), OutboxItem.id > after_id)
        .order_by(OutboxItem.id)
        .limit(DELIVER_BATCH)
    )
    return [row._asdict() for row in session.execute(query)]


def scheduler_runs(actor: Actor) -> bool:
    """Whether a scheduler delivers for this store now (it holds the scheduler's lease)."""
    return catalog.live_lease(actor.db, catalog.SCHEDULER, actor.now) is not None


def due_now(batches: Batches) -> bool:
    """Whether anything waits to be sent now, by the store's clock (cheap: the outbox's
    due index)."""
    with batches.read() as session:
        query = sa.select(OutboxItem.id).where(_is_due(None))
        return session.execute(query.limit(1)).first() is not None


def payload(item: dict, sealer: Callable[[], Sealer]) -> dict:
    """What the messenger receives: the user and the content, never an admin's name. A
    verification code goes to its admin (login, and phone for SMS) alone, opened with the
    store's key (`sealer()`, asked for only then)."""
    file = (
        None
        if item["file_name"] is None
        else {
            "name": item["file_name"],
            "size": item["file_size"],
            "mime": item["file_mime"],
            "sha256": item["file_sha256"],
        }
    )
    text, to = item["text"], None
    if item["kind"] == "code":
        text, via = auth.code_payload_text(sealer(), item["sealed_text"])
        to = {"admin": item["login"], "via": via}
        if via == "sms":
            to["phone"] = item["phone"]
    body = {
        "id": item["id"],
        "idempotency_key": idempotency_key(item["id"], item["channel_id"]),
        "channel": item["name"],
        "user": item["key"],
        "kind": item["kind"],
        "text": text,
        "file": file,
        "created_at": kst_iso(item["created_at"]),
    }
    if to is not None:
        body["to"] = to
    return body


def deliver(
    batches: Batches,
    transport,
    files: AttachmentStore,
    *,
    as_of: datetime | None,
    sealer: Callable[[], Sealer],
    dry_run: bool = False,
    progress: Callable[[int], None] = lambda done: None,
) -> dict:
    """Send what is due at `as_of` (None: now, by the store's clock), with the bytes of
    its files from `files`. Returns counts: sent, retrying, failed (due, when dry). An item
    that cannot be opened (sealed with a key that is not here) or whose bytes are missing
    fails alone."""
    counts = {"due": 0} if dry_run else {"sent": 0, "retrying": 0, "failed": 0}
    last_id, handled = 0, 0
    while handled < DELIVER_LIMIT:
        with batches.read() as session:
            items = _due(session, as_of, last_id)
        if not items:
            break
        last_id, handled = items[-1]["id"], handled + len(items)
        if dry_run:
            counts["due"] += len(items)
            continue
        results = [(item, _attempt(transport, item, files, sealer)) for item in items]
        recorded = batches.write(lambda session, results=results: _record(session, results, as_of))
        for outcome in recorded:
            counts[outcome] += 1
        progress(handled)
    return counts


def _attempt(transport, item: dict, files: AttachmentStore, sealer: Callable[[], Sealer]):
    from kchat_cli.transports import Outcome

    try:
        body = payload(item, sealer)
        content = _content(item, files)
    except KchatError as exc:
        return Outcome(False, permanent=True, error=str(exc))
    return transport.send(body, content)


def _content(item: dict, files: AttachmentStore):
    """The bytes that go with an item: none, or its file's, to be read as they are sent."""
    from kchat_cli.transports import Content

    if item["file_sha256"] is None:
        return None
    stored = files.find(item["channel_id"], item["file_sha256"])
    if stored is None:
        raise MissingBytes(f"the bytes of {item['file_name']} are not in the store")
    return Content(
        sha256=stored.sha256,
        size=stored.size,
        name=item["file_name"],
        mime=item["file_mime"],
        chunks=lambda: files.chunks(stored),
    )


def _record(session: Session, results, as_of: datetime | None) -> list[str]:
    """Mark each item after its attempt; returns what became of each."""
    outcomes = []
    for item, outcome in results:
        attempts = item["attempts"] + 1
        values: dict = {"attempts": attempts, "last_error": outcome.error}
        if outcome.delivered:
            sent_at = store_now(0.0) if as_of is None else as_of
            values.update(status="sent", sent_at=sent_at, sealed_text=None)  # a code is wiped
            outcomes.append("sent")
        elif outcome.permanent or attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
            outcomes.append("failed")
        else:
            delay = retry_delay(attempts)
            values.update(
                next_attempt_at=store_now(delay.total_seconds()) if as_of is None else as_of + delay
            )
            outcomes.append("retrying")
        session.execute(sa.update(OutboxItem).where(OutboxItem.id == item["id"]).values(values))
    return outcomes
