"""Inbound events (R-INGEST-1): validated line by line, applied in batches, idempotent by id.

Every line is either applied, skipped as a duplicate, or refused with its line number and
reason; a refused line never stops the others. Memory stays flat: at most one batch of
events is held at a time.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from kchat_cli import clock
from kchat_cli.domain.access import admins
from kchat_cli.domain.chat_settings import settings
from kchat_cli.domain.conversations import rooms
from kchat_cli.domain.conversations.conversation import Conversation, FileInfo
from kchat_cli.domain.conversations.inbound import Inbound
from kchat_cli.domain.hostile import storable
from kchat_cli.errors import KchatError, Refused, describe
from kchat_cli.lines import MAX_LINE, PAUSE, Line, Overlong
from kchat_cli.store.batches import Batches
from kchat_cli.store.bulk import among, bulk_insert
from kchat_cli.store.models import (
    Comment,
    Consent,
    InfoRequest,
    IngestedEvent,
    Message,
    Room,
    User,
)

INGEST_BATCH = 5000
# Applying this many events changes the tables enough for the planner to need new counts.
STATISTICS_AFTER = 10_000
EVENT_TYPES = ("open", "message", "friend_add", "friend_remove", "consent", "comment")
MESSAGE_KINDS = ("text", "image", "file")
# What a line may hold (R-INPUT-1): longer or odder values are refused with a reason.
MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 255  # nicknames, file names and types, consent field names
MAX_TEXT_LENGTH = 100_000
MAX_CONSENT_FIELDS = 50
MAX_CONSENT_VALUE = 1_000
MAX_FILE_SIZE = 1 << 40  # 1 TiB
FIRST_YEAR, LAST_YEAR = 2000, 2099  # of an event's time in Korea, where the rules are decided
# The same range as instants: compared with each event's time, not converted for each.
_EARLIEST = clock.as_utc(datetime(FIRST_YEAR, 1, 1))
_TOO_LATE = clock.as_utc(datetime(LAST_YEAR + 1, 1, 1))
REDACTED = "[redacted]"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Rejected(Exception):
    """A line that cannot be applied; the message is the reason shown to the user."""


@dataclass(slots=True)
class Event:
    line: int
    raw: bytes
    id: str
    type: str
    user: str
    ts: datetime
    body: dict


@dataclass
class IngestReport:
    applied: int = 0
    duplicates: int = 0
    refused: int = 0
    lines: int = 0  # lines read and done with, in committed batches

    def record(self) -> dict:
        return {"applied": self.applied, "duplicates": self.duplicates, "refused": self.refused}


def _apply(
    session: Session,
    channel_id: int,
    events: list[Event],
    now: datetime,
    as_of: datetime | None,
    seal: Callable,
) -> "_BatchOutcome":
    batch = Batch(session, channel_id, now=now, as_of=as_of or now, seal=seal)
    return batch.apply(events)


@dataclass
class _BatchOutcome:
    applied: list[int] = field(default_factory=list)  # lines
    duplicates: list[int] = field(default_factory=list)  # lines
    refused: list[tuple[Event, str]] = field(default_factory=list)

    def merge(self, other: "_BatchOutcome") -> "_BatchOutcome":
        self.applied += other.applied
        self.duplicates += other.duplicates
        self.refused += other.refused
        return self


def parse_event(line: int, raw: bytes) -> Event:
    """The event on a line, validated; its text values made storable. Only a JSON escape
    (`\\u0000`, `\\ud800`) can put a NUL or a lone surrogate in them: a line without one
    needs no look at its text."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Rejected("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise Rejected(f"not JSON ({exc.msg})") from None
    except RecursionError:
        raise Rejected("not JSON (nested too deeply)") from None
    except ValueError:  # an integer of thousands of digits
        raise Rejected("not JSON (a number too long to read)") from None
    if not isinstance(body, dict):
        raise Rejected("not a JSON object")
    event_id = _identifier(body, "id")
    kind = body.get("type")
    if kind not in EVENT_TYPES:
        raise Rejected(f"unknown type {_quoted(kind)}")
    user = _identifier(body, "user")
    ts = _time(body)
    if "legacy" in body and not isinstance(body["legacy"], bool):
        raise Rejected("legacy must be true or false")
    if body.get("nickname") is not None:
        _text(body, "nickname", MAX_NAME_LENGTH)
    validate = _VALIDATORS.get(kind)
    if validate is not None:
        validate(body)
    if b"\\u" in raw:
        _make_storable(body)
    return Event(line, raw, event_id, kind, user, ts, body)


