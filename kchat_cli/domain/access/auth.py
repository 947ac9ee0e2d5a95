"""Additional verification (관리자 추가인증, R-AUTH-1…5).

Invariants: a code is six digits, lives five minutes, is used once, and dies after five wrong
tries; an admin gets at most five codes and ten wrong tries an hour. The store keeps a code
only under a keyed hash (the store's secret key), so a copy of the store does not yield it,
and the outbox carries it sealed, to its admin alone, wiped once sent and masked in every
listing. A session lasts twelve hours, belongs to the OS user who verified, and ends when
its admin is removed; its token lives in a 0600 file of that user under KCHAT_HOME/sessions
and only as a hash in the store. An admin with verification ON (every new admin) reaches
chat data only through such a session; jobs act as the system and need none.
"""

import hmac
import math
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain import outbox
from kchat_cli.domain.access.gate import (
    active_session,
    check_owned,
    os_user,
    read_session_file,
    session_file,
    token_digest,
)
from kchat_cli.domain.actor import Actor
from kchat_cli.errors import Invalid, NeedsVerification, Refused
from kchat_cli.store.models import Admin, AuthCode, AuthFailure, AuthSession, OutboxItem
from kchat_cli.store.sealing import Sealer

CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5
HOUR = timedelta(hours=1)
CODES_AN_HOUR = 5
WRONG_TRIES_AN_HOUR = 10
SESSION_LIFETIME = timedelta(hours=12)
CHANNELS = ("kakao", "sms")
CODE_TEXT = "[kchat] 관리자 추가인증 번호는 {code}입니다. 5분 안에 입력해 주세요."
_CODE = re.compile(r"^[0-9]{6}$")


def check_code(code: str) -> str:
    """A code is six digits: anything else is a typing mistake, which costs no try."""
    if not _CODE.match(code):
        raise Invalid("a code is six digits", "copy it from the message you received")
    return code


def _code_digest(sealer: Sealer, admin: Admin, nonce: str, code: str) -> str:
    return f"{nonce}${sealer.digest('auth-code', f'{admin.id}:{nonce}:{code}')}"


def _matches(sealer: Sealer, admin: Admin, code: str, stored: str) -> bool:
    nonce, _, _ = stored.partition("$")
    return hmac.compare_digest(_code_digest(sealer, admin, nonce, code), stored)


def _wait(since: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((since + HOUR - now).total_seconds() / 60))
    return f"try again in {minutes} minute{'s' if minutes > 1 else ''}"


def _refuse_when_ground(session: Session, admin: Admin, now: datetime) -> None:
    """R-AUTH-5: after ten wrong tries within an hour, no code is sent or checked until the
    oldest of them is an hour old."""
    failures = session.scalars(
        sa.select(AuthFailure.at)
        .where(AuthFailure.admin_id == admin.id, AuthFailure.at > now - HOUR)
        .order_by(AuthFailure.at.desc())
        .limit(WRONG_TRIES_AN_HOUR)
    ).all()
    if len(failures) >= WRONG_TRIES_AN_HOUR:
        raise Refused(
            f"{WRONG_TRIES_AN_HOUR} wrong codes within an hour: verification is paused",
            _wait(failures[-1], now),
        )


