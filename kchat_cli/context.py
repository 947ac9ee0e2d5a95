"""What every command needs: the global options, the store, the channel, the acting admin,
the access check (R-AUTH-1) and the audit trail of admin writes.

Access is denied by default: every command reads or changes chat or admin data, and needs a
verified session for an admin with additional verification ON, unless it is declared in
OPEN. The check runs before the command first touches the store.

Heavy modules (the models, the ORM session) are imported only when a command uses them,
so that light commands such as `kchat unread` start fast.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

# Commands open without verification: they show counts, act as the system (R-AUTH-4), set
# a store up, or are the way to verification itself.
OPEN = frozenset(
    {
        "init",
        "db upgrade",
        "db current",
        "demo",
        "ingest",
        "status",
        "unread",
        "jobs list",
        "jobs run",
        "jobs history",
        "scheduler run",
        "auth send-code",
        "auth verify",
        "auth status",
        "auth logout",
        "account additional-auth",
    }
)


def default_home() -> Path:
    configured = os.environ.get("KCHAT_HOME")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_path

    return user_data_path("kchat")


@dataclass
class Runtime:
    db: str | None
    home: Path
    channel_name: str | None
    admin_login: str | None
    command: str = ""  # the command path being run, e.g. "rooms list"
    _cache: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        if "url" not in self._cache:
            from kchat_cli.errors import conceal
            from kchat_cli.store.engine import store_url, url_secrets

            url = store_url(self.db) if self.db else f"sqlite:///{self.home / 'kchat.db'}"
            conceal(*url_secrets(url))
            self._cache["url"] = url
        return self._cache["url"]

    @property
    def gated(self) -> bool:
        return self.command not in OPEN

    def engine(self):
        """The store's engine; a gated command passes the access check first."""
        engine = self._store()
        if self.gated and "access" not in self._cache:
            self.check_access()
            self._cache["access"] = True
        return engine

    def _store(self):
        if "engine" not in self._cache:
            from kchat_cli.store.opening import open_store

            self._cache["engine"] = open_store(self.url)
        return self._cache["engine"]

    def channel(self):
        if "channel" not in self._cache:
            from kchat_cli.store.opening import find_channel

            self._cache["channel"] = find_channel(self._store(), self.channel_name)
        return self._cache["channel"]

    @property
    def channel_id(self) -> int:
        return self.channel().id

    def admin(self, session):
        """The acting admin (`--as`), loaded in `session`."""
        from kchat_cli.domain.access.admins import acting_admin

        return acting_admin(session, self.channel_id, self.admin_login)

    def check_access(self) -> None:
        """R-AUTH-1: the acting admin is verified, or needs no verification."""
        from kchat_cli import clock
        from kchat_cli.domain.access import auth
        from kchat_cli.store.session import read_session

        with read_session(self._store()) as session:
            auth.require_verified(session, self.admin(session), self.home, clock.now())

    def read(self):
        from kchat_cli.store.session import read_session

        return read_session(self.engine())

    def write(self, work, *, action: str, target=None, details=None, commit: bool = True):
        """Run `work(session)` as the acting admin in one transaction, with its audit entry.
        `target` and `details` may be functions of work's result."""
        from kchat_cli import clock
        from kchat_cli.domain.access import audit
        from kchat_cli.store.session import run_write

        engine = self.engine()

        def audited(session):
            admin_id = self.admin(session).id  # before the work: it may add admins
            result = work(session)
            audit.record(
                session,
                self.channel_id,
                admin_id,
                action,
                target=target(result) if callable(target) else target,
                details=details(result) if callable(details) else details,
                now=clock.now(),
            )
            return result

        return run_write(engine, audited, commit=commit)

    def apply_to_rooms(self, tokens, room_action, *, action: str, dry_run: bool, report=None):
        """A bulk room action, audited in each batch's transaction."""
        from kchat_cli import clock
        from kchat_cli.domain.access import audit
        from kchat_cli.domain.conversations.bulk import apply_to_rooms

        engine = self.engine()

        def record(session, changed: list[int]) -> None:
            if changed:
                audit.record(
                    session,
                    self.channel_id,
                    self.admin(session).id,
                    action,
                    target=f"{len(changed)} rooms",
                    details={"rooms": changed},
                    now=clock.now(),
                )

        return apply_to_rooms(
            engine,
            self.channel_id,
            tokens,
            room_action,
            dry_run=dry_run,
            audit=record,
            report=report,
        )

    def job_settings(self):
        from jobs.context import JobSettings

        return JobSettings(
            home=self.home,
            transport=os.environ.get("KCHAT_TRANSPORT") or None,
            transport_timeout=_seconds("KCHAT_TRANSPORT_TIMEOUT", 10.0),
            secret_key=os.environ.get("KCHAT_SECRET_KEY"),
        )

    def sealer(self):
        """The store's sealer: its key is checked against the store now, before any work."""
        from kchat_cli.sealing import Sealer

        return Sealer.of(self.engine(), self.home, os.environ.get("KCHAT_SECRET_KEY"))


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
