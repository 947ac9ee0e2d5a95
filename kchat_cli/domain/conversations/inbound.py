"""What a customer's entry and messages set off, whatever path they arrive by.

A customer who enters the room may get the guide (R-SET-6); a message is refused while chat
is OFF (R-SET-1), kept out of the room with the blocked notice for a blocked user
(R-BLOCK-1), and otherwise enters the room (reopening it, counting it unread) and may get
the off-hours notice (R-SET-4, R-SET-5). Ingest is one such path; any other feed calls the
same two functions, so the sequence is written once.
"""

from dataclasses import dataclass
from datetime import datetime

from kchat_cli.domain.chat_settings.settings import ChatSettings
from kchat_cli.domain.conversations import notices
from kchat_cli.domain.conversations.conversation import Conversation, FileInfo
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.errors import Refused


@dataclass(frozen=True)
class Inbound:
    """A channel's inbound side for one transaction: notices are decided as of `as_of`, so
    an old event (a history import) gets none."""

    conversation: Conversation
    settings: ChatSettings
    as_of: datetime

    def customer_entered(self, room: RoomState, ts: datetime) -> None:
        notices.on_entry(self.conversation, self.settings, room, ts, self.as_of)

    def customer_wrote(
        self,
        room: RoomState,
        *,
        ts: datetime,
        kind: str,
        text: str | None,
        file: FileInfo | None,
        event_id: str | None,
    ) -> None:
        if not self.settings.chat_on:
            raise Refused("chat_disabled: chat is OFF, users cannot write")
        if room.blocked_at is not None:
            self.conversation.blocked_user_message(
                room, ts=ts, kind=kind, text=text, file=file, event_id=event_id
            )
            notices.blocked_notice(self.conversation, self.settings, room, ts, self.as_of)
            return
        self.customer_entered(room, ts)
        self.conversation.user_message(
            room, ts=ts, kind=kind, text=text, file=file, event_id=event_id
        )
        notices.offhours_notice(self.conversation, self.settings, room, ts, self.as_of)
