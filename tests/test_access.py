"""Additional verification (R-AUTH-1…4), where a verification code waits and hints that keep
the global options typed; and the audit log."""

import json
import os
import re
import shlex
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import audit_entries, room_of, verify

from kchat_cli import clock
from kchat_cli.domain.access import auth, gate
from kchat_cli.domain.actor import Actor, Home
from kchat_cli.store.models import Admin, AuthCode, OutboxItem
from kchat_cli.store.opening import find_channel
from kchat_cli.store.session import run_write

# bob is named with --as: the hint repeats it, so that the command it names acts as bob.
NEEDED = "error: additional verification needed; run kchat --as bob auth send-code\n"


@pytest.fixture
def bob(kchat, ev):
    """A new admin: additional verification is ON for them (R-AUTH-1)."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    kchat("admins", "add", "bob", "--name", "박보검", "--phone", "010-1111-2222")
    return kchat


def as_bob(kchat, *args, **kwargs):
    return kchat("--as", "bob", *args, **kwargs)


@pytest.mark.parametrize(
    "command",
    [
        ("rooms", "list"),
        ("send", "1", "hi"),
        ("users", "blocked"),
        ("labels", "list"),
        ("replies", "list"),
        ("groups", "list"),
        ("coupons", "list"),
        ("settings", "show"),
        ("export", "messages"),
        ("customer-info", "show", "1"),
        ("outbox", "list"),
        ("comments", "list"),
    ],
)
def test_r_auth_1_chat_data_needs_verification(bob, command):
    assert as_bob(bob, *command, code=1).stderr == NEEDED


def test_r_auth_1_counts_and_jobs_need_none(bob):
    assert as_bob(bob, "unread").stdout.strip() == "1"
    assert as_bob(bob, "status", "-o", "json").exit_code == 0
    assert as_bob(bob, "jobs", "run", "retention").exit_code == 0, "R-AUTH-4: the system"


def test_r_auth_1_verify_with_the_delivered_code_opens_a_session(bob):
    """R-AUTH-1, R-AUTH-2: the delivered 6-digit code opens a session of 12 hours."""
    code = verify(bob, "bob")
    assert re.fullmatch(r"\d{6}", code)
    listed = json.loads(as_bob(bob, "rooms", "list", "-o", "json").stdout)
    assert [room["user"] for room in listed] == ["u1"]
    session_file = bob.home / "sessions" / "1-2"
    assert stat.S_IMODE(os.stat(session_file).st_mode) == 0o600
    status = json.loads(as_bob(bob, "auth", "status", "-o", "json").stdout)
    assert status["verified"] is True
    until = clock.parse_instant(status["session_until"])
    assert timedelta(hours=11, minutes=59) < until - clock.now() <= timedelta(hours=12)


def test_r_auth_2_the_code_goes_to_its_admin_alone_masked_and_sealed(bob):
    """R-AUTH-2: a code is kept only hashed, and goes to its admin alone."""
    as_bob(bob, "auth", "send-code", "--via", "sms")
    (item,) = bob.json("outbox", "list")
    assert (item["kind"], item["text"], item["user"]) == ("code", "●●●●●●", None), (
        "alice sees it masked"
    )
    with bob.engine.connect() as connection:
        stored = connection.execute(sa.select(AuthCode.code_hash)).scalar()
        sealed = connection.execute(sa.select(OutboxItem.sealed_text)).scalar()
    inbox = bob.home / "inbox.jsonl"
    bob("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    (payload,) = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    (code,) = re.findall(r"\d{6}", payload["text"])
    assert payload["to"] == {"admin": "bob", "via": "sms", "phone": "010-1111-2222"}
    assert "박보검" not in json.dumps(payload, ensure_ascii=False)
    assert code not in stored and code not in sealed, "a hash, and a sealed copy"
    with bob.engine.connect() as connection:
        assert connection.execute(sa.select(OutboxItem.sealed_text)).scalar() is None, (
            "wiped once sent"
        )
    assert bob.json("outbox", "list")[0]["text"] == "●●●●●●"


def test_r_auth_2_five_wrong_tries_kill_the_code(bob):
    """R-AUTH-2: a code dies after 5 wrong tries."""
    code = None
    as_bob(bob, "auth", "send-code")
    inbox = bob.home / "inbox.jsonl"
    bob("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    (code,) = re.findall(r"\d{6}", json.loads(inbox.read_text(encoding="utf-8"))["text"])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        result = as_bob(bob, "auth", "verify", wrong, code=1)
        assert (
            result.stderr == f"error: wrong code; {left} {'try' if left == 1 else 'tries'} left\n"
        )
    result = as_bob(bob, "auth", "verify", wrong, code=1)
    assert result.stderr.startswith("error: wrong code, 5 times: this code is dead")
    result = as_bob(bob, "auth", "verify", code, code=1)
    assert result.stderr == "error: no code is waiting; run kchat --as bob auth send-code\n"
    assert as_bob(bob, "rooms", "list", code=1).stderr == NEEDED


def test_r_auth_2_an_expired_code_fails(bob):
    """R-AUTH-2: a code dies when its lifetime is over."""
    as_bob(bob, "auth", "send-code")
    inbox = bob.home / "inbox.jsonl"
    bob("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    (code,) = re.findall(r"\d{6}", json.loads(inbox.read_text(encoding="utf-8"))["text"])
    channel = find_channel(bob.engine, None)

    def later(session):
        admin = session.scalar(
            sa.select(Admin).where(Admin.login == "bob", Admin.channel_id == channel.id)
        )
        actor = Actor(
            session, channel, clock.now() + auth.CODE_LIFETIME, Home(bob.home), lambda: admin
        )
        return auth.verify(actor, code)

    outcome = run_write(bob.engine, later)
    assert outcome.path is None and "expired" in str(outcome.refusal)
    assert as_bob(bob, "auth", "verify", code, code=1).stderr.startswith(
        "error: no code is waiting"
    )


def test_r_auth_2_a_code_is_used_once_and_sessions_end(bob):
    """R-AUTH-2: a code is used once, and `auth logout` ends the session."""
    code = verify(bob, "bob")
    assert as_bob(bob, "auth", "verify", code, code=1).stderr.startswith(
        "error: no code is waiting"
    )
    assert "logged out" in as_bob(bob, "auth", "logout").stderr
    assert as_bob(bob, "rooms", "list", code=1).stderr == NEEDED


def test_r_auth_2_sessions_last_twelve_hours(bob):
    """R-AUTH-2: a session lasts 12 hours."""
    verify(bob, "bob")
    with bob.engine.connect() as connection:
        admin_id = connection.execute(sa.select(Admin.id).where(Admin.login == "bob")).scalar()
    token = (bob.home / "sessions" / "1-2").read_text()
    from kchat_cli.store.session import read_session

    with read_session(bob.engine) as session:
        admin = session.get(Admin, admin_id)
        assert gate.active_session(session, admin, token, clock.now()) is not None
        later = clock.now() + auth.SESSION_LIFETIME + timedelta(minutes=1)
        assert gate.active_session(session, admin, token, later) is None


def test_a_session_file_with_loose_permissions_is_refused(bob):
    verify(bob, "bob")
    session_file = bob.home / "sessions" / "1-2"
    session_file.chmod(0o644)
    result = as_bob(bob, "rooms", "list", code=1)
    assert result.stderr.startswith(
        f"error: the session file {session_file} can be read by others; "
        "run kchat --as bob auth logout"
    )


def test_r_auth_3_turning_it_off_needs_a_verified_session(bob):
    """R-AUTH-3: an admin turns their own verification off from a verified session only."""
    result = as_bob(bob, "account", "additional-auth", "off", code=1)
    assert result.stderr.startswith(
        "error: turning additional verification off needs a verified session"
    )
    verify(bob, "bob")
    as_bob(bob, "account", "additional-auth", "off")
    as_bob(bob, "auth", "logout")
    assert as_bob(bob, "rooms", "list").exit_code == 0, "off: no session needed"
    as_bob(bob, "account", "additional-auth", "on")
    assert as_bob(bob, "rooms", "list", code=1).stderr == NEEDED


def test_sms_needs_a_phone(kchat):
    kchat("admins", "add", "carol", "--name", "최캐롤")
    result = kchat("--as", "carol", "auth", "send-code", "--via", "sms", code=1)
    assert result.stderr.startswith("error: admin 'carol' has no phone number for SMS")


def test_notifications_setting(kchat):
    kchat("account", "notifications", "off")
    assert kchat.json("admins", "list")[0]["notifications"] is False


# auth send-code, and hints that keep the global options typed


@pytest.fixture
def plain_bob(kchat):
    """bob, a second admin (verification on), with no phone and no room in the channel."""
    kchat("admins", "add", "bob", "--name", "박보검")
    return kchat


def test_send_code_says_the_code_waits_in_the_outbox_and_keeps_as(plain_bob):
    sent = plain_bob("--as", "bob", "auth", "send-code")
    assert sent.stderr == (
        "your code waits in the outbox, to go by kakao: it leaves with the next "
        "`kchat --as bob jobs run deliver`, as no scheduler runs for this store\n"
        "when it arrives: kchat --as bob auth verify CODE\n"
    )
    assert "on its way" not in sent.stderr
    (item,) = plain_bob.json("outbox", "list")
    assert (item["kind"], item["status"]) == ("code", "pending")


def test_send_code_without_options_names_plain_commands(plain_bob):
    sent = plain_bob("auth", "send-code", env={"KCHAT_ADMIN": "bob"})
    assert sent.stderr.splitlines()[-1] == "when it arrives: kchat auth verify CODE"


def test_error_hints_carry_the_global_options_typed(plain_bob):
    gated = plain_bob("--as", "bob", "rooms", "list", code=1)
    assert gated.stderr == (
        "error: additional verification needed; run kchat --as bob auth send-code\n"
    )
    from_env = plain_bob("rooms", "list", code=1, env={"KCHAT_ADMIN": "bob"})
    assert from_env.stderr == "error: additional verification needed; run kchat auth send-code\n"
    typed = plain_bob("--db", plain_bob.url, "--as", "bob", "auth", "verify", "123456", code=1)
    assert typed.stderr == (
        f"error: no code is waiting; run kchat --db {shlex.quote(plain_bob.url)} --as bob "
        "auth send-code\n"
    )


# The audit log


def test_every_admin_write_is_audited_with_who_what_and_which(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", room, "--add", "VIP")
    kchat("send", room, "안녕하세요")
    kchat("settings", "chat", "off")
    entries = audit_entries(kchat)
    actions = [(e["admin"], e["action"], e["target"]) for e in entries]
    assert ("alice", "labels.create", "label VIP") in actions
    assert ("alice", "rooms.label", "1 room") in actions
    assert ("alice", "send", f"room {room}") in actions
    assert ("alice", "settings", "chat is off") in actions
    labelled = next(e for e in entries if e["action"] == "rooms.label")
    assert labelled["details"] == {"rooms": [room]}
    assert all(e["at"].endswith("+09:00") for e in entries)


def test_a_refused_write_leaves_no_audit_entry(kchat):
    kchat("labels", "create", "VIP")
    kchat("labels", "create", "VIP", code=1)
    created = [e for e in audit_entries(kchat) if e["action"] == "labels.create"]
    assert len(created) == 1, "the entry is in the transaction that was rolled back"


def test_audit_export_is_private_and_itself_audited(kchat, tmp_path):
    target = tmp_path / "audit.csv"
    kchat("export", "audit", "--out", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert "export.audit" in [e["action"] for e in audit_entries(kchat)]
