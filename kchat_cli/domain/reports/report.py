"""The reply-time report (R-REPORT-1): first-response and resolution times, rooms and
messages, by assignee, label or Korea-time day, over a period.

First response: from a user message that starts a wait (nothing unanswered before it) to
the next admin message in that room. Resolution: from the start of a consultation (its
first user message) to its completion. Each is counted in the period its end falls in.
"""

import math
import statistics
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.clock import KST
from kchat_cli.domain.actor import Actor
from kchat_cli.store.models import Admin, Completion, Label, Message, Room, RoomLabel

REPORT_FIELDS = (
    "group",
    "rooms",
    "messages",
    "first_response_median",
    "first_response_p90",
    "resolution_median",
    "resolution_p90",
)


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, math.ceil(share * len(ranked)) - 1)]


def report(actor: Actor, by: str, *, since: datetime | None, until: datetime | None) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    groups_of = _grouping(session, channel_id, by)
    rooms: dict[str, set[int]] = defaultdict(set)
    messages: dict[str, int] = defaultdict(int)
    responses: dict[str, list[float]] = defaultdict(list)
    resolutions: dict[str, list[float]] = defaultdict(list)
    waiting: dict[int, datetime] = {}
    for room_id, sender, ts in _messages(session, channel_id, until):
        in_period = since is None or ts >= since
        if sender == "user":
            waiting.setdefault(room_id, ts)
        elif room_id in waiting:
            started = waiting.pop(room_id)
            if in_period:
                for group in groups_of(room_id, started):
                    responses[group].append((ts - started).total_seconds())
        if in_period:
            for group in groups_of(room_id, ts):
                rooms[group].add(room_id)
                messages[group] += 1
    for room_id, opened, completed in _completions(session, channel_id, since, until):
        for group in groups_of(room_id, completed):
            resolutions[group].append((completed - opened).total_seconds())
    names = sorted(set(rooms) | set(resolutions))
    return [
        {
            "group": name,
            "rooms": len(rooms[name]),
            "messages": messages[name],
            "first_response_median": _median(responses[name]),
            "first_response_p90": percentile(responses[name], 0.9),
            "resolution_median": _median(resolutions[name]),
            "resolution_p90": percentile(resolutions[name], 0.9),
        }
        for name in names
    ]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _messages(session: Session, channel_id: int, until: datetime | None):
    """User and admin messages, room by room in time order (the whole history: a wait may
    have begun before the period)."""
    messages = Message.__table__
    query = (
        sa.select(messages.c.room_id, messages.c.sender, messages.c.ts)
        .where(
            messages.c.channel_id == channel_id,
            messages.c.hidden.is_(False),
            messages.c.sender.in_(("user", "admin")),
        )
        .order_by(messages.c.room_id, messages.c.ts, messages.c.id)
        .execution_options(yield_per=10_000)
    )
    if until is not None:
        query = query.where(messages.c.ts < until)
    yield from session.connection().execute(query)


def _completions(session: Session, channel_id: int, since, until):
    query = sa.select(Completion.room_id, Completion.opened_at, Completion.completed_at).where(
        Completion.channel_id == channel_id, Completion.opened_at.is_not(None)
    )
    if since is not None:
        query = query.where(Completion.completed_at >= since)
    if until is not None:
        query = query.where(Completion.completed_at < until)
    return session.execute(query).all()


def _grouping(session: Session, channel_id: int, by: str):
    """A function from (room, moment) to the groups it counts in."""
    if by == "day":
        return lambda _room, moment: [moment.astimezone(KST).date().isoformat()]
    if by == "assignee":
        assignees = dict(
            session.execute(
                sa.select(Room.id, Admin.login)
                .outerjoin(Admin, Admin.id == Room.assignee_id)
                .where(Room.channel_id == channel_id)
            ).all()
        )
        return lambda room, _moment: [assignees.get(room) or "(none)"]
    labels: dict[int, list[str]] = defaultdict(list)
    for room_id, name in session.execute(
        sa.select(RoomLabel.room_id, Label.name)
        .join(Label, Label.id == RoomLabel.label_id)
        .where(Label.channel_id == channel_id)
    ):
        labels[room_id].append(name)
    return lambda room, _moment: labels.get(room) or ["(none)"]
