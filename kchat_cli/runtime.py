"""The one seam between the command line and the domain.

A command names its work (a domain function taking an Actor) and hands it to `act` (one
write transaction, retried whole on a conflict, recorded in the audit log under the
command's name), `look` (one read transaction) or `bulk` (a room action, a batch a
transaction). The access check runs in every one of those transactions, so a console that
stays open for hours is held to it at each action, as each command is (`mirror` gives the
console the runtime of the command an action stands for).

Access is denied by default (R-AUTH-1): every command reads or changes chat or admin data
and needs a verified session for an admin with additional verification ON, unless it, or
its whole group, is declared in OPEN.

Heavy modules (the models, the ORM session) are imported only when a command uses them, so
that light commands start fast.
"""

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kchat_cli.domain.actor import Home

if TYPE_CHECKING:
    from kchat_cli.config import Setting
from kchat_cli.errors import MASK

# Open without verification: they show counts, act as the system (R-AUTH-4), set a store
# up or show kchat's own settings, or are the way to verification itself (turning it off
# needs a session, R-AUTH-3).
OPEN = frozenset(
    {
        "init",
        "config",
        "completion",
        "db",
        "demo",
        "ingest",
        "serve",
        "status",
        "unread",
        "jobs",
        "scheduler",
        "auth",
        "account additional-auth",
    }
)


def is_open(command: str) -> bool:
    """A command is open when it, or the group it belongs to, is declared open."""
    words = command.split()
    return any(" ".join(words[:length]) in OPEN for length in range(1, len(words) + 1))


def home_setting() -> "Setting":
    """KCHAT_HOME, else the config file's `home`, else the platform's user data folder."""
    from kchat_cli import config

    found = config.resolve("home")
    if found.value:
        return config.Setting(str(Path(found.value).expanduser()), found.source)
    from platformdirs import user_data_path

    return config.Setting(str(user_data_path("kchat")), "default")


