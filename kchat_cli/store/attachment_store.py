"""Where the bytes of the files admins send live: one interface, two places.

- `home`: the sending machine's folder, `$KCHAT_HOME/files/ab/abcd…` (0600, folders 0700),
  one copy per content. The default for SQLite, a store of one machine.
- `database`: chunks of CHUNK bytes in `attachment_chunks`, written and read a chunk at a
  time (never a whole file in memory), so that any machine sharing a PostgreSQL store can
  deliver what another sent. The default for PostgreSQL.

`attachments` holds a row per content per channel: where its bytes are, and until when a
send in progress holds them (retention removes none before, see `release`). Bytes are
written before the send's transaction, in transactions of a chunk each; the send's
transaction only links them (`link`), so a retry of it never copies again.
"""

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kchat_cli.errors import MissingBytes
from kchat_cli.store.models import Attachment, AttachmentChunk, Message
from kchat_cli.store.session import read_session, run_write
from kchat_cli.store.types import UTCDateTime

CHUNK = 1024 * 1024
READABLE = ("home", "database")  # "incoming": chunks still being written

attachments, chunks = Attachment.__table__, AttachmentChunk.__table__


def default_place(engine: sa.Engine) -> str:
    return "home" if engine.dialect.name == "sqlite" else "database"


@dataclass(frozen=True)
class Stored:
    """What is known of an attachment's bytes."""

    channel_id: int
    sha256: str
    size: int
    place: str


