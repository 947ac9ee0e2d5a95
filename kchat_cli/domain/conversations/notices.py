"""When automatic notices are due: off-hours (R-SET-4, R-SET-5) and the guide (R-SET-6).

Ingest applies these at once; the offhours-notices job applies them again for whatever is
still due. Either way a notice is claimed in the store (notice_claims) before it is sent,
so a second one for the same user and period cannot happen.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.chat_settings import hours, settings
from kchat_cli.domain.chat_settings.settings import ChatSettings
from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.conversation import Conversation
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.store.batches import Batches
from kchat_cli.store.models import Channel, Message

# Automatic replies answer live events only: an event older than this when it is processed
# (a history import, a late backfill) gets none.
LIVE_WINDOW = timedelta(hours=1)
BLOCKED_TEXT = "{profile}에 의해 차단된 사용자로 1:1 채팅을 할 수 없습니다."


def offhours_period(settings: ChatSettings, ts: datetime, as_of: datetime) -> str | None:
    """The off-hours period a user message at `ts` fell in, when a notice for it is still
    due at `as_of`: chat is ON, closed at `ts`, and that period has not ended by `as_of`."""
    if not settings.chat_on:
        return None
    began = hours.offhours_since(settings.schedule, ts)
    if began is None or hours.offhours_since(settings.schedule, as_of) != began:
        return None
    return began.isoformat()


def offhours_notice(
    conversation: Conversation,
    settings: ChatSettings,
    room: RoomState,
    ts: datetime,
    as_of: datetime,
) -> None:
    """R-SET-5: at most one per room per off-hours period, never to a blocked user."""
    period = offhours_period(settings, ts, as_of)
    if period is not None and room.blocked_at is None:
        conversation.notice(
            room, kind="offhours", text=settings.offhours_message(), ts=ts, once=period
        )


def on_entry(
    conversation: Conversation,
    settings: ChatSettings,
    room: RoomState,
    ts: datetime,
    as_of: datetime,
) -> None:
    """A user enters the chat room (an open, or a first message with no open before). The
    first entry of a user who is not a friend gets the guide message, once ever (R-SET-6),
    while the guide and chat are ON."""
    if room.entered_at is not None:
        return
    room.entered_at = ts
    if (
        settings.guide_on
        and settings.chat_on
        and not room.friend
        and room.blocked_at is None
        and ts >= as_of - LIVE_WINDOW
    ):
        conversation.notice(room, kind="guide", text=settings.guide_message(), ts=ts, once="")


def send_due_offhours(
    batches: Batches, as_of: datetime, *, dry_run: bool, checkpoint: Callable[[], None]
) -> int:
    """The offhours-notices job: for every channel, a notice to every user who wrote in the
    off-hours period still going on at `as_of` and has none for it yet (claims skip those
    who have). A transaction per channel; returns how many were sent."""
    with batches.read() as session:
        channel_ids = list(session.scalars(sa.select(Channel.id).order_by(Channel.id)))
    sent = 0
    for channel_id in channel_ids:
        sent += batches.write(
            lambda session, channel_id=channel_id: _send_due(session, channel_id, as_of),
            commit=not dry_run,
        )
        checkpoint()
    return sent


def _send_due(session: Session, channel_id: int, as_of: datetime) -> int:
    chat = settings.load(session, channel_id)
    conversation = Conversation(session, channel_id, as_of)
    began = hours.offhours_since(chat.schedule, as_of) if chat.chat_on else None
    if began is None:
        return 0
    messages = Message.__table__
    wrote = (
        sa.select(messages.c.room_id)
        .where(
            messages.c.channel_id == channel_id,
            messages.c.sender == "user",
            messages.c.hidden.is_(False),
            messages.c.ts >= began,
            messages.c.ts <= as_of,
        )
        .distinct()
    )
    room_ids = list(session.connection().execute(wrote).scalars())
    for room in rooms.load_rooms(session, channel_id, ids=room_ids, for_update=False):
        offhours_notice(conversation, chat, room, as_of, as_of)
    conversation.flush()
    return conversation.notices_sent


def blocked_notice(
    conversation: Conversation,
    settings: ChatSettings,
    room: RoomState,
    ts: datetime,
    as_of: datetime,
) -> None:
    """R-BLOCK-1: the exact automatic reply to a blocked user who writes (live events only).
    It stays out of the room, like the message it answers."""
    if ts >= as_of - LIVE_WINDOW:
        text = BLOCKED_TEXT.format(profile=settings.profile)
        conversation.notice(room, kind="blocked", text=text, ts=ts, hidden=True)