@dataclass
class Runtime:
    """What one invocation acts with. Made by the root command from the settings it resolved
    (config.resolve: option, variable, config file, default), whose sources it keeps."""

    db: str | None
    folder: Path
    channel_name: str | None
    admin_login: str | None
    command: str = ""  # the command path being run, e.g. "rooms list"
    patience: float | None = None  # how long a write waits for the store (None: the default)
    sources: dict[str, str] = field(default_factory=dict)  # setting -> where it came from
    _cache: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        if "url" not in self._cache:
            from kchat_cli.errors import conceal
            from kchat_cli.store.engine import store_url, url_secrets

            url = store_url(self.db) if self.db else f"sqlite:///{self.folder / 'kchat.db'}"
            conceal(*url_secrets(url))
            self._cache["url"] = url
        return self._cache["url"]

    @property
    def home(self) -> Home:
        from kchat_cli import config
        from kchat_cli.errors import conceal

        secret_key = os.environ.get("KCHAT_SECRET_KEY")
        conceal(secret_key)
        return Home(
            folder=self.folder,
            transport=config.resolve("transport").value,
            transport_timeout=_seconds("KCHAT_TRANSPORT_TIMEOUT", 10.0),
            secret_key=secret_key,
            files=_files_place(config.resolve("files")),
        )

    def mirror(self, command: str) -> "Runtime":
        """This runtime as the command `command` would have it: its access rule and its name
        in the audit log; the store, channel and settings are shared."""
        return dataclasses.replace(self, command=command)

    def settings(self) -> list[dict]:
        """The settings in effect and where each came from, as `config show` shows them:
        never a password."""
        from kchat_cli import config
        from kchat_cli.store.engine import shown_url, url_secrets

        transport = config.resolve("transport")
        listen, webhook_secret = config.resolve("listen"), config.resolve("webhook_secret")
        shown_transport = transport.value or f"file:{self.folder / 'outbox.jsonl'}"
        for secret in url_secrets(shown_transport):
            shown_transport = shown_transport.replace(secret, MASK)
        values = {
            "db": (shown_url(self.url), self.sources.get("db", "default")),
            "home": (str(self.folder), self.sources.get("home", "default")),
            "channel": (self.channel_name, self.sources.get("channel", "default")),
            "admin": (self.admin_login, self.sources.get("admin", "default")),
            "transport": (shown_transport, transport.source),
            "files": (self._shown_files(), config.resolve("files").source),
            "listen": (listen.value or "127.0.0.1:8787", listen.source),
            "webhook_secret": (webhook_secret.value and MASK, webhook_secret.source),
        }
        return [
            {"setting": key, "value": value, "source": source}
            for key, (value, source) in values.items()
        ]

    def _shown_files(self) -> str:
        """The files' place as set, else the store's default (without opening the store)."""
        from kchat_cli.store.engine import sqlite_path

        return self.home.files or ("home" if sqlite_path(self.url) else "database")

    @property
    def gated(self) -> bool:
        return not is_open(self.command)

    @property
    def audit_action(self) -> str:
        """What the audit log calls this command: its path, `rooms rename` → `rooms.rename`."""
        return self.command.replace(" ", ".")

    def engine(self):
        """The store's engine, for the job runner and the scheduler, which hand their jobs
        the batches they work with; a gated command passes the access check first."""
        engine = self._store()
        if self.gated:
            with engine.connect() as connection:
                self._check_access(connection)
        return engine

    def batches(self):
        """Transactions for work over many of them (ingest, watch, the demo), each write
        waiting for the store as long as this command may; a gated command passes the
        access check first."""
        from kchat_cli.store.batches import Batches

        return Batches(self.engine(), **self._patience())

    def attachment_store(self):
        """Where attachment bytes are read and new ones kept (KCHAT_FILES, else the store's
        default: the home folder for SQLite, the database for PostgreSQL)."""
        from kchat_cli.store.attachment_store import AttachmentStore, default_place

        engine = self.engine()
        return AttachmentStore(engine, self.folder, self.home.files or default_place(engine))

    def upgrade_store(self) -> dict:
        """The store brought to this kchat's schema (`db upgrade`); with the database
        backend, the files of this machine's home folder moved in."""
        from kchat_cli.store.opening import upgrade_store

        upgraded = upgrade_store(self.url)
        files = self.attachment_store()
        upgraded["files_moved"] = files.move_in() if files.place == "database" else 0
        return upgraded

    def schema(self) -> dict:
        """The store's schema revision and the newest this kchat knows (`db current`)."""
        from kchat_cli.store.opening import schema_revisions

        return schema_revisions(self.url)

    def channel(self):
        if "channel" not in self._cache:
            from kchat_cli.store.opening import find_channel

            self._cache["channel"] = find_channel(self._store(), self.channel_name)
        return self._cache["channel"]

    def act(
        self,
        work: Callable,
        *args,
        target=None,
        details=None,
        commit: bool = True,
        audit_as: str | None = None,
        audited: bool = True,
        **kwargs,
    ) -> Any:
        """`work(actor, *args, **kwargs)` in one write transaction as the acting admin, with
        its audit entry (under the command's name, or `audit_as`); `target` and `details` may
        be functions of work's result. With `commit=False` (a dry run) nothing is kept.
        `audited=False` is for a write that an earlier action's entry accounts for: the
        console reading what arrives in the room whose opening was audited."""
        from kchat_cli.domain.access import audit
        from kchat_cli.store.session import run_write

        engine = self._store()

        def transaction(session):
            actor = self._writer(session)
            admin_id = actor.admin_id  # before the work: it may add admins
            result = work(actor, *args, **kwargs)
            if not audited:
                return result
            audit.record(
                session,
                actor.channel_id,
                admin_id,
                audit_as or self.audit_action,
                target=target(result) if callable(target) else target,
                details=details(result) if callable(details) else details,
                now=actor.now,
            )
            return result

        return run_write(engine, transaction, commit=commit, **self._patience())

    def look(self, work: Callable, *args, **kwargs) -> Any:
        """`work(actor, *args, **kwargs)` in one read transaction as the acting admin."""
        from kchat_cli.store.session import read_session

        with read_session(self._store()) as session:
            return work(self.actor(session), *args, **kwargs)

    def bulk(self, tokens, room_action, *, dry_run: bool, report=None, audit_as=None):
        """A room action on the rooms named by `tokens`, a batch a transaction, each batch
        audited under the command's name (or `audit_as`) with the rooms it changed."""
        from kchat_cli.domain.conversations.bulk import apply_to_rooms
        from kchat_cli.store.batches import Batches

        return apply_to_rooms(
            Batches(self._store(), **self._patience()),
            tokens,
            room_action,
            actor_of=self._writer,
            audit_as=audit_as or self.audit_action,
            dry_run=dry_run,
            report=report,
        )

    def glance(self, work: Callable, *args, **kwargs) -> Any:
        """`work(actor, *args, **kwargs)` on a SQLAlchemy Core connection, for the light
        commands' read paths (`rooms list`, `status`): no ORM on their way. On PostgreSQL
        outside a transaction: at READ COMMITTED each statement sees the latest commits
        either way, and the BEGIN and ROLLBACK around them were two more round trips."""
        with self._store().connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            return work(self.actor(connection), *args, **kwargs)

    def _writer(self, session):
        """The acting admin in a write transaction, who signs the room changes it makes."""
        from kchat_cli.domain.conversations.rooms import sign

        actor = self.actor(session)
        if actor.admin is not None:
            sign(session, actor.admin.login)
        return actor

    def actor(self, db):
        """The acting admin in `db`'s transaction (a session, or a connection), now, once a
        gated command has passed the access check in that transaction."""
        from kchat_cli import clock
        from kchat_cli.domain.actor import Actor

        if self.gated:
            self._check_access(db)
        channel = self.channel()
        return Actor(
            db=db,
            channel=channel,
            now=clock.now(),
            home=self.home,
            find_admin=lambda: _acting_admin(db, channel.id, self.admin_login),
        )

    def own_files(self) -> dict[str, Path]:
        """kchat's own files, which nothing it writes for people may replace."""
        from kchat_cli.store.engine import sqlite_path

        own = {"secret key": self.folder / "secret.key"}
        store = sqlite_path(self.url)
        if store is not None:
            own |= {"store": store, "store's log": Path(f"{store}-wal")}
        return own

    def sealer(self):
        """The store's sealer, for work over many transactions (ingest): its key is checked
        against the store now, before any of them."""
        from kchat_cli.store.sealing import Sealer

        return Sealer.of(self.engine(), self.folder, self.home.secret_key)

    def _store(self):
        if "engine" not in self._cache:
            from kchat_cli.store.opening import open_store

            self._cache["engine"] = open_store(self.url)
        return self._cache["engine"]

    def _check_access(self, db) -> None:
        """R-AUTH-1: the acting admin is verified, or needs no verification."""
        from kchat_cli import clock
        from kchat_cli.domain.access import gate

        admin = gate.acting_admin_row(db, self.channel().id, self.admin_login)
        gate.require_verified(db, admin, self.folder, clock.now())

    def _patience(self) -> dict:
        return {} if self.patience is None else {"patience": self.patience}


def _acting_admin(session, channel_id: int, login: str | None):
    from kchat_cli.domain.access.admins import acting_admin

    return acting_admin(session, channel_id, login)


def _files_place(setting) -> str | None:
    if setting.value not in (None, "home", "database"):
        from kchat_cli.errors import Invalid

        raise Invalid(
            f"KCHAT_FILES (files) is home or database, not {setting.value!r}",
            "home: this machine's folder; database: the store, for a team on several machines",
        )
    return setting.value


def _seconds(variable: str, default: float) -> float:
    text = os.environ.get(variable)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        from kchat_cli.errors import Invalid

        raise Invalid(f"{variable} must be a number of seconds, up to 3600: {text!r}")
    return value