def _make_storable(body: dict) -> None:
    for name in ("nickname", "text"):
        if isinstance(body.get(name), str):
            body[name] = storable(body[name])
    file = body.get("file")
    if isinstance(file, FileInfo):
        body["file"] = replace(file, name=storable(file.name), mime=storable(file.mime))
    if isinstance(body.get("fields"), dict):
        body["fields"] = {storable(key): storable(value) for key, value in body["fields"].items()}


def _quoted(value) -> str:
    """A value from the line, for a reason: short, and printed escaped by the caller."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _text(body: dict, name: str, limit: int = MAX_TEXT_LENGTH) -> str:
    value = body.get(name)
    if value is None:
        raise Rejected(f"missing {name}")
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise Rejected(f"{name} is longer than {limit:,} characters")
    return value


def _identifier(body: dict, name: str) -> str:
    """An id, a user key, an admin login or a post: kept exactly, so it must be plain."""
    value = body.get(name)
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and (0 < len(value) <= MAX_ID_LENGTH and not value.isspace())
    ):
        return value
    if value is None:
        raise Rejected(f"missing {name}")
    if not isinstance(value, str) or not value.strip():
        raise Rejected(f"{name} must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise Rejected(f"{name} is longer than {MAX_ID_LENGTH} characters")
    if _SURROGATE.search(value):
        raise Rejected(f"{name} holds an unpaired surrogate (half of a character)")
    if not (value.isascii() and value.isprintable()) and _CONTROL.search(value):
        raise Rejected(f"{name} holds control characters")
    return value


def _time(body: dict) -> datetime:
    value = body.get("ts")
    if value is None:
        raise Rejected("missing ts")
    if not isinstance(value, str):
        raise Rejected(f"ts is not ISO 8601: {_quoted(value)}")
    try:
        ts = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Rejected(f"ts is not ISO 8601: {_quoted(value)}") from None
    if not FIRST_YEAR - 1 <= ts.year <= LAST_YEAR + 1:  # within a day of the range: convertible
        raise Rejected(f"ts is out of range (years {FIRST_YEAR} to {LAST_YEAR} in Korea)")
    utc = clock.as_utc(ts)
    if not _EARLIEST <= utc < _TOO_LATE:
        raise Rejected(f"ts is out of range (years {FIRST_YEAR} to {LAST_YEAR} in Korea)")
    return utc


def _validate_message(body: dict) -> None:
    sender = body.get("from", "user")
    if sender not in ("user", "admin"):
        raise Rejected(f"from must be user or admin, not {_quoted(sender)}")
    if sender == "admin":
        _identifier(body, "admin")
    kind = body.get("kind", "text")
    if kind not in MESSAGE_KINDS:
        raise Rejected(f"unknown message kind {_quoted(kind)}")
    if kind == "text":
        _text(body, "text")
    else:
        if body.get("text") is not None:
            _text(body, "text")
        body["file"] = file_info(body)


def file_info(body: dict) -> FileInfo:
    file = body.get("file")
    if not isinstance(file, dict):
        raise Rejected("an image or file message needs a file object")
    size = file.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_FILE_SIZE:
        raise Rejected("file.size must be a whole number of bytes, at most 1 TiB")
    sha256 = file.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.match(sha256.lower()):
        raise Rejected("file.sha256 must be 64 hex digits")
    return FileInfo(
        name=_text(file, "name", MAX_NAME_LENGTH),
        size=size,
        mime=_text(file, "mime", MAX_NAME_LENGTH),
        sha256=sha256.lower(),
    )


def _validate_consent(body: dict) -> None:
    fields = body.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Rejected("consent needs a fields object")
    if len(fields) > MAX_CONSENT_FIELDS:
        raise Rejected(f"consent has more than {MAX_CONSENT_FIELDS} fields")
    for name, value in fields.items():
        if not isinstance(value, str):
            raise Rejected(f"consent field {_quoted(name)} must be a string")
        if len(name) > MAX_NAME_LENGTH or len(value) > MAX_CONSENT_VALUE:
            raise Rejected(f"consent field {_quoted(name)} is too long")


def _validate_comment(body: dict) -> None:
    _identifier(body, "post")
    _text(body, "text")


_VALIDATORS = {
    "message": _validate_message,
    "consent": _validate_consent,
    "comment": _validate_comment,
}


def redacted(raw: bytes) -> bytes:
    """A refused line as the reject file keeps it: as it came, but with the values of a
    consent's fields (personal data, R-PII-2) redacted and their names kept."""
    if b'"fields"' not in raw:
        return raw
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return _redacted_text(raw)
    if not isinstance(body, dict) or "fields" not in body:
        return raw
    fields = body["fields"]
    body["fields"] = (
        {str(name): REDACTED for name in fields} if isinstance(fields, dict) else REDACTED
    )
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "replace")


