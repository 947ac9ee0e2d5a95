"""Customer info through the personal-info plugin (비즈플러그인 '개인정보이용').

R-PII-1: a lookup needs the plugin registered for the channel with status `available`.
R-PII-2: info is collected once per request, with the user's consent, and destroyed three
days after the consultation's completion or the consent, whichever comes first.

Invariant: the values never reach the store in plain text (they are sealed with Fernet on
arrival), never appear in logs, job records or exports unless --include-pii is asked for
(which is audited), and after the pii-purge job nothing of a destroyed record stays readable
in the store's files.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.access.admins import require_owner
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.conversation import Conversation
from kchat_cli.domain.conversations.sending import sendable_room
from kchat_cli.domain.hostile import typed
from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.batches import Batches
from kchat_cli.store.models import Consent, InfoRequest, Plugin, Room, User
from kchat_cli.store.sealing import Sealer

KEEP_FOR = timedelta(days=3)
PURGE_BATCH = 1000
PLUGIN_NAME = "개인정보이용"
PLUGIN_FIELDS = ("status", "biz_app", "fields", "registered_at")
INFO_FIELDS = ("room", "user", "requested_at", "consented_at", "destroy_at", "fields")


def register(actor: Actor, *, biz_app: str, fields: list[str]) -> None:
    """An owner links the channel's personal-info plugin (its biz app and the fields it
    collects, R-ROLE-1)."""
    session, by, now = actor.db, actor.admin, actor.now
    require_owner(by, "register the personal-info plugin")
    channel_id = by.channel_id
    fields = list(
        dict.fromkeys(typed(name.strip(), "a field's name") for name in fields if name.strip())
    )
    if not biz_app.strip() or not fields:
        raise Invalid(
            "the plugin needs a biz app and at least one field",
            "e.g. --biz-app myshop --fields name,phone",
        )
    biz_app = typed(biz_app, "the biz app")
    plugin = session.scalar(sa.select(Plugin).where(Plugin.channel_id == channel_id))
    if plugin is None:
        plugin = Plugin(channel_id=channel_id, biz_app=biz_app, fields="", registered_at=now)
        session.add(plugin)
    plugin.biz_app, plugin.fields, plugin.status = biz_app, ",".join(fields), "available"
    plugin.registered_at = now


def status(actor: Actor) -> dict:
    session, channel_id = actor.db, actor.channel_id
    plugin = session.scalar(sa.select(Plugin).where(Plugin.channel_id == channel_id))
    if plugin is None:
        return {"status": "not registered", "biz_app": None, "fields": [], "registered_at": None}
    return {
        "status": plugin.status,
        "biz_app": plugin.biz_app,
        "fields": plugin.fields.split(","),
        "registered_at": plugin.registered_at,
    }


def available_plugin(session: Session, channel_id: int) -> Plugin:
    """R-PII-1."""
    plugin = session.scalar(sa.select(Plugin).where(Plugin.channel_id == channel_id))
    if plugin is None or plugin.status != "available":
        raise Refused(
            f"customer info needs the personal-info plugin ({PLUGIN_NAME}) available "
            "for this channel",
            "register it: kchat plugin register --biz-app APP --fields name,phone",
        )
    return plugin


def request(actor: Actor, room_id: int) -> int:
    """Send the consent request (R-PII-1/2) to the room's user; their `consent` event
    answers it. Returns the request's id."""
    session, channel_id, admin_id, now = actor.db, actor.channel_id, actor.admin_id, actor.now
    room = sendable_room(actor, room_id)
    plugin = available_plugin(session, channel_id)
    asked = "·".join(plugin.fields.split(","))
    info_request = InfoRequest(
        channel_id=channel_id,
        room_id=room.id,
        admin_id=admin_id,
        fields=plugin.fields,
        requested_at=now,
    )
    session.add(info_request)
    session.flush()
    conversation = Conversation(session, channel_id, now)
    conversation.admin_message(
        room,
        admin_id=admin_id,
        ts=now,
        kind="info_request",
        text=f"[{PLUGIN_NAME}] 상담을 위해 {asked} 제공에 동의해 주세요.",
    )
    conversation.flush()
    return info_request.id