def send_code(actor: Actor, *, via: str) -> None:
    """A new code for `admin`, queued in the outbox for them alone; earlier codes die. At
    most five an hour (R-AUTH-5): each is a message to a phone."""
    session, admin, sealer, now = actor.db, actor.admin, actor.sealer(), actor.now
    if via not in CHANNELS:
        raise Invalid(f"unknown channel {via!r}", "use --via kakao or --via sms")
    if via == "sms" and not admin.phone:
        raise Refused(f"admin {admin.login!r} has no phone number for SMS", "use --via kakao")
    session.get(Admin, admin.id, with_for_update=True)  # one code at a time per admin
    _refuse_when_ground(session, admin, now)
    sent = session.scalars(
        sa.select(AuthCode.created_at)
        .where(AuthCode.admin_id == admin.id, AuthCode.created_at > now - HOUR)
        .order_by(AuthCode.created_at.desc())
        .limit(CODES_AN_HOUR)
    ).all()
    if len(sent) >= CODES_AN_HOUR:
        raise Refused(
            f"{CODES_AN_HOUR} codes were sent to {admin.login!r} within an hour",
            _wait(sent[-1], now),
        )
    code = f"{secrets.randbelow(10**6):06d}"
    session.execute(
        sa.update(AuthCode)
        .where(AuthCode.admin_id == admin.id, AuthCode.used_at.is_(None))
        .values(used_at=now)
    )
    # A dead code is not worth a message: one still waiting in the outbox is not sent.
    session.execute(
        sa.update(OutboxItem)
        .where(
            OutboxItem.admin_id == admin.id,
            OutboxItem.kind == "code",
            OutboxItem.status == "pending",
        )
        .values(status="failed", sealed_text=None, last_error="a newer code was sent")
    )
    session.add(
        AuthCode(
            admin_id=admin.id,
            code_hash=_code_digest(sealer, admin, secrets.token_hex(8), code),
            via=via,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    outbox.enqueue(
        session,
        [
            {
                "channel_id": admin.channel_id,
                "admin_id": admin.id,
                "kind": "code",
                "sealed_text": sealer.seal({"code": code, "via": via}),
            }
        ],
        now=now,
    )


@dataclass(frozen=True)
class Verification:
    """What `verify` decided: the session file it wrote, or why not. A refusal is returned,
    not raised, so that the try it counts is committed."""

    path: Path | None = None
    refusal: Refused | None = None


def verify(actor: Actor, code: str) -> Verification:
    """Check `code`; on success, open a session of this OS user, whose token goes in the
    session file. A wrong code counts a try; the fifth kills the code, the tenth within an
    hour pauses verification (R-AUTH-5)."""
    session, admin, sealer, now = actor.db, actor.admin, actor.sealer(), actor.now
    check_code(code)
    try:
        _refuse_when_ground(session, admin, now)
    except Refused as refusal:
        return Verification(refusal=refusal)
    current = session.scalar(
        sa.select(AuthCode)
        .where(AuthCode.admin_id == admin.id, AuthCode.used_at.is_(None))
        .order_by(AuthCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if current is None:
        return Verification(refusal=Refused("no code is waiting", "run kchat auth send-code"))
    if current.expires_at <= now:
        current.used_at = now
        return Verification(
            refusal=Refused(
                "the code has expired (codes last 5 minutes)", "run kchat auth send-code"
            )
        )
    if not _matches(sealer, admin, code, current.code_hash):
        session.add(AuthFailure(admin_id=admin.id, at=now))
        current.attempts += 1
        if current.attempts >= MAX_TRIES:
            current.used_at = now
            return Verification(
                refusal=Refused(
                    f"wrong code, {MAX_TRIES} times: this code is dead",
                    "run kchat auth send-code for a new one",
                )
            )
        left = MAX_TRIES - current.attempts
        return Verification(
            refusal=Refused(f"wrong code; {left} {'try' if left == 1 else 'tries'} left")
        )
    current.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            admin_id=admin.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            os_user=os_user(),
        )
    )
    return Verification(path=write_session_file(actor.home.folder, admin, token))


def write_session_file(home: Path, admin: Admin, token: str) -> Path:
    path = session_file(home, admin)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_owned(path.parent, "folder")
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return path


def logout(actor: Actor) -> bool:
    session, admin, home, now = actor.db, actor.admin, actor.home.folder, actor.now
    path = session_file(home, admin)
    found = active_session(session, admin, read_session_file(home, admin), now)
    if found is not None:
        session.execute(
            sa.update(AuthSession).where(AuthSession.id == found.id).values(ended_at=now)
        )
    path.unlink(missing_ok=True)
    return found is not None


def status(actor: Actor) -> dict:
    session, admin, home, now = actor.db, actor.admin, actor.home.folder, actor.now
    found = active_session(session, admin, read_session_file(home, admin), now)
    return {
        "admin": admin.login,
        "additional_auth": admin.additional_auth,
        "verified": found is not None,
        "session_until": found.expires_at if found else None,
    }


def set_additional_auth(actor: Actor, on: bool) -> None:
    """R-AUTH-3: an admin may turn it off for themselves, from a verified session."""
    session, admin, home, now = actor.db, actor.admin, actor.home.folder, actor.now
    if not on and admin.additional_auth:
        token = read_session_file(home, admin)
        if active_session(session, admin, token, now) is None:
            raise NeedsVerification(
                "turning additional verification off needs a verified session",
                "run kchat auth send-code",
            )
    session.get(Admin, admin.id).additional_auth = on


def code_payload_text(sealer: Sealer, sealed: str) -> tuple[str, str]:
    """What the deliver job sends for a code: its text and channel (kakao or sms)."""
    opened = sealer.open(sealed)
    return CODE_TEXT.format(code=opened["code"]), opened["via"]
