"""Opening the store a command names, and finding its channel: checks a user can act on;
creating and upgrading a store by its URL."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from kchat_cli.errors import Busy, Invalid, NotFound, StoreNotReady
from kchat_cli.store import catalog
from kchat_cli.store.engine import create_sqlite_file, get_engine, shown_url, sqlite_path
from kchat_cli.store.maintenance import scrub_wal

INIT_HINT = "run kchat init --name PROFILE --owner LOGIN"


@dataclass(frozen=True)
class ChannelRef:
    id: int
    name: str


def open_store(url: str) -> sa.Engine:
    """The engine of an initialised store at the schema this kchat knows."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreNotReady(f"no store at {path}", INIT_HINT)
    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            revision = catalog.schema_revision(connection)
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreNotReady(f"cannot open the store at {shown_url(url)}: {reason}") from None
    if revision is None:
        raise StoreNotReady(f"the store at {shown_url(url)} is not initialised", INIT_HINT)
    if revision != catalog.SCHEMA_HEAD:
        raise StoreNotReady(
            f"the store's schema is at {revision}, this kchat needs {catalog.SCHEMA_HEAD}",
            "run kchat db upgrade",
        )
    return engine


def find_channel(engine: sa.Engine, name: str | None) -> ChannelRef:
    """The channel named, or the only one when no name is given."""
    with engine.connect() as connection:
        channels = catalog.channel_names(connection)
    if name is not None:
        if name not in channels:
            raise NotFound(f"no channel named {name!r}", f"channels here: {some(channels)}")
        return ChannelRef(channels[name], name)
    if len(channels) == 1:
        ((only, channel_id),) = channels.items()
        return ChannelRef(channel_id, only)
    if not channels:
        raise StoreNotReady("the store has no channel", INIT_HINT)
    raise Invalid(
        f"this store has several channels ({some(channels)})",
        "pass --channel NAME or set KCHAT_CHANNEL",
    )


def prepared_store(url: str) -> sa.Engine:
    """The engine of the store at `url`, created (a SQLite file, 0600) or upgraded to this
    kchat's schema first."""
    from kchat_cli.store import migrate  # Alembic: off the start-up path of other commands

    path = sqlite_path(url)
    if path is not None:
        create_sqlite_file(path)
    engine = get_engine(url)
    try:
        migrate.upgrade(engine)
    except sa.exc.DBAPIError as exc:
        raise _cannot_open(url, exc) from None
    return engine


def upgrade_store(url: str) -> dict:
    """Upgrade an existing store to this kchat's schema: from which revision, to which."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StoreNotReady(f"no store at {path}", INIT_HINT)
    from kchat_cli.store import migrate

    before = schema_revisions(url)["current"]
    prepared_store(url)
    return {"store": shown_url(url), "from": before, "to": migrate.head_revision()}


def schema_revisions(url: str) -> dict:
    """The store's schema revision and the newest this kchat knows."""
    from kchat_cli.store import migrate

    try:
        current = migrate.current_revision(get_engine(url))
    except sa.exc.DBAPIError as exc:
        raise _cannot_open(url, exc) from None
    return {"store": shown_url(url), "current": current, "head": migrate.head_revision()}


def channels_at(url: str) -> list[str]:
    """The names of the store's channels, oldest first; none in a store not made yet."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return []
    try:
        with get_engine(url).connect() as connection:
            if not sa.inspect(connection).has_table("channels"):
                return []
            return list(catalog.channel_names(connection))
    except sa.exc.DBAPIError as exc:
        raise _cannot_open(url, exc) from None


def _cannot_open(url: str, exc: sa.exc.DBAPIError) -> StoreNotReady:
    return StoreNotReady(
        f"cannot open the store at {shown_url(url)}: {str(exc.orig).strip().splitlines()[0]}"
    )


def some(names: Iterable[str], shown: int = 10) -> str:
    """Names for an error line, in their order: a few, each cut short."""
    names = list(names)
    cut = [name if len(name) <= 40 else name[:39] + "…" for name in names[:shown]]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return (", ".join(cut) or "none") + more


def leave_nothing_in_wal(engine: sa.Engine, job: str) -> None:
    """After a job deleted data: empty SQLite's WAL, or fail the run, so that an admin knows
    copies of what was deleted may remain in it until the job runs again."""
    if not scrub_wal(engine):
        raise Busy(
            "another process kept reading the store while its WAL was emptied; "
            "copies of deleted data may remain in the WAL",
            f"run kchat jobs run {job} again",
        )
