"""What a job run is given: the store, the time it decides as of, and where things go."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa


@dataclass(frozen=True)
class JobSettings:
    """Where a job's outputs and secrets are: the same for every run of a process."""

    home: Path
    transport: str | None = None  # KCHAT_TRANSPORT
    transport_timeout: float = 10.0  # KCHAT_TRANSPORT_TIMEOUT
    secret_key: str | None = None  # KCHAT_SECRET_KEY; else the key file under home


@dataclass(frozen=True)
class JobContext:
    engine: sa.Engine
    as_of: datetime
    dry_run: bool
    settings: JobSettings
    # Called between batches: keeps the job's lease alive, and is where a stop (SIGTERM)
    # takes effect.
    checkpoint: Callable[[], None] = field(default=lambda: None)
    # Told after each batch how much the run has done so far (for a progress bar).
    progress: Callable[[int], None] = field(default=lambda done: None)
    # What a destructive job deleted, by channel ({channel id: {what: count}}), for the audit.
    deleted: dict[int, dict[str, int]] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.settings.home

    def sealer(self):
        from kchat_cli.sealing import Sealer

        return Sealer.of(self.engine, self.settings.home, self.settings.secret_key)
