"""One engine per process, tuned per dialect. SQLAlchemy Core only: light commands start fast.

SQLite runs in WAL mode with foreign keys on and a short busy timeout. Write transactions
start with BEGIN IMMEDIATE, so two writers queue for the lock at the start instead of failing
half-way; reads start a plain BEGIN and never wait for writers. SQLite waits for a lock in C,
where Ctrl-C cannot reach: it waits briefly, and the store layer tries again (session.py),
so an interrupt lands within a fraction of a second.
"""

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import event

from kchat_cli.errors import MASK, Invalid

SQLITE_BUSY_TIMEOUT_MS = 200
SQLITE_AUTOCHECKPOINT_PAGES = 10_000
WRITE = {"kchat_write": True}


DRIVERS = {
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
URL_HINT = "use a path, sqlite:///PATH or postgresql+psycopg://…"
# What a URL starts with (RFC 3986); anything else the user gives is a path.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# libpq's connection parameters that are secrets, when given in a URL's query.
SECRET_PARAMETERS = ("password", "passfile", "sslpassword", "sslkey")


def store_url(text: str) -> str:
    """The store URL a user gave: a plain path (relative to the working folder) is a SQLite
    file; a URL must be one kchat stores in."""
    if not _SCHEME.match(text):
        return f"sqlite:///{Path(text).expanduser().absolute()}"
    if text.split(":", 1)[0] not in DRIVERS or "://" not in text:
        raise _unsupported(text)
    return text


def _unsupported(url: str) -> Invalid:
    return Invalid(f"unsupported store URL {_hide_secrets(url, url)!r}", URL_HINT)


def normalise_url(url: str) -> sa.URL:
    """The URL as SQLAlchemy takes it; anything but SQLite and PostgreSQL is a usage error."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise Invalid("not a store URL", URL_HINT) from None
    driver = DRIVERS.get(parsed.drivername)
    if driver is None:
        raise _unsupported(url)
    if driver == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise Invalid("a store in memory keeps nothing", "name a file: sqlite:///PATH")
    return parsed.set(drivername=driver)


def url_secrets(url: str) -> list[str]:
    """What in a URL must never be shown: its password, in any spelling."""
    from urllib.parse import quote

    found = re.findall(r"://[^/@:]*:([^/@]+)@", url)
    found += re.findall(rf"(?:{'|'.join(SECRET_PARAMETERS)})=([^&#]+)", url)
    return [form for secret in found for form in {secret, unquote(secret), quote(secret)}]


def shown_url(url: str) -> str:
    """A URL safe to print: never the password, wherever it is given."""
    try:
        shown = normalise_url(url).render_as_string(hide_password=True)
    except Invalid:
        shown = url
    return _hide_secrets(shown, url)


def _hide_secrets(text: str, url: str) -> str:
    for secret in sorted(url_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def sqlite_path(url: str) -> Path | None:
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def create_sqlite_file(path: Path) -> None:
    """The store holds personal data: its folder is 0700 and its file 0600."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise Invalid(
            f"cannot make the store at {path}: {exc.strerror}", "check KCHAT_HOME or --db"
        ) from None


_ENGINES: dict[str, sa.Engine] = {}


def get_engine(url: str) -> sa.Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = _create_engine(normalise_url(url))
    return engine


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _create_engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "handle_error", _sqlite_on_interrupt)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "secure_delete=ON",
        "cache_size=-65536",
        f"wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_interrupt(context) -> None:
    """Ctrl-C inside a statement: SQLAlchemy then closes the connection, but SQLite keeps its
    write lock until the interrupted statement is let go of, which the unwinding stack still
    holds. Roll back now, so the lock goes at once and cleanup writes need not wait."""
    if isinstance(context.original_exception, KeyboardInterrupt) and context.connection:
        with contextlib.suppress(Exception):
            context.connection.connection.dbapi_connection.rollback()


def _sqlite_on_begin(connection) -> None:
    write = connection.get_execution_options().get("kchat_write")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_transient(exc: BaseException) -> bool:
    """A lock or serialization conflict that a retry of the whole transaction resolves."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in ("40001", "40P01", "55P03"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def is_unreachable(exc: BaseException) -> bool:
    """The store's server went away (a lost PostgreSQL connection, or none to be had); the
    pool opens a new connection for the next transaction."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    original = type(exc.orig)
    return exc.connection_invalidated or (
        original.__name__ == "OperationalError" and original.__module__.startswith("psycopg")
    )
