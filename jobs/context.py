"""What a job run is given: the store, the time it decides as of, and where things go."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa


@dataclass(frozen=True)
class JobContext:
    engine: sa.Engine
    as_of: datetime
    dry_run: bool
    home: Path
    transport: str | None = None  # KCHAT_TRANSPORT
    transport_timeout: float = 10.0
    # Called between batches: keeps the job's lease alive, and is where a stop (SIGTERM)
    # takes effect.
    checkpoint: Callable[[], None] = field(default=lambda: None)
