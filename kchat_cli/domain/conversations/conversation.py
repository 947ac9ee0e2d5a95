"""The one path every message takes, in or out: it records the message, moves the room
through its transitions (rooms.py) and queues what must be delivered in the outbox (§5),
including the automatic notices (R-SET-4…6, R-BLOCK-1)."""

from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from sqlmodel import Session

from kchat_cli.domain import outbox
from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.store import search_index
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.models import Message, NoticeClaim


@dataclass(frozen=True, slots=True)
class FileInfo:
    name: str
    size: int
    mime: str
    sha256: str


@dataclass(frozen=True, slots=True)
class _Notice:
    room: RoomState
    kind: str
    text: str
    ts: datetime
    once: str | None
    hidden: bool


class Conversation:
    """A unit of work over some rooms: messages are queued, then written by `flush`."""

    def __init__(self, session: Session, channel_id: int, now: datetime):
        self.session = session
        self.channel_id = channel_id
        self.now = now
        self.rooms: dict[int, RoomState] = {}
        self._messages: list[dict] = []
        self._deliveries: list[tuple[int | None, dict]] = []
        self._notices: list[_Notice] = []
        self.notices_sent = 0

    def track(self, states) -> None:
        for state in states:
            self.rooms.setdefault(state.id, state)

    def user_message(
        self,
        room: RoomState,
        *,
        ts: datetime,
        kind: str = "text",
        text: str | None = None,
        file: FileInfo | None = None,
        event_id: str | None = None,
    ) -> None:
        seq = rooms.on_user_message(room, ts)
        self._record(room, "user", seq, ts=ts, kind=kind, text=text, file=file, event_id=event_id)

    def blocked_user_message(
        self,
        room: RoomState,
        *,
        ts: datetime,
        kind: str = "text",
        text: str | None = None,
        file: FileInfo | None = None,
        event_id: str | None = None,
    ) -> None:
        """R-BLOCK-1: kept for the record, but out of the room and its unread count."""
        self._record(
            room,
            "user",
            rooms.numbered(room),
            ts=ts,
            kind=kind,
            text=text,
            file=file,
            event_id=event_id,
            hidden=True,
        )

    def admin_message(
        self,
        room: RoomState,
        *,
        admin_id: int,
        ts: datetime,
        kind: str = "text",
        text: str | None = None,
        file: FileInfo | None = None,
        event_id: str | None = None,
        deliver: bool = True,
    ) -> None:
        """R-SEND-2: the admin is recorded on the message, never in what is delivered."""
        seq = rooms.on_admin_message(room, ts)
        index = self._record(
            room,
            "admin",
            seq,
            ts=ts,
            kind=kind,
            text=text,
            file=file,
            event_id=event_id,
            admin_id=admin_id,
        )
        if deliver:
            self._deliver(room, kind, text, message_index=index)

    def notice(
        self,
        room: RoomState,
        *,
        kind: str,
        text: str,
        ts: datetime,
        once: str | None = None,
        hidden: bool = False,
    ) -> None:
        """An automatic message to the user, recorded in the room and delivered. With `once`,
        at most one per user, kind and key, whichever process sends it first."""
        self._notices.append(_Notice(room, kind, text, ts, once, hidden))

    def _record(
        self,
        room: RoomState,
        sender: str,
        seq: int,
        *,
        ts: datetime,
        kind: str,
        text: str | None,
        file: FileInfo | None = None,
        event_id: str | None = None,
        admin_id: int | None = None,
        hidden: bool = False,
    ) -> int:
        self.rooms.setdefault(room.id, room)
        self._messages.append(
            {
                "channel_id": self.channel_id,
                "room_id": room.id,
                "sender": sender,
                "admin_id": admin_id,
                "kind": kind,
                "text": text,
                "ts": ts,
                "event_id": event_id,
                "file_name": file and file.name,
                "file_size": file and file.size,
                "file_mime": file and file.mime,
                "file_sha256": file and file.sha256,
                "hidden": hidden,
                "seq": seq,
            }
        )
        return len(self._messages) - 1

    def _deliver(
        self,
        room: RoomState | None,
        kind: str,
        text: str | None,
        *,
        message_index: int | None = None,
    ) -> None:
        self._deliveries.append(
            (
                message_index,
                {
                    "channel_id": self.channel_id,
                    "room_id": room and room.id,
                    "kind": kind,
                    "text": text,
                },
            )
        )

    def _send_notices(self) -> int:
        """Record and queue the notices whose claim this transaction won."""
        unique = {(n.room.user_id, n.kind, n.once): n for n in reversed(self._notices)}
        claims = [
            {"user_id": user_id, "kind": kind, "period": once, "claimed_at": self.now}
            for (user_id, kind, once) in unique
            if once is not None
        ]
        won = set()
        if claims:
            won = set(
                bulk_insert(
                    self.session,
                    NoticeClaim.__table__,
                    claims,
                    skip_conflicts=True,
                    returning=["user_id", "kind", "period"],
                )
            )
        sent = 0
        for key, notice in reversed(unique.items()):
            if notice.once is None or key in won:
                index = self._record(
                    notice.room,
                    "system",
                    rooms.numbered(notice.room),
                    ts=notice.ts,
                    kind="notice",
                    text=notice.text,
                    hidden=notice.hidden,
                )
                self._deliver(notice.room, notice.kind, notice.text, message_index=index)
                sent += 1
        self._notices = []
        return sent

    def flush(self) -> list[int]:
        """Write the queued messages, notices, deliveries and room changes. Returns the new
        message ids when deliveries refer to them (and so when a caller needs them)."""
        self.notices_sent = self._send_notices()
        # The rooms first: saving them takes the channel's revision lock, and messages are
        # inserted holding it, so that their ids follow commit order, which `watch` relies on.
        rooms.save_rooms(
            self.session, self.channel_id, self.rooms.values(), revise=bool(self._messages)
        )
        message_ids: list[int] = []
        messages = Message.__table__
        last_before = search_index.last_id(self.session) if self._messages else 0
        if self._messages and self._deliveries:
            inserted = self.session.connection().execute(
                messages.insert().returning(messages.c.id, sort_by_parameter_order=True),
                self._messages,
            )
            message_ids = list(inserted.scalars())
        elif self._messages:
            # By room (a stable sort keeps each room's order): its index pages are touched
            # once per batch instead of once per message.
            self._messages.sort(key=itemgetter("room_id"))
            bulk_insert(self.session, messages, self._messages)
        texts_at = [row["ts"] for row in self._messages if row["text"] is not None]
        search_index.add(self.session, last_before, texts_at)
        outbox.enqueue(
            self.session,
            [
                {**row, "message_id": None if index is None else message_ids[index]}
                for index, row in self._deliveries
            ],
            now=self.now,
        )
        self._messages, self._deliveries = [], []
        return message_ids
