"""Creating and upgrading a store."""

from datetime import datetime

import sqlalchemy as sa

from kchat_cli.domain.access import admins
from kchat_cli.errors import StoreNotReady
from kchat_cli.store import migrate
from kchat_cli.store.engine import create_sqlite_file, get_engine, shown_url, sqlite_path
from kchat_cli.store.session import run_write


def initialise(url: str, name: str, *, owner: str, owner_name: str | None, now: datetime) -> dict:
    """Create or upgrade the store, then the channel and its owner (kept if they exist)."""
    path = sqlite_path(url)
    if path is not None:
        create_sqlite_file(path)
    engine = get_engine(url)
    _upgrade(engine, url)

    def create(session):
        channel, created = admins.create_channel(
            session, name, owner=owner, owner_name=owner_name, now=now
        )
        return {
            "channel": channel.name,
            "owner": owner,
            "created": created,
            "schema": migrate.head_revision(),
            "store": shown_url(url),
        }

    return run_write(engine, create)


def upgrade(url: str) -> dict:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreNotReady(f"no store at {path}", "run kchat init --name PROFILE --owner LOGIN")
    engine = get_engine(url)
    before = _current(engine, url)
    _upgrade(engine, url)
    return {"store": shown_url(url), "from": before, "to": migrate.head_revision()}


def current(url: str) -> dict:
    engine = get_engine(url)
    return {
        "store": shown_url(url),
        "current": _current(engine, url),
        "head": migrate.head_revision(),
    }


def _current(engine: sa.Engine, url: str) -> str | None:
    try:
        return migrate.current_revision(engine)
    except sa.exc.DBAPIError as exc:
        raise StoreNotReady(
            f"cannot open the store at {shown_url(url)}: {str(exc.orig).strip().splitlines()[0]}"
        ) from None


def _upgrade(engine: sa.Engine, url: str) -> None:
    try:
        migrate.upgrade(engine)
    except sa.exc.DBAPIError as exc:
        raise StoreNotReady(
            f"cannot open the store at {shown_url(url)}: {str(exc.orig).strip().splitlines()[0]}"
        ) from None