@dataclass(frozen=True)
class AttachmentStore:
    """The store's attachment bytes, new ones going to `place` ("home" or "database")."""

    engine: sa.Engine
    folder: Path  # the home folder
    place: str

    def path_of(self, sha256: str) -> Path:
        return self.folder / "files" / sha256[:2] / sha256

    def keep(self, channel_id: int, source: Path, sha256: str, size: int, held_until: datetime):
        """Hold the bytes of `source` (which hash to `sha256`) until `held_until`, storing
        them first unless they are readable already. Raises MissingBytes when `source`
        changed since it was hashed."""
        found = self.find(channel_id, sha256)
        if found is not None and found.place in READABLE and self._readable_here(found):
            self._upsert(channel_id, sha256, size, found.place, held_until)
            return
        if self.place == "home":
            self._copy_home(source, sha256)
            self._upsert(channel_id, sha256, size, "home", held_until)
            return
        self._upsert(channel_id, sha256, size, "incoming", held_until)
        self._write_chunks(channel_id, sha256, _read(source))
        self._upsert(channel_id, sha256, size, "database", held_until)

    def find(self, channel_id: int, sha256: str) -> Stored | None:
        with read_session(self.engine) as session:
            row = session.execute(
                sa.select(attachments.c.size, attachments.c.place).where(
                    attachments.c.channel_id == channel_id, attachments.c.sha256 == sha256
                )
            ).first()
        return None if row is None else Stored(channel_id, sha256, row.size, row.place)

    def chunks(self, stored: Stored) -> Iterator[bytes]:
        """The bytes, a chunk at a time, checked against their hash as they go: MissingBytes
        when some are missing or differ (raised before the first chunk when none are here)."""
        digest, total = hashlib.sha256(), 0
        for chunk in self._raw_chunks(stored):
            digest.update(chunk)
            total += len(chunk)
            if total > stored.size:
                break
            yield chunk
        if total != stored.size or digest.hexdigest() != stored.sha256:
            raise MissingBytes(f"the bytes of {stored.sha256} are damaged")

    def problems(
        self, everything: list[Stored], progress: Callable[[int], None]
    ) -> list[tuple[Stored, str]]:
        """Those of `everything` (see `everything()`) whose bytes are missing or damaged, and
        why; `progress` is told the bytes checked so far. The store's chunks are read in one
        pass."""
        found, done = [], 0
        in_store = {(s.channel_id, s.sha256): s for s in everything if s.place == "database"}
        for stored, problem in self._check_chunks(in_store):
            done += stored.size
            progress(done)
            if problem is not None:
                found.append((stored, problem))
        for stored in everything:
            if stored.place == "home":
                problem = self.check(stored)
                done += stored.size
                progress(done)
                if problem is not None:
                    found.append((stored, problem))
        return found

    def _check_chunks(self, expected: dict) -> Iterator[tuple[Stored, str | None]]:
        """Each attachment of `expected` with why its chunks are not its bytes, or None."""
        seen: set = set()
        current, digest, total = None, None, 0
        with self.engine.connect() as connection:
            for channel_id, sha256, data in _every_chunk(connection):
                key = (channel_id, sha256)
                if key != current:
                    if current in expected:
                        seen.add(current)
                        yield expected[current], _verdict(expected[current], digest, total)
                    current, digest, total = key, hashlib.sha256(), 0
                digest.update(data)
                total += len(data)
            if current in expected:
                seen.add(current)
                yield expected[current], _verdict(expected[current], digest, total)
        for key in expected.keys() - seen:
            yield expected[key], f"the bytes of {key[1]} are missing from the store"

    def check(self, stored: Stored) -> str | None:
        """Why the bytes cannot be delivered (missing, damaged), or None when whole."""
        try:
            for _ in self.chunks(stored):
                pass
        except MissingBytes as exc:
            return str(exc)
        return None

    def everything(self) -> list[Stored]:
        """Every attachment whose bytes were whole when kept."""
        with read_session(self.engine) as session:
            rows = session.execute(
                sa.select(
                    attachments.c.channel_id,
                    attachments.c.sha256,
                    attachments.c.size,
                    attachments.c.place,
                )
                .where(attachments.c.place.in_(READABLE))
                .order_by(attachments.c.channel_id, attachments.c.sha256)
            ).all()
        return [Stored(*row) for row in rows]

    def move_in(self, progress: Callable[[int], None] = lambda moved: None) -> int:
        """Move the files that this machine's home folder holds into the store, one at a
        time: a file leaves the folder once it is whole in the store and no channel keeps
        it here. Resumable: chunks already written are not written again."""
        moved = 0
        for stored in self.everything():
            if stored.place != "home" or not self.path_of(stored.sha256).exists():
                continue
            self._write_chunks(stored.channel_id, stored.sha256, self._raw_chunks(stored))
            run_write(self.engine, lambda session, s=stored: _set_place(session, s, "database"))
            moved += 1
            progress(moved)
            self._forget_home_copy(stored.sha256)
        return moved

    def sweep_home(self, older_than: float) -> int:
        """Delete the home folder's files that no attachment keeps there, written before
        `older_than` (a Unix time): a send in progress keeps its file."""
        folder = self.folder / "files"
        if not folder.exists():
            return 0
        with read_session(self.engine) as session:
            kept = set(
                session.scalars(
                    sa.select(attachments.c.sha256).where(attachments.c.place == "home")
                )
            )
        swept = 0
        for path in folder.glob("*/*"):
            if path.name not in kept and path.stat().st_mtime < older_than:
                path.unlink(missing_ok=True)
                swept += 1
        return swept

    def _readable_here(self, stored: Stored) -> bool:
        return stored.place == "database" or self.path_of(stored.sha256).exists()

    def _raw_chunks(self, stored: Stored) -> Iterator[bytes]:
        if stored.place == "home":
            try:
                handle = self.path_of(stored.sha256).open("rb")
            except FileNotFoundError:
                raise MissingBytes(
                    f"the bytes of {stored.sha256} are missing from this machine's home folder"
                ) from None
            with handle:
                yield from iter(lambda: handle.read(CHUNK), b"")
            return
        query = (
            sa.select(chunks.c.data)
            .where(chunks.c.channel_id == stored.channel_id, chunks.c.sha256 == stored.sha256)
            .order_by(chunks.c.seq)
        )
        found = False
        with self.engine.connect() as connection:
            for (data,) in _streamed(connection, query):
                found = True
                yield bytes(data)
        if not found:
            raise MissingBytes(f"the bytes of {stored.sha256} are missing from the store")

    def _copy_home(self, source: Path, sha256: str) -> None:
        """Into the folder under its hash (0600, folders 0700); an existing copy is kept."""
        target = self.path_of(sha256)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if target.exists():
            os.utime(target)  # a fresh copy for the sweep's grace
            return
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as writer:
                for chunk in _checked(_read(source), sha256):
                    writer.write(chunk)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _write_chunks(self, channel_id: int, sha256: str, source: Iterator[bytes]) -> None:
        """A transaction a chunk, so that no lock is held longer. What an interrupted
        write left is written over; chunks that turn out not to hash to `sha256` (the
        file changed while it was read) are removed."""
        try:
            for seq, chunk in enumerate(_checked(source, sha256)):
                row = {"channel_id": channel_id, "sha256": sha256, "seq": seq, "data": chunk}
                run_write(self.engine, lambda session, row=row: _put_chunk(session, row))
        except MissingBytes:
            run_write(self.engine, lambda session: _delete_chunks(session, channel_id, [sha256]))
            raise

    def _upsert(self, channel_id: int, sha256: str, size: int, place: str, held_until):
        row = {
            "channel_id": channel_id,
            "sha256": sha256,
            "size": size,
            "place": place,
            "held_until": held_until,
        }
        run_write(self.engine, lambda session: _upsert_row(session, row))

    def _forget_home_copy(self, sha256: str) -> None:
        with read_session(self.engine) as session:
            kept = session.scalar(
                sa.select(sa.func.count())
                .select_from(attachments)
                .where(attachments.c.sha256 == sha256, attachments.c.place == "home")
            )
        if not kept:
            self.path_of(sha256).unlink(missing_ok=True)


def _every_chunk(connection: sa.Connection) -> Iterator[tuple[int, str, bytes]]:
    """Every chunk in order."""
    query = sa.select(chunks.c.channel_id, chunks.c.sha256, chunks.c.data).order_by(
        chunks.c.channel_id, chunks.c.sha256, chunks.c.seq
    )
    return _streamed(connection, query)


