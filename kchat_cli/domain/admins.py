"""Channels and their admins."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.errors import Invalid, NotFound, Refused
from kchat_cli.store.models import Admin, Channel, Room

ROLES = ("owner", "manager")


def create_channel(
    session: Session, name: str, *, owner: str, owner_name: str | None, now: datetime
) -> tuple[Channel, bool]:
    """The channel and its owner; an existing channel is left as it is."""
    if not name.strip():
        raise Invalid("a channel needs a profile name")
    channel = session.scalar(sa.select(Channel).where(Channel.name == name))
    if channel is not None:
        return channel, False
    channel = Channel(name=name, created_at=now)
    session.add(channel)
    session.flush()
    add_admin(session, channel.id, owner, name=owner_name or owner, role="owner", now=now)
    return channel, True


def add_admin(session: Session, channel_id: int, login: str, *, name: str,
              phone: str | None = None, role: str = "manager", now: datetime) -> Admin:  # fmt: skip
    """A new admin, with additional verification ON (R-AUTH-1). A removed admin added again
    comes back as now described, their past messages still theirs."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}", f"use one of {', '.join(ROLES)}")
    if not login.strip() or not name.strip():
        raise Invalid("an admin needs a login and a name")
    admin = session.scalar(sa.select(Admin).where(Admin.channel_id == channel_id,
                                                  Admin.login == login))  # fmt: skip
    if admin is not None and admin.removed_at is None:
        raise Refused(f"admin {login!r} already exists", "see kchat admins list")
    if admin is None:
        admin = Admin(channel_id=channel_id, login=login, name=name, created_at=now)
        session.add(admin)
    admin.name, admin.phone, admin.role = name, phone, role
    admin.removed_at, admin.additional_auth = None, True
    session.flush()
    return admin


def active_admin(session: Session, channel_id: int, login: str) -> Admin:
    admin = session.scalar(
        sa.select(Admin).where(
            Admin.channel_id == channel_id, Admin.login == login, Admin.removed_at.is_(None)
        )
    )
    if admin is None:
        raise NotFound(f"no admin {login!r} in this channel", "see kchat admins list")
    return admin


def acting_admin(session: Session, channel_id: int, login: str | None) -> Admin:
    """The admin a command acts as: `--as`/KCHAT_ADMIN, or the channel's only admin."""
    if login is not None:
        return active_admin(session, channel_id, login)
    admins = list(
        session.scalars(
            sa.select(Admin)
            .where(Admin.channel_id == channel_id, Admin.removed_at.is_(None))
            .limit(2)
        )
    )
    if len(admins) == 1:
        return admins[0]
    raise Invalid("this channel has several admins", "pass --as LOGIN or set KCHAT_ADMIN")


def remove_admin(session: Session, channel_id: int, login: str, *, now: datetime) -> int:
    """The admin can act no more; their rooms are unassigned (returns how many). Their
    messages keep their name. The last owner cannot be removed."""
    admin = active_admin(session, channel_id, login)
    if admin.role == "owner":
        owners = session.scalar(
            sa.select(sa.func.count()).where(
                Admin.channel_id == channel_id, Admin.role == "owner", Admin.removed_at.is_(None)
            )
        )
        if owners == 1:
            raise Refused(
                f"{login!r} is the channel's last owner",
                "add another owner first: kchat admins add LOGIN --role owner",
            )
    admin.removed_at = now
    unassigned = session.execute(sa.update(Room).where(Room.assignee_id == admin.id)
                                 .values(assignee_id=None))  # fmt: skip
    return unassigned.rowcount


def admin_ids_by_login(session: Session, channel_id: int, logins) -> dict[str, int]:
    query = sa.select(Admin.login, Admin.id).where(
        Admin.channel_id == channel_id, Admin.login.in_(list(logins))
    )
    return dict(session.execute(query).all())


def list_admins(session: Session, channel_id: int) -> list[dict]:
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
