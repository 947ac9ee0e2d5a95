"""Opening the store a command names, and finding its channel: checks a user can act on."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from kchat_cli.errors import Busy, Invalid, NotFound, StoreNotReady
from kchat_cli.store import catalog
from kchat_cli.store.engine import get_engine, shown_url, sqlite_path
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
