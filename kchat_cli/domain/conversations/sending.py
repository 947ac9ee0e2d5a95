"""What admins send in a room (R-SEND-1…3, R-COUPON-1, R-ADDREQ-1): exactly one thing, recorded
with its admin (shown to admins only) and queued for delivery; a completed consultation is
back in progress (R-DONE-1)."""

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from kchat_cli import clock
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations import attachments, listing, replies, rooms
from kchat_cli.domain.conversations.bulk import apply_batch
from kchat_cli.domain.conversations.conversation import Conversation, FileInfo
from kchat_cli.domain.conversations.room_actions import Complete
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.hostile import storable
from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.attachment_store import AttachmentStore
from kchat_cli.store.models import Coupon

TEXT_LIMIT = 1000
ADD_REQUEST_TEXT = "채널을 추가하고 새 소식과 혜택을 받아보세요!"


class Outgoing:
    """What an admin sends: exactly one of a text, a saved reply, an image, a file, a
    coupon or a channel-add request."""

    def __init__(
        self,
        *,
        text: str | None = None,
        reply: str | None = None,
        image: Path | None = None,
        file: Path | None = None,
        coupon: int | None = None,
        add_request: bool = False,
    ):
        given = [value for value in (text, reply, image, file, coupon) if value is not None]
        if len(given) + add_request != 1:
            raise Invalid("send one thing: a TEXT, --reply, --image, --file or --coupon")
        self.text, self.reply, self.image, self.file = text, reply, image, file
        self.coupon, self.add_request = coupon, add_request
        self.attachment: FileInfo | None = None

    @property
    def carries_file(self) -> bool:
        return self.image is not None or self.file is not None

    def attach(self, files: AttachmentStore, channel_id: int, now: datetime) -> None:
        """The image's or file's bytes kept, before the send's transaction (which only
        links them, so a retry of it copies nothing again)."""
        if self.attachment is None:
            source = self.image or self.file
            image = self.image is not None
            self.attachment = attachments.keep(files, channel_id, source, image=image, now=now)


def send(actor: Actor, room_id: int, outgoing: Outgoing, *, complete: bool = False) -> dict:
    """An admin's message to the user: recorded with its admin (R-SEND-2), queued for
    delivery; a completed room is back in progress (R-DONE-1). With `complete`, the
    consultation is completed after it, in the same transaction. Returns its record."""
    room = sendable_room(actor, room_id)
    kind, text, file = "text", outgoing.text, None
    if outgoing.reply is not None:
        text = replies.text_of(actor, outgoing.reply)
    elif outgoing.carries_file:
        if outgoing.attachment is None:
            raise Invalid("the file was not attached before sending")
        kind = "image" if outgoing.image is not None else "file"
        file = outgoing.attachment
        attachments.link(actor, file)
    elif outgoing.coupon is not None:
        kind, text = "coupon", coupon_text(actor, room, outgoing.coupon)
    elif outgoing.add_request:
        if room.friend:
            raise Refused(
                f"{room.user_key} is already a friend of the channel",
                "an add request goes to users who are not friends yet",
            )
        kind, text = "add_request", ADD_REQUEST_TEXT
    if kind == "text":
        text = check_text(text)
    conversation = Conversation(actor.db, actor.channel_id, actor.now)
    conversation.admin_message(
        room, admin_id=actor.admin_id, ts=actor.now, kind=kind, text=text, file=file
    )
    (message_id,) = conversation.flush()
    if complete:
        apply_batch(actor, [room_id], Complete())
    return listing.message_by_id(actor.db, message_id)


def check_text(text: str) -> str:
    """R-SEND-1: text up to 1,000 characters."""
    if not text.strip():
        raise Invalid("the message is empty")
    if len(text) > TEXT_LIMIT:
        raise Refused(f"the message has {len(text)} characters; the limit is {TEXT_LIMIT}")
    return storable(text)


def sendable_room(actor: Actor, room_id: int, *, for_update: bool = True) -> RoomState:
    """A room whose user can be written to: not blocked, not left. Without `for_update`, a
    look that locks nothing (send --edit, before the editor opens)."""
    room = rooms.load_room(actor.db, actor.channel_id, room_id, for_update=for_update)
    if room.blocked_at is not None:
        raise Refused(f"the user of room {room_id} is blocked", "unblock first, if you may")
    if room.left_at is not None:
        raise Refused(f"room {room_id} was left", "it comes back when the user writes again")
    return room


def coupon_text(actor: Actor, room: RoomState, coupon_id: int) -> str:
    """R-COUPON-1: to a friend, while the coupon is valid."""
    coupon = actor.db.scalar(
        sa.select(Coupon).where(Coupon.id == coupon_id, Coupon.channel_id == actor.channel_id)
    )
    if coupon is None:
        raise NotFound(f"no coupon {coupon_id}", "see kchat coupons list")
    if coupon.valid_until <= actor.now:
        raise Refused(
            f"coupon {coupon_id} has expired: it was valid until "
            f"{clock.kst_day_or_minute(coupon.valid_until)}"
        )
    if not room.friend:
        raise Refused(
            f"{room.user_key} is not a friend of the channel: coupons go to friends",
            f"ask them to add the channel first: kchat rooms request-add {room.id}",
        )
    last_day = clock.kst_day_or_minute(coupon.valid_until)
    return f"[쿠폰] {coupon.name} · {coupon.benefit} · {last_day}까지"