def destroy_at(consented: datetime, completed: datetime | None) -> datetime:
    """R-PII-2: three days after completion or consent, whichever comes first."""
    first = consented if completed is None else min(consented, completed)
    return first + KEEP_FOR


def show(actor: Actor, room_id: int) -> dict:
    """The room's latest customer info, opened (the caller audits the view)."""
    session, channel_id, sealer = actor.db, actor.channel_id, actor.sealer()
    row = session.execute(
        sa.select(Consent, InfoRequest.requested_at, Room.completed_at, User.key)
        .join(User, User.id == Consent.user_id)
        .join(Room, Room.user_id == User.id)
        .outerjoin(InfoRequest, InfoRequest.id == Consent.request_id)
        .where(Consent.channel_id == channel_id, Room.id == room_id)
        .order_by(Consent.ts.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(
            f"no customer info for room {room_id}", "request it: kchat customer-info request ROOM"
        )
    consent, requested_at, completed_at, user_key = row
    return {
        "room": room_id,
        "user": user_key,
        "requested_at": requested_at,
        "consented_at": consent.ts,
        "destroy_at": destroy_at(consent.ts, completed_at),
        "fields": sealer.open(consent.data),
    }


def opened_by_room(session: Session, channel_id: int, sealer: Sealer) -> dict[int, dict]:
    """Every room's latest customer info, opened: for `export rooms --include-pii`."""
    rows = session.execute(
        sa.select(Room.id, Consent.data)
        .join(User, User.id == Room.user_id)
        .join(Consent, Consent.user_id == User.id)
        .where(Room.channel_id == channel_id)
        .order_by(Consent.ts)
    ).all()
    return {room_id: sealer.open(data) for room_id, data in rows}


def due_for_destruction(session: Session, as_of: datetime) -> list[tuple[int, int]]:
    """The records to destroy at `as_of`, as (consent id, channel id)."""
    rows = session.execute(
        sa.select(Consent.id, Consent.channel_id, Consent.ts, Room.completed_at).join(
            Room, Room.user_id == Consent.user_id
        )
    ).all()
    return [
        (consent_id, channel_id)
        for consent_id, channel_id, ts, completed in rows
        if destroy_at(ts, completed) <= as_of
    ]


@dataclass
class Purge:
    destroyed: int = 0
    by_channel: dict[int, int] = field(default_factory=dict)

    def count(self, done: int, channel_ids: list[int]) -> None:
        self.destroyed += done
        if done:
            for channel_id in channel_ids:
                self.by_channel[channel_id] = self.by_channel.get(channel_id, 0) + 1


def purge(
    batches: Batches,
    as_of: datetime,
    *,
    dry_run: bool,
    checkpoint: Callable[[], None],
    progress: Callable[[int], None],
) -> Purge:
    """The pii-purge job (R-PII-2): destroy every record due at `as_of`, PURGE_BATCH a
    transaction, and leave nothing of them readable in the store's files."""
    with batches.read() as session:
        due = due_for_destruction(session, as_of)
    purged = Purge()
    for start in range(0, len(due), PURGE_BATCH):
        chunk = due[start : start + PURGE_BATCH]
        done = batches.write(
            lambda session, chunk=chunk: _destroy(session, [consent_id for consent_id, _ in chunk]),
            commit=not dry_run,
        )
        purged.count(done, [channel_id for _, channel_id in chunk])
        progress(purged.destroyed)
        checkpoint()
    if purged.destroyed and not dry_run:
        batches.scrub("pii-purge")
    return purged


def _destroy(session: Session, consent_ids: list[int]) -> int:
    return session.execute(sa.delete(Consent).where(Consent.id.in_(consent_ids))).rowcount
