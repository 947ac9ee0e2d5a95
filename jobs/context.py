"""What a job run is given: the store, the time it decides as of, and where things go."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kchat_cli.domain.actor import Home
from kchat_cli.store.batches import Batches


@dataclass(frozen=True)
class JobContext:
    """A job acts as the system (R-AUTH-4): no admin, its transactions from `batches`,
    decisions as of `as_of`, files, keys and the transport where `home` says."""

    batches: Batches
    as_of: datetime
    dry_run: bool
    home: Home
    # Whether the run was given its time (--as-of); without, delivery goes by the store's
    # clock, which all machines of a team share.
    as_of_given: bool = False
    # Called between batches: keeps the job's lease alive, collects the garbage the batch
    # left, and is where a stop (SIGTERM) takes effect.
    checkpoint: Callable[[], None] = field(default=lambda: None)
    # Told after each batch how much the run has done so far (for a progress bar).
    progress: Callable[[int], None] = field(default=lambda done: None)
    # What a destructive job deleted, by channel ({channel id: {what: count}}), for the audit.
    deleted: dict[int, dict[str, int]] = field(default_factory=dict)

    def attachment_store(self):
        from kchat_cli.store.attachment_store import AttachmentStore, default_place

        engine = self.batches.engine
        place = self.home.files or default_place(engine)
        return AttachmentStore(engine, self.home.folder, place)

    def sealer(self):
        from kchat_cli.store.sealing import Sealer

        return Sealer.of(self.batches.engine, self.home.folder, self.home.secret_key)
