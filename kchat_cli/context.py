"""What every command needs: the global options, the store, the channel, the acting admin.

Heavy modules (the models, the ORM session) are imported only when a command uses them,
so that light commands such as `kchat unread` start fast.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path


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

    def write(self, work, *, commit: bool = True):
        from kchat_cli.store.session import run_write

        return run_write(self.engine(), work, commit=commit)

    def read(self):
        from kchat_cli.store.session import read_session

        return read_session(self.engine())

    def admin(self, session):
        """The acting admin (`--as`), loaded in `session`."""
        from kchat_cli.domain.admins import acting_admin

        return acting_admin(session, self.channel_id, self.admin_login)

    @property
    def transport(self) -> str | None:
        return os.environ.get("KCHAT_TRANSPORT") or None

    @property
    def transport_timeout(self) -> float:
        return float(os.environ.get("KCHAT_TRANSPORT_TIMEOUT", "10"))

    def sealer(self):
        from kchat_cli.domain.secrets import Sealer

        return Sealer(self.home, os.environ.get("KCHAT_SECRET_KEY"))
