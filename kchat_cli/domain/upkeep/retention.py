"""Retention (R-RET-1): messages are kept three years, then deleted completely.

Invariant: after a run as of T, no message whose three years (python-dateutil's
`relativedelta(years=3)` from its Korea-time timestamp) have passed at T is left, in any
room that is not under legal hold, nor its outbox copy, nor its attachment's bytes once no
message uses them and no send holds them (removed in the transaction that deletes the last
message using them when they are in the store; from the home folder right after it); every
room's unread count and last-message times describe the messages that remain; memos, room
names and labels are untouched. On SQLite deleted content is overwritten (secure_delete);
the search index, a table per month, indexes exactly the messages left: the tables of months
before the cut (search_index) are dropped once their messages are gone, the others are
unindexed row by row and merged (FTS5 only marks deleted entries); and the WAL is emptied,
so nothing of it stays readable in the store's files.

Each batch of RETENTION_BATCH messages is one transaction, so admins wait at most one batch
for the write lock, and a run cut short (even by SIGKILL) leaves whole batches done and the
rest for the next run, which ends in the same state.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from kchat_cli import clock
from kchat_cli.clock import KST
from kchat_cli.domain.conversations import attachments, rooms
from kchat_cli.store import attachment_store, search_index
from kchat_cli.store.attachment_store import AttachmentStore
from kchat_cli.store.batches import Batches
from kchat_cli.store.bulk import among
from kchat_cli.store.models import Channel, Message, OutboxItem, Room

RETENTION = relativedelta(years=3)
RETENTION_BATCH = 12_500
# A message unindexed row by row (from the index cut on) costs about twice one whose
# month's search table is dropped whole: those batches are this many times smaller.
ROW_BY_ROW_COST = 2
# Batches between WAL checkpoints (SQLite): tens of megabytes of WAL at most.
SETTLE_EVERY = 4
# Times are kept to the microsecond: the last time before an instant is this much earlier.
MICROSECOND = timedelta(microseconds=1)


def expires_at(ts: datetime) -> datetime:
    """When a message of `ts` is three years old, in Korea time (2024-02-29 12:00 expires
    at 2027-02-28 12:00)."""
    return ts.astimezone(KST) + RETENTION


@dataclass(frozen=True)
class Window:
    """Messages up to `sure` have expired; those up to `maybe` are checked one by one,
    because a leap day's messages expire on the 28th, before some of the day before's."""

    as_of: datetime
    sure: datetime
    maybe: datetime

    @classmethod
    def at(cls, as_of: datetime) -> "Window":
        sure = as_of.astimezone(KST) - RETENTION
        return cls(as_of, sure, sure + timedelta(days=1))

    @property
    def holds(self) -> datetime:
        """A send holds its file's bytes until a time by the clock (attachments.HOLD): those
        held past this are kept, whatever --as-of says, so a send in progress keeps them."""
        return min(self.as_of, clock.now())

    def expired(self, ts: datetime) -> bool:
        return ts <= self.sure or expires_at(ts) <= self.as_of

    @property
    def index_cut(self) -> datetime:
        """Search index tables of months before this hold surely expired messages only:
        they are dropped whole (or rebuilt, for held rooms) instead of unindexed row by row."""
        return search_index.month_of(self.sure)


@dataclass
class Report:
    messages: int = 0
    outbox: int = 0
    files: int = 0
    batches: int = 0
    held_skipped: int = 0
    index_tables_dropped: int = 0
    index_merges: int = 0
    longest_batch_ms: float = 0.0
    touched_rooms: set = field(default_factory=set)
    unindexed_months: set = field(default_factory=set)
    # Rooms held at any moment of the run: their messages stay until the next run, so the
    # search tables restarted from them stay true.
    spared: set[int] = field(default_factory=set)
    restarted_months: set = field(default_factory=set)
    by_channel: dict[int, int] = field(default_factory=dict)  # messages deleted in each

    def counts(self) -> dict:
        return {
            "messages": self.messages,
            "outbox": self.outbox,
            "rooms": len(self.touched_rooms),
            "files": self.files,
            "batches": self.batches,
            "held_skipped": self.held_skipped,
            "index_tables_dropped": self.index_tables_dropped,
            "index_merges": self.index_merges,
            "longest_batch_ms": round(self.longest_batch_ms, 1),
        }


@dataclass
class _Done:
    """What one batch did: messages deleted, rooms touched, search index months it
    unindexed from, and where the next one starts (None: no more)."""

    deleted: int
    rooms: set[int]
    months: set[datetime] = field(default_factory=set)
    next_since: datetime | None = None
    files: int = 0  # attachments whose bytes in the store went with the messages


def run(
    batches: Batches,
    *,
    as_of: datetime,
    files: AttachmentStore,
    dry_run: bool = False,
    batch_size: int = RETENTION_BATCH,
    checkpoint: Callable[[], None] = lambda: None,
    progress: Callable[[int], None] = lambda deleted: None,
) -> Report:
    window = Window.at(as_of)
    report = Report()
    with batches.read() as session:
        channel_ids = list(session.scalars(sa.select(Channel.id).order_by(Channel.id)))
        report.held_skipped = _held_expired(session, window)

    def write(writer: Batches, work):
        started = time.perf_counter()
        result = writer.write(work, commit=not dry_run)
        report.longest_batch_ms = max(
            report.longest_batch_ms, (time.perf_counter() - started) * 1000
        )
        return result

    def batch(channel_id: int, work) -> _Done:
        done = write(writer, work)
        report.batches += 1
        report.messages += done.deleted
        if done.deleted and not dry_run:
            report.by_channel[channel_id] = report.by_channel.get(channel_id, 0) + done.deleted
        report.touched_rooms |= done.rooms
        report.unindexed_months |= done.months
        report.files += done.files
        if report.batches % SETTLE_EVERY == 0:
            writer.settle()
        progress(report.messages)
        checkpoint()
        return done

    row_by_row_size = max(1, batch_size // ROW_BY_ROW_COST)
    before_cut = window.index_cut - MICROSECOND
    with batches.dedicated() as writer:
        for channel_id in channel_ids:
            for since, upto, size in (
                (None, before_cut, batch_size),
                (before_cut, window.sure, row_by_row_size),
            ):
                while True:
                    done = batch(
                        channel_id,
                        partial(
                            _delete_sure,
                            channel_id=channel_id,
                            window=window,
                            since=since,
                            upto=upto,
                            limit=size,
                            report=report,
                        ),
                    )
                    if done.next_since is None:
                        break
                    since = done.next_since
            leap_ids = _leap_window(batches, channel_id, window, report)
            for start in range(0, len(leap_ids), row_by_row_size):
                chunk = leap_ids[start : start + row_by_row_size]
                batch(
                    channel_id,
                    lambda session, chunk=chunk, channel_id=channel_id: _delete_ids(
                        session, channel_id, window, chunk
                    ),
                )
    report.outbox = _delete_outbox(
        batches, window, batch_size=batch_size, dry_run=dry_run, checkpoint=checkpoint
    )
    if not dry_run:
        batches.write(lambda session: attachment_store.release_abandoned(session, window.holds))
        report.files += files.sweep_home(time.time() - attachments.HOLD.total_seconds())
        with batches.read() as session:
            indexed_months = search_index.months(session)
        report.index_tables_dropped = len(report.restarted_months - set(indexed_months))
        with batches.dedicated() as writer:
            _settle_search_index(write, writer, window, indexed_months, report)
        batches.scrub("retention")
        if report.messages:
            batches.analyze([Message.__table__, Room.__table__], reclaim=True)
    return report


def _settle_search_index(
    write, writer, window: Window, indexed_months: list[datetime], report: Report
) -> None:
    """Drop (or rebuild) the search index tables of months before the cut, whose messages
    were deleted without unindexing, and merge the tables that were unindexed from. Months
    with messages of held rooms are rebuilt on every run: held rooms are few. A run cut
    short before this leaves the tables to the next run, which does it whatever it deletes."""
    for month in indexed_months:
        if month < window.index_cut:
            outcome = write(
                writer, lambda session, month=month: search_index.drop_or_rebuild(session, month)
            )
            report.index_tables_dropped += outcome == "dropped"
    for month in sorted(report.unindexed_months):
        while write(writer, lambda session, month=month: search_index.merge(session, month)) >= 2:
            report.index_merges += 1


def _held_expired(session: Session, window: Window) -> int:
    held = sa.select(Room.id).where(Room.held.is_(True))
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.ts <= window.sure, Message.room_id.in_(held))
    )


def _not_held(session: Session, report: Report) -> list:
    """The condition that spares the messages of rooms held now or earlier in the run, if
    there are any (with none, a batch's range is read from the time index alone, without
    each message's row)."""
    held = session.connection().execute(sa.select(Room.id).where(Room.held.is_(True)))
    report.spared.update(held.scalars())
    if report.spared:
        return [sa.not_(among(session, Message.__table__.c.room_id, sorted(report.spared)))]
    return []


def _restart_search_months(
    session: Session, window: Window, newest: datetime, report: Report
) -> None:
    """Before a batch deletes messages of months before the index cut, which it does not
    unindex: restart those months' search tables from the spared rooms' messages, in the
    batch's transaction."""
    for month in search_index.months(session):
        due = month < window.index_cut and month <= newest
        if due and month not in report.restarted_months:
            search_index.restart(session, month, sorted(report.spared))
            report.restarted_months.add(month)


def _delete_sure(
    session: Session,
    channel_id: int,
    window: Window,
    since: datetime | None,
    upto: datetime,
    limit: int,
    report: Report,
) -> _Done:
    """The oldest `limit` or so messages up to `upto` (no later than `window.sure`: surely
    expired): those up to the time of the `limit`-th, by index range, after `since` (where
    the last batch ended: what held rooms keep there, and in a dry run all of it, is not
    looked at twice)."""
    messages = Message.__table__
    scope = [
        messages.c.channel_id == channel_id,
        messages.c.ts <= upto,
        *_not_held(session, report),
    ]
    if since is not None:
        scope.append(messages.c.ts > since)
    boundary = (
        session.connection()
        .execute(
            sa.select(messages.c.ts)
            .where(*scope)
            .order_by(messages.c.ts)
            .offset(limit - 1)
            .limit(1)
        )
        .scalar()
    )
    newest = upto
    if boundary is not None:
        scope.append(messages.c.ts <= boundary)
        newest = boundary
    _restart_search_months(session, window, newest, report)
    done = _delete(session, channel_id, window, messages.delete().where(*scope), newest)
    done.next_since = boundary
    return done


def _leap_window(batches: Batches, channel_id: int, window: Window, report: Report) -> list[int]:
    """Messages of the day after `sure` that have expired too (a leap day's, on the 28th)."""
    messages = Message.__table__
    with batches.read() as session:
        rows = (
            session.connection()
            .execute(
                sa.select(messages.c.id, messages.c.ts).where(
                    messages.c.channel_id == channel_id,
                    messages.c.ts > window.sure,
                    messages.c.ts <= window.maybe,
                    *_not_held(session, report),
                )
            )
            .all()
        )
    return [row.id for row in rows if window.expired(row.ts)]


def _delete_ids(session: Session, channel_id: int, window: Window, ids: list[int]) -> _Done:
    messages = Message.__table__
    return _delete(
        session, channel_id, window, messages.delete().where(messages.c.id.in_(ids)), window.maybe
    )


def _delete(
    session: Session, channel_id: int, window: Window, delete: sa.Delete, newest: datetime
) -> _Done:
    """Delete messages (none newer than `newest`), unindex those the search index keeps
    row by row (from the cut on), unlink their outbox items (the batch writer leaves that
    foreign key's ON DELETE SET NULL to us) and set their rooms right."""
    messages, outbox = Message.__table__, OutboxItem.__table__
    counted = sa.and_(messages.c.sender == "user", messages.c.hidden.is_(False))
    kept_row_by_row = sa.and_(messages.c.ts >= window.index_cut, messages.c.text.is_not(None))
    gone = (
        session.connection()
        .execute(
            delete.returning(
                messages.c.id,
                messages.c.room_id,
                sa.case((counted, messages.c.seq)),
                sa.case((kept_row_by_row, messages.c.ts)),
                sa.case((kept_row_by_row, messages.c.text)),
                messages.c.file_sha256,
            )
        )
        .all()
    )
    if not gone:
        return _Done(0, set())
    ids, room_ids, seqs, times, texts, sha256s = zip(*gone, strict=True)
    with_files = [sha256 for sha256 in sha256s if sha256 is not None]
    in_store = attachment_store.release(session, channel_id, with_files, window.holds)
    unindexed = [row for row in zip(ids, times, texts, strict=True) if row[1] is not None]
    months = search_index.remove(session, unindexed)
    session.connection().execute(
        outbox.update()
        .where(among(session, outbox.c.message_id, list(ids)))
        .values(message_id=None)
    )
    unread_seqs: dict[int, list[int]] = {}
    for room_id, seq in zip(room_ids, seqs, strict=True):
        lost = unread_seqs.setdefault(room_id, [])
        if seq is not None:
            lost.append(seq)
    _fix_rooms(session, channel_id, unread_seqs, newest)
    return _Done(len(gone), set(unread_seqs), months, files=in_store)


def _fix_rooms(
    session: Session, channel_id: int, unread_seqs: dict[int, list[int]], newest: datetime
) -> None:
    """Rooms describe the messages that remain. `unread_seqs` holds, for each room that lost
    messages, the numbers of the user messages it lost: those after its read mark leave its
    unread count. Only rooms whose latest times may have gone (none newer than `newest`)
    are searched for their new latest messages. Rooms are picked before they are locked (a
    read mark only moves forward, last-message times only as messages arrive, so no room
    left out needs fixing), and fixed from their locked state."""
    table, messages = Room.__table__, Message.__table__
    stale = sa.or_(
        table.c.last_message_at <= newest,
        table.c.last_user_at <= newest,
        table.c.last_admin_at <= newest,
    )
    fix, restamp = [], set()
    for room_id, read_seq, is_stale in (
        session.connection()
        .execute(
            sa.select(table.c.id, table.c.read_seq, stale).where(
                among(session, table.c.id, list(unread_seqs))
            )
        )
        .all()
    ):
        if is_stale:
            restamp.add(room_id)
        if is_stale or any(seq > read_seq for seq in unread_seqs[room_id]):
            fix.append(room_id)
    if not fix:
        return
    states = rooms.load_rooms(session, channel_id, ids=fix)
    shown = [messages.c.hidden.is_(False), messages.c.sender.in_(("user", "admin"))]
    latest = (
        {
            (room_id, sender): ts
            for room_id, sender, ts in session.connection().execute(
                sa.select(messages.c.room_id, messages.c.sender, sa.func.max(messages.c.ts))
                .where(among(session, messages.c.room_id, sorted(restamp)), *shown)
                .group_by(messages.c.room_id, messages.c.sender)
            )
        }
        if restamp
        else {}
    )
    for room in states:
        room.unread -= sum(seq > room.read_seq for seq in unread_seqs[room.id])
        if room.id in restamp:
            room.last_user_at = latest.get((room.id, "user"))
            room.last_admin_at = latest.get((room.id, "admin"))
            times = [t for t in (room.last_user_at, room.last_admin_at) if t is not None]
            room.last_message_at = max(times) if times else None
    rooms.save_rooms(session, channel_id, states)


def _delete_outbox(
    batches: Batches,
    window: Window,
    *,
    batch_size: int,
    dry_run: bool,
    checkpoint: Callable[[], None],
) -> int:
    """Outbox items carry a copy of what was sent: they go with the messages, a batch a
    transaction like them."""
    table = OutboxItem.__table__
    with batches.read() as session:
        rows = session.execute(
            sa.select(table.c.id, table.c.created_at).where(table.c.created_at <= window.maybe)
        ).all()
    expired = [row.id for row in rows if window.expired(row.created_at)]
    for start in range(0, len(expired), batch_size):
        chunk = expired[start : start + batch_size]
        batches.write(
            lambda session, chunk=chunk: session.execute(
                table.delete().where(among(session, table.c.id, chunk))
            ),
            commit=not dry_run,
        )
        checkpoint()
    return len(expired)
