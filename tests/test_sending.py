"""In a room: R-SEND-1 (text, images, files), R-SEND-2, R-SEND-3, R-COUPON-1 (and a coupon's
last valid day), R-ADDREQ-1."""

import hashlib
import json
import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import room_of

from kchat_cli import clock
from kchat_cli.domain.conversations.attachments import FILE_LIMIT, IMAGE_LIMIT
from kchat_cli.store.models import AttachmentChunk, Coupon

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
ELF = b"\x7fELF" + b"\x00" * 64


@pytest.fixture
def room(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-23 09:00"))
    return room_of(kchat, "u1")["id"]


def files_in(kchat) -> list:
    folder = kchat.home / "files"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def kept(kchat) -> dict[str, bytes]:
    """Every content the store keeps, in either place: the home folder and the chunks."""
    contents = {path.name: path.read_bytes() for path in files_in(kchat)}
    with kchat.engine.connect() as connection:
        rows = connection.execute(
            sa.select(AttachmentChunk.sha256, AttachmentChunk.data).order_by(
                AttachmentChunk.sha256, AttachmentChunk.seq
            )
        )
        for sha256, data in rows:
            contents[sha256] = contents.get(sha256, b"") + data
    return contents


@pytest.mark.parametrize(
    "name, content, mime",
    [
        ("receipt.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
    ],
)
@pytest.mark.parametrize("place", ["home", "database"])
def test_r_send_1_images_are_kept_content_addressed(
    kchat, room, tmp_path, name, content, mime, place
):
    image = tmp_path / name
    image.write_bytes(content)
    (message,) = kchat.json("send", room, "--image", image, env={"KCHAT_FILES": place})
    sha = hashlib.sha256(content).hexdigest()
    assert message["kind"] == "image"
    assert message["file"] == {"name": name, "size": len(content), "mime": mime, "sha256": sha}
    assert kept(kchat) == {sha: content}
    if place == "home":
        (stored,) = files_in(kchat)
        assert stored == kchat.home / "files" / sha[:2] / sha
        assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    else:
        assert files_in(kchat) == [], "the database keeps it: no copy in the home folder"
    kchat.json("send", room, "--image", image, env={"KCHAT_FILES": place})
    assert kept(kchat) == {sha: content}, "the same content is kept once"


def test_r_send_1_an_executable_sent_as_an_image_is_refused(kchat, room, tmp_path):
    fake = tmp_path / "cute.png"
    fake.write_bytes(ELF)
    result = kchat("send", room, "--image", fake, code=1)
    assert result.stderr == "error: cute.png is an executable, not an image\n"
    mislabelled = tmp_path / "photo.png"
    mislabelled.write_bytes(JPEG)
    assert (
        "its content says otherwise" in kchat("send", room, "--image", mislabelled, code=1).stderr
    )
    document = tmp_path / "doc.pdf"
    document.write_bytes(b"%PDF-1.7")
    assert "send it with --file" in kchat("send", room, "--image", document, code=1).stderr
    assert kept(kchat) == {} and kchat.json("outbox", "list") == []


def test_r_send_1_size_limits_refused_before_anything_is_stored(kchat, room, tmp_path):
    big_image = tmp_path / "huge.png"
    with big_image.open("wb") as handle:
        handle.write(PNG)
        handle.truncate(IMAGE_LIMIT + 1)
    result = kchat("send", room, "--image", big_image, code=1)
    assert result.stderr == "error: huge.png is 20.0 MiB; an image may be 20 MiB at most\n"
    big_file = tmp_path / "backup.zip"
    with big_file.open("wb") as handle:
        handle.truncate(FILE_LIMIT + 1)
    result = kchat("send", room, "--file", big_file, code=1)
    assert result.stderr == "error: backup.zip is 300.0 MiB; a file may be 300 MiB at most\n"
    assert kept(kchat) == {} and kchat.json("outbox", "list") == []


def test_r_send_1_files_of_any_type(kchat, room, tmp_path):
    document = tmp_path / "견적서.pdf"
    document.write_bytes(b"%PDF-1.7 ...")
    (message,) = kchat.json("send", room, "--file", document)
    assert (message["kind"], message["file"]["mime"]) == ("file", "application/pdf")
    (item,) = kchat.json("outbox", "list")
    assert item["kind"] == "file"


def test_send_exactly_one_thing(kchat, room, tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    assert kchat("send", room, "hi", "--image", image, code=2).stderr.startswith(
        "error: send one thing"
    )
    assert kchat("send", room, code=2).stderr.startswith("error: send one thing")


def test_r_send_2_the_admin_is_recorded_and_never_delivered(kchat, room):
    (message,) = kchat.json("send", room, "확인해 드릴게요")
    assert message["admin"] == "alice"
    kchat("jobs", "run", "deliver")
    delivered = (kchat.home / "outbox.jsonl").read_text(encoding="utf-8")
    assert "alice" not in delivered and "김앨리스" not in delivered
    assert json.loads(delivered)["text"] == "확인해 드릴게요"


def test_r_send_3_saved_replies(kchat, room):
    kchat("replies", "create", "배송", "주문 후 2~3일 안에 받아보실 수 있어요.")
    kchat("replies", "edit", "배송", "주문 후 1~2일 안에 받아보실 수 있어요.")
    assert [r["name"] for r in kchat.json("replies", "list")] == ["배송"]
    (message,) = kchat.json("send", room, "--reply", "배송")
    assert message["text"] == "주문 후 1~2일 안에 받아보실 수 있어요."
    assert kchat("send", room, "--reply", "환불", code=1).stderr == (
        "error: no saved reply '환불'; see kchat replies list\n"
    )
    assert kchat("replies", "create", "배송", "x", code=1).stderr.startswith("error: a saved reply")
    kchat("replies", "delete", "배송", "--yes")
    assert kchat.json("replies", "list") == []


def test_r_coupon_1_to_friends_only_and_never_expired(kchat, ev, room):
    coupon = kchat(
        "coupons", "create", "겨울 할인", "--benefit", "10% 할인", "--valid-until", "2099-12-31"
    ).stdout.strip()
    refused = kchat("send", room, "--coupon", coupon, code=1)
    assert refused.stderr == (
        "error: u1 is not a friend of the channel: coupons go to friends; "
        f"ask them to add the channel first: kchat rooms request-add {room}\n"
    )
    kchat.ingest(ev.friend("u1", "2026-11-23 09:05"))
    (message,) = kchat.json("send", room, "--coupon", coupon)
    assert message["kind"] == "coupon"
    assert message["text"] == "[쿠폰] 겨울 할인 · 10% 할인 · 2099-12-31까지"
    with kchat.engine.begin() as connection:
        connection.execute(
            sa.insert(Coupon),
            [
                {
                    "channel_id": 1,
                    "name": "지난 쿠폰",
                    "benefit": "5%",
                    "valid_until": clock.now() - timedelta(days=1),
                    "created_at": clock.now(),
                }
            ],
        )
        expired = connection.execute(sa.select(sa.func.max(Coupon.id))).scalar()
    assert "expired" in kchat("send", room, "--coupon", expired, code=1).stderr
    assert kchat("send", room, "--coupon", 999, code=1).stderr.startswith("error: no coupon 999")
    listed = {c["name"]: c["expired"] for c in kchat.json("coupons", "list")}
    assert listed == {"겨울 할인": False, "지난 쿠폰": True}


def test_r_coupon_1_cannot_be_created_expired(kchat):
    result = kchat(
        "coupons", "create", "x", "--benefit", "y", "--valid-until", "2020-01-01", code=2
    )
    assert result.stderr.startswith("error: the coupon would be expired already")


@pytest.fixture
def friend_room(kchat, ev):
    kchat.ingest(ev.friend("u1", "2026-11-23 09:00"), ev.says("u1", "2026-11-23 09:01"))
    return room_of(kchat, "u1")["id"]


def test_a_coupon_is_valid_through_its_last_day_and_shown_as_that_day(kchat, friend_room, pin):
    pin("2026-12-20 10:00")
    created = kchat(
        "coupons", "create", "겨울 할인", "--benefit", "10% 할인", "--valid-until", "2026-12-31"
    )
    coupon = created.stdout.strip()
    assert created.stderr == f"coupon {coupon} created, valid until 2026-12-31\n"
    (listed,) = kchat.json("coupons", "list")
    assert (listed["valid_until"], listed["expired"]) == ("2026-12-31", False)
    assert "2026-12-31" in kchat("coupons", "list").stdout
    assert "2027-01-01" not in kchat("coupons", "list").stdout

    pin("2026-12-31 23:59")
    (message,) = kchat.json("send", friend_room, "--coupon", coupon)
    assert message["text"] == "[쿠폰] 겨울 할인 · 10% 할인 · 2026-12-31까지"
    queued = [item for item in kchat.json("outbox", "list") if item["kind"] == "coupon"]
    assert [item["text"] for item in queued] == ["[쿠폰] 겨울 할인 · 10% 할인 · 2026-12-31까지"]
    assert kchat.json("coupons", "list")[0]["expired"] is False

    pin("2027-01-01 00:00")
    refused = kchat("send", friend_room, "--coupon", coupon, code=1)
    assert refused.stderr == (
        f"error: coupon {coupon} has expired: it was valid until 2026-12-31\n"
    )
    assert kchat.json("coupons", "list")[0]["expired"] is True


def test_a_coupon_valid_until_a_time_stops_at_that_time(kchat, pin):
    pin("2026-12-20 10:00")
    kchat("coupons", "create", "점심", "--benefit", "음료", "--valid-until", "2026-12-24T14:00")
    assert kchat.json("coupons", "list")[0]["valid_until"] == "2026-12-24 14:00"
    today = kchat("coupons", "create", "오늘만", "--benefit", "1+1", "--valid-until", "today")
    assert today.stderr.endswith("valid until 2026-12-20\n")


def test_r_addreq_1_add_request_to_non_friends_only(kchat, ev, room):
    (message,) = kchat.json("rooms", "request-add", room)
    assert message["kind"] == "add_request"
    assert [item["kind"] for item in kchat.json("outbox", "list")] == ["add_request"]
    kchat.ingest(ev.friend("u1", "2026-11-23 09:05"))
    result = kchat("rooms", "request-add", room, code=1)
    assert result.stderr.startswith("error: u1 is already a friend of the channel")


def test_r_done_1_any_admin_message_reopens_a_completed_room(kchat, room):
    kchat("rooms", "complete", room)
    kchat("rooms", "request-add", room)
    assert room_of(kchat, "u1")["status"] == "answered"
