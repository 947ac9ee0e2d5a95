"""Who acts, where and when: the one object a domain action is given.

An Actor lives for one transaction: `db` is its session, `channel` the channel it acts in,
`admin` the acting admin (None: the system, as jobs act, R-AUTH-4; looked up on first use,
so that what needs no admin never asks which), `now` the moment of the action, `home` where
this kchat keeps and sends things, and `sealer()` the store's sealer (its key is checked
against the store on first use, in the same transaction).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ORM stays off the start-up path of light commands
    from sqlmodel import Session

    from kchat_cli.store.models import Admin
    from kchat_cli.store.opening import ChannelRef
    from kchat_cli.store.sealing import Sealer


@dataclass(frozen=True)
class Home:
    """Where this kchat keeps and sends things: its folder (files, keys, sessions), the
    outbox's transport (KCHAT_TRANSPORT), a secret key given in the environment, and where
    attachment bytes go (KCHAT_FILES: "home" or "database"; None: the store's default)."""

    folder: Path
    transport: str | None = None
    transport_timeout: float = 10.0
    secret_key: str | None = None
    files: str | None = None


def _the_system() -> None:
    return None


@dataclass
class Actor:
    db: "Session"
    channel: "ChannelRef"
    now: datetime
    home: Home
    find_admin: "Callable[[], Admin | None]" = _the_system
    _found: dict = field(default_factory=dict, repr=False)

    @property
    def channel_id(self) -> int:
        return self.channel.id

    @property
    def admin(self) -> "Admin | None":
        if "admin" not in self._found:
            self._found["admin"] = self.find_admin()
        return self._found["admin"]

    @property
    def admin_id(self) -> int | None:
        return None if self.admin is None else self.admin.id

    def sealer(self) -> "Sealer":
        if "sealer" not in self._found:
            from kchat_cli.store.sealing import Sealer

            self._found["sealer"] = Sealer.within(self.db, self.home.folder, self.home.secret_key)
        return self._found["sealer"]
