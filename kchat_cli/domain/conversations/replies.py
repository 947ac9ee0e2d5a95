"""Saved replies (자주 쓰는 답변, R-SEND-3): managed apart, sent by name."""

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.hostile import TEXT_LIMIT, typed
from kchat_cli.errors import NotFound, Refused
from kchat_cli.store.models import Reply

REPLY_FIELDS = ("name", "text", "updated_at")


def _find(session: Session, channel_id: int, name: str) -> Reply:
    reply = session.scalar(
        sa.select(Reply).where(Reply.channel_id == channel_id, Reply.name == name)
    )
    if reply is None:
        raise NotFound(f"no saved reply {name!r}", "see kchat replies list")
    return reply


def _checked(name: str, text: str) -> tuple[str, str]:
    return typed(name, "the reply's name"), typed(text, "the reply", limit=TEXT_LIMIT)


def list_replies(actor: Actor) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    query = sa.select(Reply).where(Reply.channel_id == channel_id).order_by(Reply.name)
    return [
        {"name": r.name, "text": r.text, "updated_at": r.updated_at} for r in session.scalars(query)
    ]


def create(actor: Actor, name: str, text: str) -> None:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    name, text = _checked(name, text)
    if (
        session.scalar(
            sa.select(Reply.id).where(Reply.channel_id == channel_id, Reply.name == name)
        )
        is not None
    ):
        raise Refused(f"a saved reply named {name!r} exists", "edit it: kchat replies edit")
    session.add(Reply(channel_id=channel_id, name=name, text=text, created_at=now, updated_at=now))


def edit(actor: Actor, name: str, text: str) -> None:
    session, channel_id, now = actor.db, actor.channel_id, actor.now
    name, text = _checked(name, text)
    reply = _find(session, channel_id, name)
    reply.text, reply.updated_at = text, now


def delete(actor: Actor, name: str) -> None:
    session, channel_id = actor.db, actor.channel_id
    session.delete(_find(session, channel_id, name))


def text_of(actor: Actor, name: str) -> str:
    session, channel_id = actor.db, actor.channel_id
    return _find(session, channel_id, name).text