_FIELD_VALUE = re.compile(rb'("(?:[^"\\]|\\.)*"\s*:\s*)("(?:[^"\\]|\\.)*"|[-+0-9.eE]+)')


def _redacted_text(raw: bytes) -> bytes:
    """A line that is not JSON: every value after "fields" is redacted, names kept."""
    head, _, tail = raw.partition(b'"fields"')
    return head + b'"fields"' + _FIELD_VALUE.sub(rb'\1"' + REDACTED.encode() + rb'"', tail)


class Batch:
    """One transaction's worth of events: claimed, applied through the conversation path."""

    def __init__(
        self, session: Session, channel_id: int, *, now: datetime, as_of: datetime, seal: Callable
    ):
        self.session = session
        self.channel_id = channel_id
        self.now = now
        self.as_of = as_of
        self.seal = seal
        self.settings = settings.load(session.connection(), channel_id)
        self.conversation = Conversation(session, channel_id, now)
        self.inbound = Inbound(self.conversation, self.settings, as_of)
        self.by_user: dict[str, rooms.RoomState] = {}
        self.admin_ids: dict[str, int] = {}
        self.extra_rows: dict[type, list[dict]] = {Comment: [], Consent: []}

    def apply(self, events: list[Event]) -> _BatchOutcome:
        outcome = _BatchOutcome()
        fresh = self._claim(events)
        claimed = {id(event) for event in fresh}
        outcome.duplicates = [event.line for event in events if id(event) not in claimed]
        self._prepare(fresh)
        for event in fresh:
            try:
                _HANDLERS[event.type](self, event)
            except Rejected as exc:
                outcome.refused.append((event, str(exc)))
            else:
                outcome.applied.append(event.line)
        self.conversation.flush()
        for model, rows in self.extra_rows.items():
            if rows:
                self.session.execute(sa.insert(model), rows)
        self._unclaim([event.id for event, _ in outcome.refused])
        return outcome

    def _claim(self, events: list[Event]) -> list[Event]:
        """Take each event id once: ids already taken (here or by another writer) are skipped."""
        unique = {event.id: event for event in reversed(events)}
        rows = [
            {"channel_id": self.channel_id, "event_id": event_id}
            for event_id in sorted(unique)  # in index order: fewer pages touched
        ]
        if not rows:
            return []
        claimed = {
            event_id
            for (event_id,) in bulk_insert(
                self.session,
                IngestedEvent.__table__,
                rows,
                skip_conflicts=True,
                returning=["event_id"],
            )
        }
        return [event for event in events if event.id in claimed and unique[event.id] is event]

    def _unclaim(self, event_ids: list[str]) -> None:
        if event_ids:
            self.session.execute(
                sa.delete(IngestedEvent).where(
                    IngestedEvent.channel_id == self.channel_id,
                    among(self.session, IngestedEvent.__table__.c.event_id, event_ids),
                )
            )

    def _prepare(self, events: list[Event]) -> None:
        """Load (creating where new) the rooms of the batch's users, and the admins named."""
        keys = {event.user for event in events}
        states = rooms.load_rooms(self.session, self.channel_id, user_keys=keys)
        missing = keys - {state.user_key for state in states}
        if missing:
            self._create_rooms(missing)
            states += rooms.load_rooms(self.session, self.channel_id, user_keys=missing)
        self.by_user = {state.user_key: state for state in states}
        self.conversation.track(states)
        logins = {
            event.body["admin"]
            for event in events
            if event.type == "message" and event.body.get("from") == "admin"
        }
        if logins:
            self.admin_ids = admins.admin_ids_by_login(self.session, self.channel_id, logins)

    def _create_rooms(self, keys: set[str]) -> None:
        """A user and a room for each new key; ones another writer just made are kept."""
        users = User.__table__
        bulk_insert(
            self.session,
            users,
            [
                {"channel_id": self.channel_id, "key": key, "friend": False, "created_at": self.now}
                for key in sorted(keys)
            ],
            skip_conflicts=True,
        )
        user_ids = self.session.execute(
            sa.select(users.c.id).where(
                users.c.channel_id == self.channel_id,
                among(self.session, users.c.key, sorted(keys)),
            )
        ).scalars()
        bulk_insert(
            self.session,
            Room.__table__,
            [
                {
                    "channel_id": self.channel_id,
                    "user_id": user_id,
                    "status": "unanswered",
                    "unread": 0,
                    "legacy": False,
                    "starred": False,
                    "created_at": self.now,
                }
                for user_id in user_ids
            ],
            skip_conflicts=True,
        )

    def room(self, event: Event) -> rooms.RoomState:
        room = self.by_user[event.user]
        if event.body.get("legacy"):
            room.legacy = True
        if event.body.get("nickname"):
            room.nickname = event.body["nickname"]
        return room


