"""Friend groups (친구그룹, R-GROUP-1): users of selected rooms added to a group; a group
message goes to the members who are friends and not blocked."""

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain import outbox
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.bulk import RoomAction
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.conversations.sending import check_text
from kchat_cli.domain.hostile import typed
from kchat_cli.errors import NotFound, Refused
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.models import FriendGroup, GroupMember, Room, User

GROUP_FIELDS = ("name", "members", "created_at")
MEMBER_FIELDS = ("user", "name", "room", "friend", "blocked")


def _find(session: Session, channel_id: int, name: str) -> FriendGroup:
    group = session.scalar(
        sa.select(FriendGroup).where(FriendGroup.channel_id == channel_id, FriendGroup.name == name)
    )
    if group is None:
        raise NotFound(f"no friend group {name!r}", "see kchat groups list")
    return group


def list_groups(actor: Actor) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    query = (
        sa.select(FriendGroup.name, sa.func.count(GroupMember.user_id), FriendGroup.created_at)
        .outerjoin(GroupMember, GroupMember.group_id == FriendGroup.id)
        .where(FriendGroup.channel_id == channel_id)
        .group_by(FriendGroup.id, FriendGroup.name, FriendGroup.created_at)
        .order_by(FriendGroup.name)
    )
    return [dict(zip(GROUP_FIELDS, row, strict=True)) for row in session.execute(query)]


def create(actor: Actor, name: str) -> None:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    name = typed(name, "the group's name")
    if (
        session.scalar(
            sa.select(FriendGroup.id).where(
                FriendGroup.channel_id == channel_id, FriendGroup.name == name
            )
        )
        is not None
    ):
        raise Refused(f"a friend group named {name!r} exists")
    session.add(FriendGroup(channel_id=channel_id, name=name, created_at=now))


def delete(actor: Actor, name: str) -> int:
    session, channel_id = actor.db, actor.channel_id
    group = _find(session, channel_id, name)
    count = session.scalar(sa.select(sa.func.count()).where(GroupMember.group_id == group.id))
    session.execute(sa.delete(GroupMember).where(GroupMember.group_id == group.id))
    session.delete(group)
    return count


def members(actor: Actor, name: str) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    group = _find(session, channel_id, name)
    query = (
        sa.select(
            User.key,
            sa.func.coalesce(Room.name, User.nickname),
            Room.id,
            User.friend,
            User.blocked_at,
        )
        .join(GroupMember, GroupMember.user_id == User.id)
        .join(Room, Room.user_id == User.id)
        .where(GroupMember.group_id == group.id)
        .order_by(User.key)
    )
    return [
        {
            "user": key,
            "name": shown,
            "room": room_id,
            "friend": friend,
            "blocked": blocked_at is not None,
        }
        for key, shown, room_id, friend, blocked_at in session.execute(query)
    ]


class AddToGroup(RoomAction):
    """A bulk room action: the rooms' users join a group, in one statement per batch."""

    def __init__(self, name: str):
        self.name = name

    def prepare(self, actor: Actor, rooms: list[RoomState]) -> None:
        self.group_id = _find(actor.db, actor.channel_id, self.name).id
        self.present = set(
            actor.db.scalars(
                sa.select(GroupMember.user_id).where(
                    GroupMember.group_id == self.group_id,
                    GroupMember.user_id.in_([room.user_id for room in rooms]),
                )
            )
        )
        self.joining: list[dict] = []

    def __call__(self, actor: Actor, room: RoomState) -> bool:
        if room.user_id in self.present:
            return False
        self.present.add(room.user_id)
        self.joining.append({"group_id": self.group_id, "user_id": room.user_id})
        return True

    def finish(self, actor: Actor) -> None:
        bulk_insert(actor.db, GroupMember.__table__, self.joining)


def message(actor: Actor, name: str, text: str) -> tuple[int, list[tuple[str, str]]]:
    """Queue the group message for each member who is a friend and not blocked. Returns how
    many were queued and the members skipped, with why."""
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    text = check_text(text)
    queued, skipped, deliveries = 0, [], []
    for member in members(actor, name):
        if member["blocked"]:
            skipped.append((member["user"], "blocked"))
        elif not member["friend"]:
            skipped.append((member["user"], "not a friend"))
        else:
            queued += 1
            deliveries.append(
                {"channel_id": channel_id, "room_id": member["room"], "kind": "group", "text": text}
            )
    outbox.enqueue(session, deliveries, now=now)
    return queued, skipped
