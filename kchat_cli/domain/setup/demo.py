"""A demo channel: about 200 realistic Korean rooms in every status, built deterministically
through the same ingest path and room actions that real data takes."""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa

from kchat_cli.domain.access import admins
from kchat_cli.domain.actor import Actor, Home
from kchat_cli.domain.conversations import ingest, labels, replies, room_actions
from kchat_cli.domain.conversations.bulk import RoomAction, apply_to_rooms
from kchat_cli.domain.setup import store
from kchat_cli.errors import Refused
from kchat_cli.lines import numbered
from kchat_cli.store.batches import Batches
from kchat_cli.store.models import Room, User
from kchat_cli.store.opening import ChannelRef, some

SEED = 20181001
DEMO_ADMINS = (("minji", "박민지"), ("junho", "이준호"))
DEMO_LABELS = ("VIP", "단골", "재구매고객")
# Saved replies (name, text), for `send --reply` and the console's /reply with Tab.
DEMO_SAVED_REPLIES = (
    ("인사", "안녕하세요 고객님, 확인 후 바로 안내드리겠습니다."),
    ("영업시간", "네, 오늘 오전 10시부터 오후 9시까지 영업합니다."),
    ("주차", "건물 지하 주차장 2시간 무료입니다."),
    ("교환안내", "교환은 수령 후 7일 이내에 가능합니다."),
    ("환불안내", "불편을 드려 죄송합니다. 환불 접수 도와드릴게요."),
)
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = (
    "민준",
    "서연",
    "도윤",
    "하은",
    "시우",
    "지유",
    "예준",
    "수아",
    "주원",
    "지아",
    "하준",
    "서윤",
    "지호",
    "채원",
    "건우",
    "다은",
    "우진",
    "소율",
    "현우",
    "예린",
)
QUESTIONS = (
    "안녕하세요, 주문한 상품 배송이 언제 되나요?",
    "환불 문의드려요. 사이즈가 맞지 않아서요.",
    "교환 신청은 어떻게 하나요?",
    "오늘 영업하시나요?",
    "주차 가능한가요?",
    "예약 변경하고 싶어요.",
    "쿠폰이 적용이 안 돼요.",
    "재입고 일정이 궁금합니다.",
    "단체 주문 가능할까요? 30개 정도요.",
    "영수증 재발행 부탁드립니다.",
    "포장 가능한가요?",
    "결제가 두 번 된 것 같아요 ㅠㅠ",
)
FOLLOW_UPS = (
    "네 감사합니다!",
    "혹시 오늘 안에 가능할까요?",
    "주문번호는 20231105-118 입니다.",
    "확인 부탁드려요.",
    "알겠습니다 :)",
    "사진 보내드릴게요.",
)
REPLIES = (
    "안녕하세요 고객님, 확인 후 바로 안내드리겠습니다.",
    "불편을 드려 죄송합니다. 환불 접수 도와드릴게요.",
    "네, 오늘 오전 10시부터 오후 9시까지 영업합니다.",
    "건물 지하 주차장 2시간 무료입니다.",
    "교환은 수령 후 7일 이내에 가능합니다.",
    "재입고는 다음 주 수요일 예정입니다.",
    "주문번호 알려주시면 확인해 드릴게요.",
)


@dataclass(frozen=True)
class DemoPlan:
    """What each demo room should end as, decided by the seed alone."""

    user: str
    nickname: str
    friend: bool
    legacy: bool
    ending: str  # unread | read | answered | completed


def plan(count: int, rng: random.Random) -> list[DemoPlan]:
    endings = ("unread", "read", "answered", "completed")
    return [
        DemoPlan(
            user=f"demo-user-{index:03d}",
            nickname=rng.choice(FAMILY) + rng.choice(GIVEN),
            friend=rng.random() < 0.6,
            legacy=index % 25 == 7,
            ending=endings[index % 4] if index % 5 else rng.choice(endings),
        )
        for index in range(1, count + 1)
    ]


def events(plans: list[DemoPlan], anchor: datetime, rng: random.Random) -> Iterator[str]:
    """Inbound events for the plans: opens, friendships, conversations over 30 days."""
    for number, room in enumerate(plans, start=1):
        start = anchor - timedelta(days=rng.randint(0, 29), minutes=rng.randint(600, 1400))
        ids = (f"demo-{number:03d}-{step:02d}" for step in range(100))
        base = {"user": room.user}
        if room.legacy:
            base["legacy"] = True
        yield _line(ids, "open", start, base, nickname=room.nickname)
        if room.friend:
            yield _line(ids, "friend_add", start + timedelta(seconds=30), base)
        ts = start + timedelta(minutes=1)
        yield _line(ids, "message", ts, base, text=rng.choice(QUESTIONS))
        for _ in range(rng.randint(0, 3)):
            ts += timedelta(minutes=rng.randint(2, 90))
            yield _line(
                ids,
                "message",
                ts,
                base,
                **{"from": "admin", "admin": "minji", "text": rng.choice(REPLIES)},
            )
            ts += timedelta(minutes=rng.randint(1, 60))
            yield _line(ids, "message", ts, base, text=rng.choice(FOLLOW_UPS))
        if room.ending in ("answered", "completed"):
            ts += timedelta(minutes=rng.randint(2, 60))
            yield _line(
                ids,
                "message",
                ts,
                base,
                **{
                    "from": "admin",
                    "admin": rng.choice(DEMO_ADMINS)[0],
                    "text": rng.choice(REPLIES),
                },
            )


