"""Actions on many rooms at once: a batch per transaction, never one per room; the good
rooms change, the bad ones are reported with a reason (SPEC §7 "Bulk on a whole filter")."""

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.vocabulary import MAX_ID
from kchat_cli.errors import KchatError
from kchat_cli.store.session import run_write

BULK_BATCH = 1000

# An action changes one room; it returns True when it changed something besides the room's
# state (labels, groups…), and raises a KchatError to refuse the room. An action may also
# have `prepare(session, rooms)`, called once per batch first (to load what it needs for
# all the batch's rooms in one query), and `finish(session)`, called once after (to write
# what it gathered in one statement).
RoomAction = Callable[[Session, RoomState], bool | None]


@dataclass
class BulkReport:
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: "BulkReport") -> None:
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.refused += other.refused


def parse_room_ids(tokens: Iterable[str]) -> tuple[list[int], list[tuple[str, str]]]:
    """Room ids in the order given, each once; what is not an id is refused."""
    ids: dict[int, None] = {}
    refused = []
    for token in tokens:
        if token.isascii() and token.isdigit() and 0 < int(token) <= MAX_ID:
            ids[int(token)] = None
        else:
            refused.append((token, "not a room id"))
    return list(ids), refused


def apply_to_rooms(
    engine: sa.Engine,
    channel_id: int,
    tokens: Iterable[str],
    action: RoomAction,
    *,
    dry_run: bool = False,
    batch_size: int = BULK_BATCH,
    audit: Callable[[Session, list[int]], None] | None = None,
    report: BulkReport | None = None,
) -> BulkReport:
    """Apply `action` to the rooms named by `tokens`, a batch per transaction; `audit` is
    called in each batch's transaction with the rooms it changed. `report` counts committed
    batches only, so an interrupted run can say what it did."""
    ids, refused = parse_room_ids(tokens)
    report = report or BulkReport()
    report.refused += refused
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        report.merge(
            run_write(
                engine,
                lambda session, chunk=chunk: _apply_batch(
                    session, channel_id, chunk, action, audit
                ),
                commit=not dry_run,
            )
        )
    return report


def _apply_batch(
    session: Session, channel_id: int, ids: list[int], action: RoomAction, audit
) -> BulkReport:
    report = BulkReport()
    states = {state.id: state for state in rooms.load_rooms(session, channel_id, ids=ids)}
    if hasattr(action, "prepare"):
        action.prepare(session, list(states.values()))
    for room_id in ids:
        state = states.get(room_id)
        if state is None:
            report.refused.append((str(room_id), "no such room"))
            continue
        try:
            changed_elsewhere = action(session, state)
        except KchatError as exc:
            report.refused.append((str(room_id), str(exc)))
            continue
        if changed_elsewhere or state.snapshot() != state.loaded:
            report.changed.append(room_id)
        else:
            report.unchanged.append(room_id)
    if hasattr(action, "finish"):
        action.finish(session)
    rooms.save_rooms(session, channel_id, states.values())
    if audit is not None:
        audit(session, report.changed)
    return report


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """For work over millions of rows (ingest, export, retention): they allocate millions of
    short-lived objects that reference counting frees, and the cyclic collector, left on,
    spends up to a tenth of the time scanning them. Call what this yields between batches to
    collect once per batch instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        if enabled:
            gc.enable()
