"""Room labels (R-LABEL-1): created apart, applied to rooms, used to filter lists."""

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.bulk import RoomAction
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.hostile import typed
from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.models import Label, RoomLabel

LABEL_FIELDS = ("name", "rooms")
NAME_LIMIT = 20


def list_labels(actor: Actor) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    query = (
        sa.select(Label.name, sa.func.count(RoomLabel.room_id))
        .outerjoin(RoomLabel, RoomLabel.label_id == Label.id)
        .where(Label.channel_id == channel_id)
        .group_by(Label.id, Label.name)
        .order_by(Label.name)
    )
    return [{"name": name, "rooms": count} for name, count in session.execute(query)]


def _checked(name: str) -> str:
    return typed(name, "the label's name", limit=NAME_LIMIT)


def _find(session: Session, channel_id: int, name: str) -> Label:
    label = session.scalar(
        sa.select(Label).where(Label.channel_id == channel_id, Label.name == name)
    )
    if label is None:
        raise NotFound(f"no label {name!r}", "see kchat labels list")
    return label


def _refuse_taken(session: Session, channel_id: int, name: str) -> None:
    if (
        session.scalar(
            sa.select(Label.id).where(Label.channel_id == channel_id, Label.name == name)
        )
        is not None
    ):
        raise Refused(f"a label named {name!r} exists")


def create(actor: Actor, name: str) -> None:
    session, channel_id = actor.db, actor.channel_id
    name = _checked(name)
    _refuse_taken(session, channel_id, name)
    session.add(Label(channel_id=channel_id, name=name))


def rename(actor: Actor, old: str, new: str) -> None:
    session, channel_id = actor.db, actor.channel_id
    new = _checked(new)
    label = _find(session, channel_id, old)
    _refuse_taken(session, channel_id, new)
    label.name = new


def rooms_with(actor: Actor, name: str) -> int:
    session, channel_id = actor.db, actor.channel_id
    label = _find(session, channel_id, name)
    return session.scalar(sa.select(sa.func.count()).where(RoomLabel.label_id == label.id))


def delete(actor: Actor, name: str) -> int:
    """The label goes, and from its rooms too; returns how many rooms had it."""
    session, channel_id = actor.db, actor.channel_id
    label = _find(session, channel_id, name)
    count = rooms_with(actor, name)
    session.execute(sa.delete(RoomLabel).where(RoomLabel.label_id == label.id))
    session.delete(label)
    return count


class LabelChange(RoomAction):
    """A bulk room action: labels added and removed, in one statement per batch."""

    def __init__(self, add: list[str], remove: list[str]):
        if not add and not remove:
            raise Invalid("nothing to change", "give --add LABEL or --remove LABEL")
        both = set(add) & set(remove)
        if both:
            raise Invalid(f"label {sorted(both)[0]!r} is both added and removed")
        self.add_names, self.remove_names = list(dict.fromkeys(add)), list(dict.fromkeys(remove))

    def prepare(self, actor: Actor, rooms: list[RoomState]) -> None:
        self.add = [_find(actor.db, actor.channel_id, name).id for name in self.add_names]
        self.remove = [_find(actor.db, actor.channel_id, name).id for name in self.remove_names]
        query = sa.select(RoomLabel.room_id, RoomLabel.label_id).where(
            RoomLabel.room_id.in_([room.id for room in rooms])
        )
        self.present = {tuple(row) for row in actor.db.execute(query)}
        self.inserts: list[dict] = []
        self.deletes: list[tuple[int, int]] = []

    def __call__(self, actor: Actor, room: RoomState) -> bool:
        adds = [(room.id, label) for label in self.add if (room.id, label) not in self.present]
        drops = [(room.id, label) for label in self.remove if (room.id, label) in self.present]
        self.inserts += [{"room_id": room_id, "label_id": label} for room_id, label in adds]
        self.deletes += drops
        return bool(adds or drops)

    def finish(self, actor: Actor) -> None:
        bulk_insert(actor.db, RoomLabel.__table__, self.inserts)
        for label in self.remove:
            rooms = [room_id for room_id, dropped in self.deletes if dropped == label]
            if rooms:
                actor.db.execute(
                    sa.delete(RoomLabel).where(
                        RoomLabel.label_id == label, RoomLabel.room_id.in_(rooms)
                    )
                )