def _on_open(batch: Batch, event: Event) -> None:
    batch.inbound.customer_entered(batch.room(event), event.ts)


def _on_message(batch: Batch, event: Event) -> None:
    body = event.body
    kind = body.get("kind", "text")
    file = None if kind == "text" else body["file"]
    if body.get("from") == "admin":
        admin_id = batch.admin_ids.get(body["admin"])
        if admin_id is None:
            raise Rejected(f"unknown admin {body['admin']!r} (add them with kchat admins add)")
        batch.conversation.admin_message(
            batch.room(event),
            admin_id=admin_id,
            ts=event.ts,
            kind=kind,
            text=body.get("text"),
            file=file,
            event_id=event.id,
            deliver=False,
        )
        return
    try:
        batch.inbound.customer_wrote(
            batch.by_user[event.user],
            ts=event.ts,
            kind=kind,
            text=body.get("text"),
            file=file,
            event_id=event.id,
        )
    except Refused as exc:
        raise Rejected(str(exc)) from None
    batch.room(event)  # the message was taken: its nickname and legacy flag are the room's


def _on_friend(batch: Batch, event: Event) -> None:
    batch.room(event).friend = event.type == "friend_add"


def _on_comment(batch: Batch, event: Event) -> None:
    room = batch.room(event)
    batch.extra_rows[Comment].append(
        {
            "channel_id": batch.channel_id,
            "user_id": room.user_id,
            "post": event.body["post"],
            "text": event.body["text"],
            "ts": event.ts,
            # R-BLOCK-2: hidden from other users when written after the block.
            "hidden": room.blocked_at is not None and event.ts >= room.blocked_at,
            "event_id": event.id,
        }
    )


def _on_consent(batch: Batch, event: Event) -> None:
    """R-PII-2: a consent answers the room's open customer-info request, once."""
    room = batch.room(event)
    request = batch.session.scalar(
        sa.select(InfoRequest)
        .where(
            InfoRequest.channel_id == batch.channel_id,
            InfoRequest.room_id == room.id,
            InfoRequest.answered_at.is_(None),
        )
        .order_by(InfoRequest.id.desc())
        .limit(1)
    )
    if request is None:
        raise Rejected("no open customer-info request for this user")
    request.answered_at = event.ts
    batch.extra_rows[Consent].append(
        {
            "channel_id": batch.channel_id,
            "user_id": room.user_id,
            "ts": event.ts,
            "data": batch.seal(event.body["fields"]),
            "event_id": event.id,
            "request_id": request.id,
        }
    )


_HANDLERS = {
    "open": _on_open,
    "message": _on_message,
    "friend_add": _on_friend,
    "friend_remove": _on_friend,
    "comment": _on_comment,
    "consent": _on_consent,
}


