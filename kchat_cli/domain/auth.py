"""Additional verification (관리자 추가인증, R-AUTH-1…4).

Invariants: a code is six digits, lives five minutes, is used once, and dies after five wrong
tries; the store keeps only a salted hash of it, and the outbox carries it sealed, to its
admin alone, wiped once sent and masked in every listing. A session lasts twelve hours; its
token lives in a 0600 file under KCHAT_HOME and only as a hash in the store. An admin with
verification ON (every new admin) reaches chat data only through such a session; jobs act as
the system and need none.
"""

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.secrets import Sealer
from kchat_cli.errors import Invalid, NeedsVerification, Refused
from kchat_cli.store.models import Admin, AuthCode, AuthSession, OutboxItem

CODE_LIFETIME = timedelta(minutes=5)
MAX_TRIES = 5
SESSION_LIFETIME = timedelta(hours=12)
CHANNELS = ("kakao", "sms")
CODE_TEXT = "[kchat] 관리자 추가인증 번호는 {code}입니다. 5분 안에 입력해 주세요."
MASK = "●●●●●●"


def _digest(secret: str, salt: str) -> str:
    return f"{salt}${hashlib.sha256(f'{salt}:{secret}'.encode()).hexdigest()}"


def _matches(secret: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(_digest(secret, salt), stored)


def send_code(session: Session, admin: Admin, *, via: str, sealer: Sealer,
              now: datetime) -> None:  # fmt: skip
    """A new code for `admin`, queued in the outbox for them alone; earlier codes die."""
    if via not in CHANNELS:
        raise Invalid(f"unknown channel {via!r}", "use --via kakao or --via sms")
    if via == "sms" and not admin.phone:
        raise Refused(f"admin {admin.login!r} has no phone number for SMS",
                      "use --via kakao")  # fmt: skip
    code = f"{secrets.randbelow(10**6):06d}"
    session.execute(sa.update(AuthCode).where(AuthCode.admin_id == admin.id,
                                              AuthCode.used_at.is_(None))
                    .values(used_at=now))  # fmt: skip
    session.add(
        AuthCode(
            admin_id=admin.id,
            code_hash=_digest(code, secrets.token_hex(8)),
            via=via,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    session.add(
        OutboxItem(
            channel_id=admin.channel_id,
            admin_id=admin.id,
            kind="code",
            text=None,
            sealed_text=sealer.seal({"code": code, "via": via}),
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )


@dataclass(frozen=True)
class Verification:
    """What `verify` decided: a session token, or why not. A refusal is returned, not
    raised, so that the try it counts is committed."""

    token: str | None = None
    refusal: Refused | None = None


def verify(session: Session, admin: Admin, code: str, *, now: datetime) -> Verification:
    """Check `code`; on success, open a session whose token goes in the session file. A
    wrong code counts a try; the fifth kills the code."""
    current = session.scalar(sa.select(AuthCode).where(
        AuthCode.admin_id == admin.id, AuthCode.used_at.is_(None))
        .order_by(AuthCode.id.desc()).limit(1).with_for_update())  # fmt: skip
    if current is None:
        return Verification(refusal=Refused("no code is waiting", "run kchat auth send-code"))
    if current.expires_at <= now:
        current.used_at = now
        return Verification(refusal=Refused("the code has expired (codes last 5 minutes)",
                                            "run kchat auth send-code"))  # fmt: skip
    if not (code.isdigit() and len(code) == 6 and _matches(code, current.code_hash)):
        current.attempts += 1
        if current.attempts >= MAX_TRIES:
            current.used_at = now
            return Verification(refusal=Refused(
                f"wrong code, {MAX_TRIES} times: this code is dead",
                "run kchat auth send-code for a new one"))  # fmt: skip
        left = MAX_TRIES - current.attempts
        return Verification(
            refusal=Refused(f"wrong code; {left} {'try' if left == 1 else 'tries'} left")
        )
    current.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(admin_id=admin.id, token_hash=_digest(token, "session"),
                            created_at=now, expires_at=now + SESSION_LIFETIME))  # fmt: skip
    return Verification(token=token)


def session_file(home: Path, admin: Admin) -> Path:
    return home / "sessions" / f"{admin.channel_id}-{admin.login}"


def write_session_file(home: Path, admin: Admin, token: str) -> Path:
    path = session_file(home, admin)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(token)
    return path


def read_session_file(home: Path, admin: Admin) -> str | None:
    path = session_file(home, admin)
    if not path.exists():
        return None
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise Refused(f"the session file {path} can be read by others",
                      "run kchat auth logout, then verify again")  # fmt: skip
    return path.read_text().strip()


def active_session(session: Session, admin: Admin, token: str | None,
                   now: datetime) -> AuthSession | None:  # fmt: skip
    if not token:
        return None
    found = session.scalar(
        sa.select(AuthSession).where(
            AuthSession.admin_id == admin.id, AuthSession.token_hash == _digest(token, "session")
        )
    )
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found


def require_verified(session: Session, admin: Admin, home: Path, now: datetime) -> None:
    """R-AUTH-1: refuse an admin with verification ON and no live session."""
    if not admin.additional_auth:
        return
    if active_session(session, admin, read_session_file(home, admin), now) is None:
        raise NeedsVerification("additional verification needed", "run kchat auth send-code")


def logout(session: Session, admin: Admin, home: Path, now: datetime) -> bool:
    path = session_file(home, admin)
    token = path.read_text().strip() if path.exists() else None
    found = active_session(session, admin, token, now)
    if found is not None:
        found.ended_at = now
    if path.exists():
        path.unlink()
    return found is not None


def status(session: Session, admin: Admin, home: Path, now: datetime) -> dict:
    path = session_file(home, admin)
    token = path.read_text().strip() if path.exists() else None
    found = active_session(session, admin, token, now)
    return {"admin": admin.login, "additional_auth": admin.additional_auth,
            "verified": found is not None,
            "session_until": found.expires_at if found else None}  # fmt: skip


def set_additional_auth(session: Session, admin: Admin, on: bool, home: Path,
                        now: datetime) -> None:  # fmt: skip
    """R-AUTH-3: an admin may turn it off for themselves, from a verified session."""
    if not on and admin.additional_auth:
        token = read_session_file(home, admin)
        if active_session(session, admin, token, now) is None:
            raise NeedsVerification("turning additional verification off needs a verified "
                                    "session", "run kchat auth send-code")  # fmt: skip
    session.get(Admin, admin.id).additional_auth = on


def code_payload_text(sealer: Sealer, sealed: str) -> tuple[str, str]:
    """What the deliver job sends for a code: its text and channel (kakao or sms)."""
    opened = sealer.open(sealed)
    return CODE_TEXT.format(code=opened["code"]), opened["via"]
