"""Several processes on one store at once (R-SYNC-1): four ingest writers, two admins
reading, labeling and answering, and the scheduler — on SQLite (WAL) and PostgreSQL. Nothing
is lost or doubled, every counter matches a recount, and nobody sees a lock error."""

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from test_listings import counts, recount_listed

from kchat_cli import clock
from kchat_cli.clock import KST
from kchat_cli.domain.chat_settings.hours import DAY_NAMES
from kchat_cli.domain.conversations.rooms import RoomState, derive_status
from kchat_cli.store.models import Channel, IngestedEvent, Message, NoticeClaim, OutboxItem, Room

USERS = 40
PER_WRITER = 600
WRITERS = 4
ERRORS = ("locked", "serializ", "deadlock", "Traceback")


def closed_since_two_hours_ago(kchat) -> None:
    """Hours that ended two hours ago: now is off-hours, its period began then."""
    start = clock.now().astimezone(KST) - timedelta(hours=3)
    end = start + timedelta(hours=1)
    kchat("settings", "hours", "set", DAY_NAMES[start.weekday()], f"{start:%H:%M}-{end:%H:%M}")


def event_files(tmp_path: Path) -> tuple[list[Path], set[str]]:
    """Four files of user messages over the same rooms; each writer's last 100 events are
    the next writer's first 100 again (the same ids: they must apply once)."""
    now = clock.now()
    events = [
        {
            "id": f"ev-{n}",
            "type": "message",
            "user": f"user-{n % USERS}",
            "ts": (now - timedelta(minutes=30) + timedelta(milliseconds=n)).isoformat(),
            "text": f"문의 {n}",
        }
        for n in range(WRITERS * PER_WRITER)
    ]
    files = []
    for writer in range(WRITERS):
        part = events[writer * PER_WRITER : (writer + 1) * PER_WRITER + 100]
        path = tmp_path / f"writer-{writer}.jsonl"
        path.write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in part), encoding="utf-8"
        )
        files.append(path)
    return files, {event["id"] for event in events}


def test_concurrent_writers_admins_and_scheduler_lose_nothing(kchat, tmp_path):
    kchat("admins", "add", "bob", "--name", "박보검")
    with kchat.engine.begin() as connection:
        connection.execute(sa.text("UPDATE admins SET additional_auth = false"))
    kchat("labels", "create", "VIP")
    closed_since_two_hours_ago(kchat)
    files, ids = event_files(tmp_path)
    env = {
        **os.environ,
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_SCHEDULE_DELIVER": "every 1 seconds",
        "KCHAT_SCHEDULE_OFFHOURS_NOTICES": "every 1 seconds",
        "KCHAT_TRANSPORT": f"file:{tmp_path / 'delivered.jsonl'}",
        "PYTHONPATH": str(Path(__file__).parent),
    }
    kchat_cmd = [sys.executable, "-m", "kchat_cli"]
    scheduler = subprocess.Popen(
        [*kchat_cmd, "scheduler", "run"], env=env, stderr=subprocess.PIPE, text=True
    )
    assert "scheduler started" in scheduler.stderr.readline()
    workers = [
        subprocess.Popen(
            [*kchat_cmd, "ingest", str(path), "--batch-size", "50"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in files
    ]
    admins = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "actors.py"), login, "12", str(seed)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed, login in enumerate(("alice", "bob"))
    ]
    outputs = [process.communicate(timeout=300) for process in workers + admins]
    scheduler.send_signal(signal.SIGTERM)
    scheduler_err = scheduler.communicate(timeout=60)[1]
    for process, (_out, err) in zip(workers + admins, outputs, strict=True):
        assert process.returncode == 0, err
        assert not any(word in err for word in ERRORS), err
    assert scheduler.returncode == 0 and not any(word in scheduler_err for word in ERRORS[:3])
    assert_consistent(kchat, ids)


def assert_consistent(kchat, ids: set[str]) -> None:
    with kchat.engine.connect() as connection:
        messages = (
            connection.execute(sa.select(Message.event_id).where(Message.sender == "user"))
            .scalars()
            .all()
        )
        assert sorted(messages) == sorted(ids), "every event once: none lost, none doubled"
        assert connection.execute(
            sa.select(sa.func.count()).select_from(IngestedEvent)
        ).scalar() == len(ids)
        recount = dict(
            connection.execute(
                sa.select(Room.id, sa.func.count(Message.id))
                .outerjoin(
                    Message,
                    sa.and_(
                        Message.room_id == Room.id,
                        Message.sender == "user",
                        Message.hidden.is_(False),
                        Message.seq > Room.read_seq,
                    ),
                )
                .group_by(Room.id)
            ).all()
        )
        rooms = connection.execute(sa.select(Room.__table__)).all()
        for room in rooms:
            assert room.unread == recount[room.id], f"room {room.id}"
        total = connection.execute(sa.select(Channel.unread_total)).scalar()
        assert total == sum(room.unread for room in rooms if room.left_at is None)
        assert counts(kchat) == recount_listed(kchat), "the listed rooms by status"
        for room in rooms:
            state = RoomState(
                id=room.id,
                user_id=room.user_id,
                user_key="",
                nickname=None,
                friend=False,
                blocked_at=None,
                entered_at=None,
                block_permanent=False,
                unread=room.unread,
                status=room.status,
                completed_at=room.completed_at,
                last_message_at=room.last_message_at,
                last_user_at=room.last_user_at,
                last_admin_at=room.last_admin_at,
                legacy=room.legacy,
                left_at=room.left_at,
                starred=room.starred,
                assignee_id=room.assignee_id,
                seq=room.seq,
                read_seq=room.read_seq,
                opened_at=room.opened_at,
                waiting_since=room.waiting_since,
            )
            assert room.status == derive_status(state)
        notices = (
            connection.execute(sa.select(OutboxItem.room_id).where(OutboxItem.kind == "offhours"))
            .scalars()
            .all()
        )
        claims = connection.execute(
            sa.select(sa.func.count())
            .select_from(NoticeClaim)
            .where(NoticeClaim.kind == "offhours")
        ).scalar()
        assert len(notices) == len(set(notices)) == claims == USERS, "one notice each, once"
