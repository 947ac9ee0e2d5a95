"""What every command needs: the global options, the store, the channel, the acting admin,
the access check (R-AUTH-1) and the audit trail of admin writes.

Heavy modules (the models, the ORM session) are imported only when a command uses them,
so that light commands such as `kchat unread` start fast.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

# Commands that read or change chat data: an admin with additional verification ON needs a
# verified session for them (R-AUTH-1).
GATED = frozenset({"rooms", "send", "users", "labels", "replies", "groups", "coupons",
                   "settings", "export", "search", "customer-info", "outbox", "comments",
                   "watch"})  # fmt: skip


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
    gated: bool = False
    _cache: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.db or f"sqlite:///{self.home / 'kchat.db'}"

    def engine(self):
        if "engine" not in self._cache:
            from kchat_cli.domain.store import open_store

            self._cache["engine"] = open_store(self.url)
        return self._cache["engine"]

    def channel(self):
        if "channel" not in self._cache:
            from kchat_cli.domain.store import find_channel

            self._cache["channel"] = find_channel(self.engine(), self.channel_name)
        return self._cache["channel"]

    @property
    def channel_id(self) -> int:
        return self.channel().id

    def admin(self, session):
        """The acting admin (`--as`), loaded in `session`."""
        from kchat_cli.domain.admins import acting_admin

        return acting_admin(session, self.channel_id, self.admin_login)

    def check_access(self) -> None:
        """R-AUTH-1, once per command: a gated command needs the acting admin verified."""
        if not self.gated or "access" in self._cache:
            return
        from kchat_cli.domain import auth, clock
        from kchat_cli.store.session import read_session

        with read_session(self.engine()) as session:
            auth.require_verified(session, self.admin(session), self.home, clock.now())
        self._cache["access"] = True

    def read(self):
        from kchat_cli.store.session import read_session

        self.check_access()
        return read_session(self.engine())

    def write(self, work, *, action: str, target=None, details=None, commit: bool = True):
        """Run `work(session)` as the acting admin in one transaction, with its audit entry.
        `target` and `details` may be functions of work's result."""
        from kchat_cli.domain import audit, clock
        from kchat_cli.store.session import run_write

        self.check_access()

        def audited(session):
            admin_id = self.admin(session).id  # before the work: it may add admins
            result = work(session)
            audit.record(session, self.channel_id, admin_id, action,
                         target=target(result) if callable(target) else target,
                         details=details(result) if callable(details) else details,
                         now=clock.now())  # fmt: skip
            return result

        return run_write(self.engine(), audited, commit=commit)

    def apply_to_rooms(self, tokens, room_action, *, action: str, dry_run: bool):
        """A bulk room action, audited in each batch's transaction."""
        from kchat_cli.domain import audit, clock
        from kchat_cli.domain.bulk import apply_to_rooms

        self.check_access()

        def record(session, changed: list[int]) -> None:
            if changed:
                audit.record(session, self.channel_id, self.admin(session).id, action,
                             target=f"{len(changed)} rooms", details={"rooms": changed},
                             now=clock.now())  # fmt: skip

        return apply_to_rooms(self.engine(), self.channel_id, tokens, room_action,
                              dry_run=dry_run, audit=record)  # fmt: skip

    def job_settings(self):
        from jobs.context import JobSettings

        return JobSettings(home=self.home, transport=os.environ.get("KCHAT_TRANSPORT") or None,
                           transport_timeout=float(os.environ.get("KCHAT_TRANSPORT_TIMEOUT",
                                                                  "10")),
                           secret_key=os.environ.get("KCHAT_SECRET_KEY"))  # fmt: skip

    def sealer(self):
        from kchat_cli.domain.secrets import Sealer

        return Sealer(self.home, os.environ.get("KCHAT_SECRET_KEY"))
