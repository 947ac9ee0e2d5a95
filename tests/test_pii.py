"""Customer info: R-PII-1 (the plugin), R-PII-2 (once per request, destroyed after three
days), encryption at rest, and exports without personal data unless asked."""

import csv
import io
import json
import os
import stat
from pathlib import Path

import sqlalchemy as sa
from conftest import kst, room_of

from kchat_cli.store.engine import get_engine
from kchat_cli.store.models import Consent

PHONE = "010-9876-5432"


def consent(user: str, at: str, event_id: str = "consent-1") -> dict:
    return {
        "id": event_id,
        "type": "consent",
        "user": user,
        "ts": kst(at),
        "fields": {"name": "김민지", "phone": PHONE},
    }


def with_request(kchat, ev) -> int:
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("plugin", "register", "--biz-app", "helloshop", "--fields", "name,phone")
    kchat("customer-info", "request", room)
    return room


def test_r_pii_1_no_plugin_no_customer_info(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    assert kchat.json("plugin", "status")["status"] == "not registered"
    result = kchat("customer-info", "request", room, code=1)
    assert result.stderr.startswith(
        "error: customer info needs the personal-info plugin "
        "(개인정보이용) available for this channel; register it"
    )
    kchat("plugin", "register", "--biz-app", "helloshop", "--fields", "name,phone")
    status = kchat.json("plugin", "status")
    assert (status["status"], status["fields"]) == ("available", ["name", "phone"])


def test_r_pii_1_request_consent_and_show(kchat, ev):
    room = with_request(kchat, ev)
    (request,) = [item for item in kchat.json("outbox", "list") if item["kind"] == "info_request"]
    assert "이름" not in request["text"] and "name·phone" in request["text"]
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    shown = kchat.json("customer-info", "show", room)
    assert shown["fields"] == {"name": "김민지", "phone": PHONE}
    assert shown["destroy_at"] == kst("2026-11-23 10:05")
    audited = kchat("export", "audit", "-o", "jsonl").stdout
    assert '"action": "customer-info.show"' in audited and PHONE not in audited


def test_r_pii_2_collected_once_per_request(kchat, ev):
    room = with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    again = kchat.ingest(consent("u1", "2026-11-20 10:06", "consent-2"), code=3)
    assert "no open customer-info request" in again.stderr
    kchat("customer-info", "request", room)
    kchat.ingest(consent("u1", "2026-11-20 10:07", "consent-3"))
    with kchat.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Consent)).scalar() == 2


def test_r_pii_2_destroyed_three_days_after_consent(kchat, ev):
    room = with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    run = kchat.json("jobs", "run", "pii-purge", "--yes", "--as-of", kst("2026-11-23 10:04"))
    assert run["counts"] == {"destroyed": 0}
    run = kchat.json("jobs", "run", "pii-purge", "--yes", "--as-of", kst("2026-11-23 10:05"))
    assert run["counts"] == {"destroyed": 1}
    assert kchat("customer-info", "show", room, code=1).stderr.startswith(
        "error: no customer info for room"
    )


def test_r_pii_2_or_three_days_after_completion_when_that_comes_first(kchat, ev):
    room = with_request(kchat, ev)
    kchat("rooms", "complete", room)
    kchat.ingest(consent("u1", "2099-01-01 10:00"))
    completed = room_of(kchat, "u1")
    assert completed["status"] == "completed"
    shown = kchat.json("customer-info", "show", room)
    assert shown["destroy_at"] < kst("2099-01-04 10:00"), "completion came first"
    run = kchat.json("jobs", "run", "pii-purge", "--yes", "--as-of", kst("2099-01-02 00:00"))
    assert run["counts"] == {"destroyed": 1}


def test_pii_purge_dry_run(kchat, ev):
    with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    run = kchat.json(
        "jobs", "run", "pii-purge", "--yes", "--as-of", kst("2026-12-01 00:00"), "--dry-run"
    )
    assert run["counts"] == {"would_destroy": 1}
    with kchat.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Consent)).scalar() == 1


def test_encrypted_at_rest_and_gone_from_the_file_after_purge(sqlite_kchat, ev):
    kchat = sqlite_kchat
    with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    database = Path(kchat.url.removeprefix("sqlite:///"))

    def stored() -> bytes:
        return b"".join(
            path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists()
        )

    with kchat.engine.connect() as connection:
        token = connection.execute(sa.select(Consent.data)).scalar()
    assert PHONE.encode() not in stored() and "김민지".encode() not in stored(), "sealed"
    assert token.encode() in stored(), "the sealed record is there before the purge"
    assert stat.S_IMODE(os.stat(kchat.home / "secret.key").st_mode) == 0o600
    kchat("jobs", "run", "pii-purge", "--yes", "--as-of", kst("2026-11-23 10:05"))
    get_engine(kchat.url).dispose()
    assert token.encode() not in stored()
    assert PHONE.encode() not in stored()


def test_the_key_comes_from_kchat_secret_key(kchat, ev):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    kchat.env["KCHAT_SECRET_KEY"] = key
    room = with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    assert not (kchat.home / "secret.key").exists()
    assert kchat.json("customer-info", "show", room)["fields"]["phone"] == PHONE
    kchat.env["KCHAT_SECRET_KEY"] = Fernet.generate_key().decode()
    result = kchat("customer-info", "show", room, code=1)
    assert result.stderr.startswith("error: the secret key here (key id ")
    assert "is not the one the store's data is sealed with" in result.stderr


def test_an_export_without_include_pii_holds_no_personal_data(kchat, ev, tmp_path):
    """R-EXPORT-1: exports hold no personal data unless --include-pii asks for it."""
    room = with_request(kchat, ev)
    kchat.ingest(consent("u1", "2026-11-20 10:05"))
    for what in ("rooms", "messages", "audit"):
        exported = kchat("export", what, "-o", "jsonl").stdout
        assert PHONE not in exported and "김민지" not in exported
    target = tmp_path / "rooms.csv"
    kchat("export", "rooms", "--include-pii", "--out", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    (row,) = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert json.loads(row["customer_info"]) == {"name": "김민지", "phone": PHONE}
    assert int(row["id"]) == room
    audited = [
        json.loads(line) for line in kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    ]
    (entry,) = [e for e in audited if e["action"] == "export.rooms" and e["details"]["include_pii"]]
    assert entry["admin"] == "alice"


def test_exports_take_the_room_filters(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="VIP 문의"),
        ev.says("u2", "2026-11-20 10:01", text="일반 문의"),
    )
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", room_of(kchat, "u1")["id"], "--add", "VIP")
    rooms = [
        json.loads(line)
        for line in kchat("export", "rooms", "--label", "VIP", "-o", "jsonl").stdout.splitlines()
    ]
    assert [room["user"] for room in rooms] == ["u1"]
    messages = list(
        csv.DictReader(io.StringIO(kchat("export", "messages", "--label", "VIP").stdout))
    )
    assert [m["text"] for m in messages] == ["VIP 문의"]
    everything = kchat("export", "rooms", "-o", "jsonl").stdout.splitlines()
    assert len(everything) == 2, "exports take every room by default"
