"""Actions on many rooms at once: a batch per transaction, never one per room; the good
rooms change, the bad ones are reported with a reason (R-BULK-1)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlmodel import Session

from kchat_cli.domain.access import audit
from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.rooms import RoomState
from kchat_cli.domain.vocabulary import MAX_ID, counted
from kchat_cli.errors import KchatError
from kchat_cli.store.batches import Batches

BULK_BATCH = 1000


class RoomAction:
    """A bulk room action. Called on each room, it changes the room's state, returns True
    when it changed something besides (labels, groups…), and raises a KchatError to refuse
    the room. `prepare` runs once a batch first, to load what it needs for all the batch's
    rooms in one query; `finish` once after, to write what it gathered in one statement."""

    def prepare(self, actor: Actor, rooms: list[RoomState]) -> None:
        """Nothing to load by default."""

    def __call__(self, actor: Actor, room: RoomState) -> bool | None:
        raise NotImplementedError

    def finish(self, actor: Actor) -> None:
        """Nothing to write by default."""


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
    batches: Batches,
    tokens: Iterable[str],
    action: RoomAction,
    *,
    actor_of: Callable[[Session], Actor],
    audit_as: str | None = None,
    dry_run: bool = False,
    batch_size: int | None = None,
    report: BulkReport | None = None,
) -> BulkReport:
    """Apply `action` to the rooms named by `tokens`, a batch a transaction, as the actor
    `actor_of` makes in it; with `audit_as`, each batch's audit entry names the rooms it
    changed. `report` counts committed batches only, so an interrupted run can say what it
    did."""
    ids, refused = parse_room_ids(tokens)
    report = report or BulkReport()
    report.refused += refused
    size = batch_size or BULK_BATCH
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        done = batches.write(
            lambda session, chunk=chunk: apply_batch(actor_of(session), chunk, action, audit_as),
            commit=not dry_run,
        )
        report.merge(done)
    return report


def apply_batch(
    actor: Actor, ids: list[int], action: RoomAction, audit_as: str | None = None
) -> BulkReport:
    """`action` on these rooms, in the actor's transaction (audited under `audit_as`)."""
    report = BulkReport()
    states = {state.id: state for state in rooms.load_rooms(actor.db, actor.channel_id, ids=ids)}
    action.prepare(actor, list(states.values()))
    for room_id in ids:
        state = states.get(room_id)
        if state is None:
            report.refused.append((str(room_id), "no such room"))
            continue
        try:
            changed_elsewhere = action(actor, state)
        except KchatError as exc:
            report.refused.append((str(room_id), str(exc)))
            continue
        if changed_elsewhere or state.snapshot() != state.loaded:
            report.changed.append(room_id)
        else:
            report.unchanged.append(room_id)
    action.finish(actor)
    rooms.save_rooms(actor.db, actor.channel_id, states.values())
    if audit_as is not None and report.changed:
        audit.record(
            actor.db,
            actor.channel_id,
            actor.admin_id,
            audit_as,
            target=counted(len(report.changed), "room"),
            details={"rooms": report.changed},
            now=actor.now,
        )
    return report
