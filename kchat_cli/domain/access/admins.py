"""Channels and their admins (R-ROLE-1): owners manage admins and the personal-info plugin,
managers do the chat work; a channel always keeps an owner."""

import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.access.gate import acting_admin_row
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.hostile import typed
from kchat_cli.domain.vocabulary import STATUSES
from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.models import Admin, AuthSession, Channel, Room, RoomCount

ROLES = ("owner", "manager")
PHONE_LIMIT = 20
# A login names a session file and shows in lists: letters, digits, '.', '_' and '-'.
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
LOGIN_RULE = "a login is 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"


def check_login(login: str) -> str:
    if not _LOGIN.match(login):
        raise Invalid(f"not a login: {login!r}", LOGIN_RULE)
    return login


def require_owner(admin: Admin, doing: str) -> None:
    """R-ROLE-1: only an owner may `doing`."""
    if admin.role != "owner":
        raise Refused(
            f"only an owner can {doing}; {admin.login!r} is a {admin.role}",
            "ask an owner of the channel",
        )


def create_channel(
    session: Session, name: str, *, owner: str, owner_name: str | None, now: datetime
) -> tuple[Channel, bool]:
    """The channel and its owner; an existing channel is left as it is."""
    name = typed(name, "the channel's profile name")
    channel = session.scalar(sa.select(Channel).where(Channel.name == name))
    if channel is not None:
        return channel, False
    channel = Channel(name=name, created_at=now)
    session.add(channel)
    session.flush()
    session.add_all(RoomCount(channel_id=channel.id, status=status) for status in STATUSES)
    enroll(session, channel.id, owner, name=owner_name or owner, role="owner", now=now)
    return channel, True


def add_admin(
    actor: Actor, login: str, *, name: str, phone: str | None = None, role: str = "manager"
) -> Admin:
    """An owner adds an admin (R-ROLE-1)."""
    session, by, now = actor.db, actor.admin, actor.now
    require_owner(by, "add admins")
    return enroll(session, by.channel_id, login, name=name, phone=phone, role=role, now=now)


def enroll(
    session: Session,
    channel_id: int,
    login: str,
    *,
    name: str,
    phone: str | None = None,
    role: str = "manager",
    now: datetime,
) -> Admin:
    """A new admin, with additional verification ON (R-AUTH-1): as an owner adds one, or as
    a store is set up. A removed admin added again comes back as now described, their past
    messages still theirs, with no session from before."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    check_login(login)
    name = typed(name, "the admin's name")
    phone = None if phone is None else typed(phone, "the phone number", limit=PHONE_LIMIT)
    admin = session.scalar(
        sa.select(Admin).where(Admin.channel_id == channel_id, Admin.login == login)
    )
    if admin is not None and admin.removed_at is None:
        raise Refused(f"admin {login!r} already exists", "see kchat admins list")
    if admin is None:
        admin = Admin(channel_id=channel_id, login=login, name=name, created_at=now)
        session.add(admin)
    admin.name, admin.phone, admin.role = name, phone, role
    admin.removed_at, admin.additional_auth = None, True
    session.flush()
    return admin


def active_admin(
    session: Session, channel_id: int, login: str, *, for_update: bool = False
) -> Admin:
    query = sa.select(Admin).where(
        Admin.channel_id == channel_id, Admin.login == login, Admin.removed_at.is_(None)
    )
    admin = session.scalar(query.with_for_update() if for_update else query)
    if admin is None:
        raise NotFound(f"no admin {login!r} in this channel", "see kchat admins list")
    return admin


def acting_admin(session: Session, channel_id: int, login: str | None) -> Admin:
    """The admin a command acts as (see gate.acting_admin_row), to act with."""
    return session.get(Admin, acting_admin_row(session, channel_id, login).id)


def remove_admin(actor: Actor, login: str) -> int:
    """An owner removes an admin: they can act no more, their sessions end, and their rooms
    are unassigned (returns how many). Their messages keep their name. The last owner
    cannot be removed (R-ROLE-1)."""
    session, by, now = actor.db, actor.admin, actor.now
    require_owner(by, "remove admins")
    admin = active_admin(session, by.channel_id, login, for_update=True)
    _keep_an_owner(session, admin, "removed")
    admin.removed_at = now
    session.execute(
        sa.update(AuthSession)
        .where(AuthSession.admin_id == admin.id, AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    unassigned = session.execute(
        sa.update(Room).where(Room.assignee_id == admin.id).values(assignee_id=None)
    )
    return unassigned.rowcount


def set_role(actor: Actor, login: str, role: str) -> bool:
    """An owner makes an admin an owner or a manager; returns whether it changed. The last
    owner cannot be made a manager (R-ROLE-1)."""
    session, by = actor.db, actor.admin
    require_owner(by, "change roles")
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    admin = active_admin(session, by.channel_id, login, for_update=True)
    if admin.role == role:
        return False
    if role != "owner":
        _keep_an_owner(session, admin, "made a manager")
    admin.role = role
    return True


def _keep_an_owner(session: Session, admin: Admin, change: str) -> None:
    """Refuse a change that would leave the channel without an owner. The owners are
    locked, so two owners cannot demote each other at once."""
    if admin.role != "owner":
        return
    owners = session.scalars(
        sa.select(Admin.id)
        .where(
            Admin.channel_id == admin.channel_id, Admin.role == "owner", Admin.removed_at.is_(None)
        )
        .with_for_update()
    ).all()
    if len(owners) == 1:
        raise Refused(
            f"{admin.login!r} is the channel's last owner and cannot be {change}",
            "make another admin an owner first: kchat admins set-role LOGIN owner",
        )


def set_notifications(actor: Actor, on: bool) -> None:
    """R-UNR-3: the acting admin's own new-message alerts, on or off."""
    actor.db.get(Admin, actor.admin_id).notifications = on


def named(session: Session, login: str | None) -> str | None:
    """A login named to start a job, which spans channels: an admin of any of them."""
    if login is None:
        return None
    query = sa.select(Admin.id).where(Admin.login == login, Admin.removed_at.is_(None))
    found = session.scalar(query.limit(1))
    if found is None:
        raise NotFound(f"no admin {login!r} in this store", "see kchat admins list")
    return login


def admin_ids_by_login(session: Session, channel_id: int, logins) -> dict[str, int]:
    query = sa.select(Admin.login, Admin.id).where(
        Admin.channel_id == channel_id, Admin.login.in_(list(logins))
    )
    return dict(session.execute(query).all())


def list_admins(actor: Actor) -> list[dict]:
    session, channel_id = actor.db, actor.channel_id
    query = (
        sa.select(Admin)
        .where(Admin.channel_id == channel_id, Admin.removed_at.is_(None))
        .order_by(Admin.id)
    )
    return [
        {
            "id": admin.id,
            "login": admin.login,
            "name": admin.name,
            "role": admin.role,
            "additional_auth": admin.additional_auth,
            "notifications": admin.notifications,
            "created_at": admin.created_at,
        }
        for admin in session.scalars(query)
    ]