def _streamed(connection: sa.Connection, query: sa.Select) -> Iterator[tuple]:
    """The query's rows, a few at a time. PostgreSQL: a server-side cursor in binary, so that
    bytes are not sent as hex text, twice their size, and decoded again."""
    if connection.dialect.name != "postgresql":
        yield from connection.execute(query)
        return
    compiled = query.compile(dialect=connection.dialect)
    driver = connection.connection.driver_connection
    with driver.cursor(name="kchat_chunks", binary=True) as cursor:
        cursor.execute(str(compiled), compiled.params)
        while rows := cursor.fetchmany(4):
            yield from rows


def _verdict(stored: Stored, digest, total: int) -> str | None:
    if total != stored.size or digest.hexdigest() != stored.sha256:
        return f"the bytes of {stored.sha256} are damaged"
    return None


def link(session, channel_id: int, sha256: str, held_until: datetime) -> bool:
    """In the send's transaction: the bytes are there, and held until `held_until` (so a
    retention run deciding now waits for this transaction, then keeps them). False when
    they are gone."""
    later = _later(session)
    result = session.connection().execute(
        attachments.update()
        .where(
            attachments.c.channel_id == channel_id,
            attachments.c.sha256 == sha256,
            attachments.c.place.in_(READABLE),
        )
        .values(held_until=later(attachments.c.held_until, sa.literal(held_until, UTCDateTime())))
    )
    return result.rowcount == 1


def release(session, channel_id: int, sha256s: list[str], now: datetime) -> int:
    """In retention's transaction: remove the attachments among `sha256s` that no message
    of the channel uses any more and nothing holds at `now`, and the bytes of those in the
    store with them (a home folder's are swept after the commit). Returns how many were in
    the store."""
    if not sha256s:
        return 0
    messages = Message.__table__
    used = sa.exists().where(
        messages.c.channel_id == attachments.c.channel_id,
        messages.c.file_sha256 == attachments.c.sha256,
    )
    gone = (
        session.connection()
        .execute(
            attachments.delete()
            .where(
                attachments.c.channel_id == channel_id,
                attachments.c.sha256.in_(sorted(set(sha256s))),
                attachments.c.held_until < now,
                ~used,
            )
            .returning(attachments.c.sha256, attachments.c.place)
        )
        .all()
    )
    in_store = [sha for sha, place in gone if place != "home"]
    _delete_chunks(session, channel_id, in_store)
    return len(in_store)


def release_abandoned(session, now: datetime) -> int:
    """Chunks of sends that stopped before their bytes were whole, and that nothing holds."""
    gone = (
        session.connection()
        .execute(
            attachments.delete()
            .where(attachments.c.place == "incoming", attachments.c.held_until < now)
            .returning(attachments.c.channel_id, attachments.c.sha256)
        )
        .all()
    )
    for channel_id, sha256 in gone:
        _delete_chunks(session, channel_id, [sha256])
    return len(gone)


def _delete_chunks(session, channel_id: int, sha256s: list[str]) -> None:
    if sha256s:
        session.connection().execute(
            chunks.delete().where(chunks.c.channel_id == channel_id, chunks.c.sha256.in_(sha256s))
        )


def _set_place(session, stored: Stored, place: str) -> None:
    session.connection().execute(
        attachments.update()
        .where(
            attachments.c.channel_id == stored.channel_id,
            attachments.c.sha256 == stored.sha256,
        )
        .values(place=place)
    )


def _insert(session):
    return (sqlite if session.get_bind().dialect.name == "sqlite" else postgresql).insert


def _later(session):
    """The later of two times, in SQL (SQLite's max of two values is `max`)."""
    return sa.func.max if session.get_bind().dialect.name == "sqlite" else sa.func.greatest


def _put_chunk(session, row: dict) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Durable once the attachment's row says "database": that later commit flushes the
        # log up to it, chunks included; a chunk need not wait for its own flush.
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
    statement = _insert(session)(chunks).values(row)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["channel_id", "sha256", "seq"], set_={"data": statement.excluded.data}
        )
    )


def _upsert_row(session, row: dict) -> None:
    """The row as given; an existing one keeps the later hold."""
    statement = _insert(session)(attachments).values(row)
    later = _later(session)
    session.connection().execute(
        statement.on_conflict_do_update(
            index_elements=["channel_id", "sha256"],
            set_={
                "place": statement.excluded.place,
                "held_until": later(attachments.c.held_until, statement.excluded.held_until),
            },
        )
    )


def _read(source: Path) -> Iterator[bytes]:
    with source.open("rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")


def _checked(source: Iterator[bytes], sha256: str) -> Iterator[bytes]:
    """The chunks of `source`, and MissingBytes at the end if they do not hash to sha256
    (the file changed after it was checked)."""
    digest = hashlib.sha256()
    for chunk in source:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != sha256:
        raise MissingBytes("the file changed while it was being sent; send it again")
