"""Creating and upgrading a store."""

from datetime import datetime

import sqlalchemy as sa

from kchat_cli.domain.access import admins
from kchat_cli.errors import Refused, StoreNotReady
from kchat_cli.store import catalog, migrate
from kchat_cli.store.engine import create_sqlite_file, get_engine, shown_url, sqlite_path
from kchat_cli.store.opening import some
from kchat_cli.store.session import run_write


def initialise(
    url: str,
    name: str,
    *,
    owner: str,
    owner_name: str | None,
    now: datetime,
    new_channel: bool = False,
) -> dict:
    """Create or upgrade the store, then the channel and its owner (kept if they exist).
    A store that holds other channels gets another only with `new_channel`: after it, every
    command there must name its channel."""
    others = channels_besides(url, name)
    if others and not new_channel:
        raise Refused(
            f"this store already has the channel{'s' if len(others) > 1 else ''} {some(others)}",
            f"pass --new-channel to add {name!r} beside it, or --db for a store of its own",
        )
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


def channels_besides(url: str, name: str) -> list[str]:
    """The store's channels other than `name`, oldest first; none in a store not made yet."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    try:
        with get_engine(url).connect() as connection:
            if not sa.inspect(connection).has_table("channels"):
                return []
            return [other for other in catalog.channel_names(connection) if other != name]
    except sa.exc.DBAPIError as exc:
        raise _cannot_open(url, exc) from None


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
        raise _cannot_open(url, exc) from None


def _upgrade(engine: sa.Engine, url: str) -> None:
    try:
        migrate.upgrade(engine)
    except sa.exc.DBAPIError as exc:
        raise _cannot_open(url, exc) from None


def _cannot_open(url: str, exc: sa.exc.DBAPIError) -> StoreNotReady:
    return StoreNotReady(
        f"cannot open the store at {shown_url(url)}: {str(exc.orig).strip().splitlines()[0]}"
    )