def ingest(
    batches: Batches,
    channel_id: int,
    lines: Iterable[Line | None],
    *,
    on_refused: Callable[[int, bytes, str], None],
    seal: Callable[[dict], str],
    now: Callable[[], datetime] = clock.now,
    as_of: datetime | None = None,
    batch_size: int = INGEST_BATCH,
    report: IngestReport | None = None,
    on_batch: Callable[[IngestReport], None] = lambda report: None,
    on_accepted: Callable[[int, bool], None] = lambda line, duplicate: None,
) -> IngestReport:
    """Apply events from `lines` (a `None` among them: the input paused, so commit what was read);
    report each refused line through `on_refused(line, raw, reason)` once its batch is done,
    and each applied or duplicate line through `on_accepted(line, duplicate)`. Whatever a
    line holds, it is applied or refused on its own (R-INPUT-1). `seal` encrypts personal
    data before it reaches the store. Automatic notices are decided as of `as_of` (default:
    when each batch is applied). `report` counts committed batches only, and `on_batch` is
    told after each, so an interrupted ingest can say what it did."""
    report = report or IngestReport()
    with rooms.running_as("ingest"):
        for chunk in _chunks(lines, batch_size):
            outcome = (
                _apply_isolated(batches, channel_id, chunk.events, now, as_of, seal)
                if chunk.events
                else _BatchOutcome()
            )
            refused = chunk.refused + [
                (event.line, event.raw, reason) for event, reason in outcome.refused
            ]
            report.applied += len(outcome.applied)
            report.duplicates += len(outcome.duplicates)
            report.refused += len(refused)
            report.lines = chunk.last_line
            for line, raw, reason in sorted(refused, key=lambda each: each[0]):
                on_refused(line, raw, reason)
            for line in outcome.applied:
                on_accepted(line, False)
            for line in outcome.duplicates:
                on_accepted(line, True)
            on_batch(report)
    if report.applied >= STATISTICS_AFTER:
        batches.analyze([Room.__table__, User.__table__, Message.__table__])
    return report


def _apply_isolated(
    batches: Batches, channel_id: int, events: list[Event], now, as_of, seal
) -> _BatchOutcome:
    """Apply a batch in one transaction. Should the store refuse it for what some line holds
    (a value validation let through), apply its halves apart, down to the culprit, which is
    refused alone: one line never costs the others."""
    try:
        return batches.write(
            lambda session: _apply(session, channel_id, events, now(), as_of, seal)
        )
    except Exception as exc:
        if not _caused_by_content(exc):
            raise
        if len(events) == 1:
            return _BatchOutcome(
                refused=[(events[0], f"the store cannot hold it ({describe(exc)})")]
            )
    middle = len(events) // 2
    first = _apply_isolated(batches, channel_id, events[:middle], now, as_of, seal)
    return first.merge(_apply_isolated(batches, channel_id, events[middle:], now, as_of, seal))


def _caused_by_content(exc: Exception) -> bool:
    """A store's refusal of a value, not a failure of the store itself (lost connection, full
    disk, missing key): those stop the ingest, whatever the lines hold."""
    failures = (sa.exc.OperationalError, sa.exc.InterfaceError, KchatError, MemoryError)
    return not isinstance(exc, failures)


@dataclass
class _Chunk:
    """What one transaction takes: the events of a run of lines, and the lines of it that
    were refused as they were read."""

    events: list[Event] = field(default_factory=list)
    refused: list[tuple[int, bytes, str]] = field(default_factory=list)
    last_line: int = 0


def _chunks(lines: Iterable[Line | None], size: int) -> Iterator[_Chunk]:
    chunk = _Chunk()
    for line in lines:
        if line is PAUSE:
            if chunk.events or chunk.refused:
                yield chunk
                chunk = _Chunk(last_line=chunk.last_line)
            continue
        number, raw = line
        chunk.last_line = number
        if not raw or raw.isspace():
            continue
        try:
            if type(raw) is Overlong:
                raise Rejected(f"longer than {MAX_LINE:,} bytes")
            chunk.events.append(parse_event(number, raw))
        except Rejected as exc:
            chunk.refused.append((number, raw, str(exc)))
            continue
        if len(chunk.events) >= size:
            yield chunk
            chunk = _Chunk(last_line=number)
    if chunk.events or chunk.refused:
        yield chunk
