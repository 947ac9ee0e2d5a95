"""Saved replies (자주 쓰는 답변, R-SEND-3): managed apart, sent by name."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

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


def list_replies(session: Session, channel_id: int) -> list[dict]:
    query = sa.select(Reply).where(Reply.channel_id == channel_id).order_by(Reply.name)
    return [
        {"name": r.name, "text": r.text, "updated_at": r.updated_at} for r in session.scalars(query)
    ]


def create(session: Session, channel_id: int, name: str, text: str, *, now: datetime) -> None:
    name, text = _checked(name, text)
    if (
        session.scalar(
            sa.select(Reply.id).where(Reply.channel_id == channel_id, Reply.name == name)
        )
        is not None
    ):
        raise Refused(f"a saved reply named {name!r} exists", "edit it: kchat replies edit")
    session.add(Reply(channel_id=channel_id, name=name, text=text, created_at=now, updated_at=now))


def edit(session: Session, channel_id: int, name: str, text: str, *, now: datetime) -> None:
    name, text = _checked(name, text)
    reply = _find(session, channel_id, name)
    reply.text, reply.updated_at = text, now


def delete(session: Session, channel_id: int, name: str) -> None:
    session.delete(_find(session, channel_id, name))


def text_of(session: Session, channel_id: int, name: str) -> str:
    return _find(session, channel_id, name).text