def _line(ids: Iterator[str], kind: str, ts: datetime, base: dict, **fields) -> str:
    event = {"id": next(ids), "type": kind, **base, "ts": ts.isoformat(), **fields}
    return json.dumps(event, ensure_ascii=False)


def prepare(url: str, name: str, *, owner: str, now: datetime) -> None:
    """The demo's store and channel. A store holding any other channel is refused: a team's
    store never gets a made-up channel."""
    others = store.channels_besides(url, name)
    if others:
        raise Refused(
            f"the demo builds only in a store of its own; this one holds {some(others)}",
            "point KCHAT_HOME or --db at a new store, e.g. KCHAT_HOME=$(mktemp -d) kchat demo",
        )
    store.initialise(url, name, owner=owner, owner_name="김사장", now=now)


def build(
    batches: Batches,
    channel: ChannelRef,
    *,
    count: int,
    anchor: datetime,
    now: datetime,
    home: Home,
    seal,
    on_batch=lambda report: None,
) -> dict:
    """Fill the channel with demo rooms, as the system; running it again changes nothing.
    `on_batch` is told of each batch of events applied."""
    channel_id = channel.id
    rng = random.Random(SEED)
    plans = plan(count, rng)
    batches.write(lambda session: _ensure_admins(session, channel_id, now))
    refused: list[str] = []
    report = ingest.ingest(
        batches,
        channel_id,
        numbered(events(plans, anchor, rng)),
        on_refused=lambda line, raw, reason: refused.append(reason),
        seal=seal,
        now=lambda: now,
        on_batch=on_batch,
    )
    if report.applied:
        with batches.read() as session:
            ids = _room_ids(session, channel_id)
        system = partial(Actor, channel=channel, now=now, home=home)
        _arrange(batches, system, [str(ids[p.user]) for p in plans], plans, anchor)
    return {"rooms": count, **report.record()}


def _arrange(
    batches: Batches, system, ids: list[str], plans: list[DemoPlan], anchor: datetime
) -> None:
    """What admins would have done: read, completed, labelled, assigned, starred, blocked
    and left rooms, each chosen by its place in the plan. `system(db=session)` is the
    actor doing it."""

    def every(step: int, offset: int = 0) -> list[str]:
        return [room for index, room in enumerate(ids) if index % step == offset]

    def ending(name: str) -> list[str]:
        return [room for room, p in zip(ids, plans, strict=True) if p.ending == name]

    def each(rooms: list[str], action: RoomAction) -> None:
        apply_to_rooms(batches, rooms, action, actor_of=lambda session: system(db=session))

    def once(work, *args) -> None:
        batches.write(lambda session: work(system(db=session), *args))

    each(ending("read"), room_actions.Read())
    _complete_after_talking(batches, system, ending("completed"), anchor)
    for name in DEMO_LABELS:
        once(labels.create, name)
    for name, text in DEMO_SAVED_REPLIES:
        once(replies.create, name, text)
    for name, step, offset in zip(DEMO_LABELS, (7, 5, 9), (0, 1, 2), strict=True):
        each(every(step, offset), labels.LabelChange([name], []))
    for offset, (login, _) in enumerate(DEMO_ADMINS):
        each(every(3, offset), room_actions.Assign(login))
    each(every(11, 3), room_actions.Star(True))
    for room in ids[-4:-2]:
        once(room_actions.block, int(room))
    each(ids[-2:], room_actions.Leave(confirmed=False))


def _complete_after_talking(batches: Batches, system, rooms: list[str], anchor: datetime) -> None:
    """Each room completed a while after its last message, as an admin would: within the
    hour mostly, some hours later or the next day at times, never after the demo's end."""
    rng = random.Random(SEED + 1)
    with batches.read() as session:
        query = sa.select(Room.id, Room.last_message_at).where(Room.id.in_(map(int, rooms)))
        last = dict(session.execute(query).all())
    for room in rooms:
        low, high = rng.choices(((3, 60), (60, 360), (720, 1800)), weights=(6, 3, 1))[0]
        at = min(last[int(room)] + timedelta(minutes=rng.randint(low, high)), anchor)
        apply_to_rooms(
            batches,
            [room],
            room_actions.Complete(),
            actor_of=lambda session, at=at: system(db=session, now=at),
        )


def _ensure_admins(session, channel_id: int, now: datetime) -> None:
    existing = admins.admin_ids_by_login(session, channel_id, [a for a, _ in DEMO_ADMINS])
    for login, name in DEMO_ADMINS:
        if login not in existing:
            admins.enroll(session, channel_id, login, name=name, now=now)


def _room_ids(session, channel_id: int) -> dict[str, int]:
    query = (
        sa.select(User.key, Room.id)
        .join(Room, Room.user_id == User.id)
        .where(User.channel_id == channel_id, User.key.like("demo-user-%"))
    )
    return dict(session.execute(query).all())
