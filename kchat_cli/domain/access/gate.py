"""The access check every gated command passes (R-AUTH-1, R-AUTH-5), with SQLAlchemy Core
only: it runs before every such command, light ones included, so it keeps the ORM off
their path. An admin with verification ON needs a live session of theirs: a token in this OS
user's 0600 file under KCHAT_HOME/sessions, matching a session in the store that has not
ended or expired and was opened by this OS user.
"""

import hashlib
import os
import socket
import stat
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from kchat_cli.errors import Invalid, NeedsVerification, NotAnAdmin, Refused
from kchat_cli.store.opening import some
from kchat_cli.store.tables import admins, auth_sessions


def acting_admin_row(db, channel_id: int, login: str | None) -> sa.Row:
    """The admin a command acts as: `--as`/KCHAT_ADMIN, or the channel's only admin."""
    query = sa.select(admins).where(
        admins.c.channel_id == channel_id, admins.c.removed_at.is_(None)
    )
    if login is not None:
        found = db.execute(query.where(admins.c.login == login)).first()
        if found is None:
            raise NotAnAdmin(f"no admin {login!r} in this channel", "see kchat admins list")
        return found
    found = db.execute(query.order_by(admins.c.id).limit(11)).all()
    if len(found) == 1:
        return found[0]
    logins = some([admin.login for admin in found[:10]]) + (", …" if len(found) > 10 else "")
    raise Invalid(
        f"this channel has several admins ({logins})", "pass --as LOGIN or set KCHAT_ADMIN"
    )


def require_verified(db, admin, home: Path, now: datetime) -> None:
    """R-AUTH-1: refuse an admin with verification ON and no live session."""
    if not admin.additional_auth:
        return
    if active_session(db, admin, read_session_file(home, admin), now) is None:
        raise NeedsVerification("additional verification needed", "run kchat auth send-code")


def active_session(db, admin, token: str | None, now: datetime) -> sa.Row | None:
    """The live session of this token, if it is this OS user's."""
    if not token:
        return None
    found = db.execute(
        sa.select(auth_sessions).where(
            auth_sessions.c.admin_id == admin.id,
            auth_sessions.c.token_hash == token_digest(token),
        )
    ).first()
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found if found.os_user == os_user() else None


def token_digest(token: str) -> str:
    """A session token is 32 random bytes: a plain hash of it cannot be searched."""
    return f"session${hashlib.sha256(f'session:{token}'.encode()).hexdigest()}"


def os_user() -> str:
    """Who runs kchat here: a session is theirs alone."""
    return f"{os.geteuid()}@{socket.gethostname()}"


def session_file(home: Path, admin) -> Path:
    """Named by ids, never by a typed name: it can only be inside the sessions folder."""
    return home / "sessions" / f"{admin.channel_id}-{admin.id}"


def read_session_file(home: Path, admin) -> str | None:
    """The token in this OS user's session file; a file that is not theirs alone (another
    user's, a link, readable by others) is refused."""
    path = session_file(home, admin)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        raise Refused(
            f"the session file {path} is not a file", "run kchat auth logout, then verify again"
        ) from None
    with os.fdopen(descriptor) as handle:
        check_owned(path, "file", os.fstat(handle.fileno()))
        return handle.read().strip()


def check_owned(path: Path, what: str, found: os.stat_result | None = None) -> None:
    found = found or os.lstat(path)
    if found.st_uid != os.geteuid():
        raise Refused(
            f"the session {what} {path} belongs to another user",
            "verify as yourself: kchat auth send-code",
        )
    if stat.S_IMODE(found.st_mode) & 0o077:
        raise Refused(
            f"the session {what} {path} can be read by others",
            "run kchat auth logout, then verify again",
        )
