"""Personal data at rest: sealed with Fernet before it reaches the store; verification codes
kept under a keyed hash of the same key (R-AUTH-5).

The key comes from KCHAT_SECRET_KEY, or from `secret.key` under KCHAT_HOME. Invariant: the
store records the id of the key its data is sealed with, and kchat never makes a new key
while the store holds data sealed with another: a missing key is named, never replaced.
Without the key, sealed data cannot be read by anyone: keep a copy of it.
"""

import base64
import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import sqlalchemy as sa

from kchat_cli.errors import KchatError
from kchat_cli.store.bulk import bulk_insert
from kchat_cli.store.models import Consent, OutboxItem, StoreFact
from kchat_cli.store.session import read_session, run_write

KEY_FILE = "secret.key"
KEY_FACT = "sealing_key_id"
KEY_HINT = "set KCHAT_SECRET_KEY to the store's key, or restore {path} from a copy"


class Sealer:
    """Seals and opens personal data with the store's key. `Sealer.of` gets the key and
    checks it against the store before any work begins."""

    def __init__(self, key: bytes):
        from cryptography.fernet import Fernet

        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise KchatError(
                "the secret key is not a valid Fernet key",
                "KCHAT_SECRET_KEY must be 32 url-safe base64 bytes",
            ) from None
        self._hash_key = hashlib.sha256(
            b"kchat keyed hash\0" + base64.urlsafe_b64decode(key)
        ).digest()
        self.key_id = key_id(key)

    @classmethod
    def of(cls, engine: sa.Engine, home: Path, env_key: str | None = None) -> "Sealer":
        """The sealer of the store at `engine`, checked before any work begins: the key in
        KCHAT_SECRET_KEY or in the key file, which must be the store's; a new key file only
        for a store that has sealed nothing yet."""
        with read_session(engine) as session:
            recorded = _recorded_key_id(session)
            sealed_before = recorded is not None or _holds_sealed_data(session)
        sealer = cls._found(home, env_key, recorded, sealed_before)
        if recorded is None:
            recorded = run_write(engine, lambda session: _record_key_id(session, sealer.key_id))
        return sealer._checked(home, recorded)

    @classmethod
    def within(cls, session, home: Path, env_key: str | None = None) -> "Sealer":
        """The same, inside the caller's transaction `session`."""
        recorded = _recorded_key_id(session)
        sealed_before = recorded is not None or _holds_sealed_data(session)
        sealer = cls._found(home, env_key, recorded, sealed_before)
        if recorded is None:
            recorded = _record_key_id(session, sealer.key_id)
        return sealer._checked(home, recorded)

    @classmethod
    def _found(
        cls, home: Path, env_key: str | None, recorded: str | None, sealed_before: bool
    ) -> "Sealer":
        # Read after the store: a key file made here is made before its id is recorded.
        path = home / KEY_FILE
        key = env_key.encode() if env_key else _read_key(path)
        if key is None:
            if sealed_before:
                raise KchatError(
                    f"the store's data is sealed with a key that is not here (no {path}"
                    + (f", key id {recorded})" if recorded else ")"),
                    KEY_HINT.format(path=path),
                )
            key = _new_key(path)
        return cls(key)

    def _checked(self, home: Path, recorded: str) -> "Sealer":
        if recorded != self.key_id:
            raise KchatError(
                f"the secret key here (key id {self.key_id}) is not the one the store's data "
                f"is sealed with (key id {recorded})",
                KEY_HINT.format(path=home / KEY_FILE),
            )
        return self

    def seal(self, values: dict) -> str:
        return self._fernet.encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()

    def open(self, token: str) -> dict:
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise KchatError(
                "sealed data cannot be opened with this key",
                "restore the secret key this store was sealed with",
            ) from None

    def digest(self, purpose: str, text: str) -> str:
        """A keyed hash (HMAC-SHA256): a copy of the store without the key cannot be
        searched for the text, not even among a million six-digit codes."""
        message = f"{purpose}\0{text}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short name for a key that tells nothing of it."""
    return hmac.new(key, b"kchat key id", hashlib.sha256).hexdigest()[:16]


def _recorded_key_id(session) -> str | None:
    fact = session.get(StoreFact, KEY_FACT)
    return None if fact is None else fact.value


def _record_key_id(session, key_id: str) -> str:
    """Record the store's key id, unless another process just did: returns the one kept."""
    bulk_insert(
        session, StoreFact.__table__, [{"name": KEY_FACT, "value": key_id}], skip_conflicts=True
    )
    return session.scalar(sa.select(StoreFact.value).where(StoreFact.name == KEY_FACT))


def _holds_sealed_data(session) -> bool:
    """Data sealed before the store recorded its key (a store from before that)."""
    consents = sa.select(Consent.id).limit(1)
    codes = sa.select(OutboxItem.id).where(OutboxItem.sealed_text.is_not(None)).limit(1)
    return session.execute(consents).first() is not None or (
        session.execute(codes).first() is not None
    )


def _read_key(path: Path) -> bytes | None:
    """The key file's key; one others can read is refused, like a session file."""
    try:
        with open(path, "rb") as handle:
            if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) & 0o077:
                raise KchatError(f"the key file {path} can be read by others", f"chmod 600 {path}")
            return handle.read().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KchatError(f"cannot read the key file {path}: {exc.strerror}") from None


def _new_key(path: Path) -> bytes:
    """A new key file, 0600, which appears whole (written aside, then linked into place);
    if another process just made one, that one."""
    import tempfile

    from cryptography.fernet import Fernet

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Fernet.generate_key()
    descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        os.link(aside, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        os.unlink(aside)
    return key
