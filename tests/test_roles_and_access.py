"""R-ROLE-1, R-AUTH-1, R-AUTH-5: roles that mean something, every command behind
verification unless declared open, verification that resists grinding, and destructive jobs
that are confirmed, recorded and audited."""

import hashlib
import json
import os
import re
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import kst, room_of, verify
from typer.main import get_command

from kchat_cli import clock
from kchat_cli.app import app
from kchat_cli.domain.access import auth
from kchat_cli.runtime import OPEN, is_open
from kchat_cli.store.models import AuditEntry, AuthCode, AuthFailure, AuthSession, JobRun

# bob is named with --as: the hint repeats it, so that the command it names acts as bob.
NEEDED = "error: additional verification needed; run kchat --as bob auth send-code\n"


@pytest.fixture
def team(kchat, ev):
    """alice owns the channel (verification off, as test setup); bob is a manager with
    verification ON, as every new admin."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    kchat("admins", "add", "bob", "--name", "박보검", "--phone", "010-1111-2222")
    return kchat


def as_bob(kchat, *args, **kwargs):
    return kchat("--as", "bob", *args, **kwargs)


def command_paths(command=None, prefix=()) -> list[str]:
    """Every command kchat registers, as the path a user types (`settings hours set`)."""
    command = command or get_command(app)
    if not hasattr(command, "list_commands"):
        return [" ".join(prefix)]
    paths = []
    for name in command.list_commands(None):
        paths += command_paths(command.get_command(None, name), (*prefix, name))
    return paths


# Arguments that get each gated command as far as the store; a command added to kchat must
# be added here, and is gated unless it is declared open.
GATED_SAMPLES = {
    "rooms list": [],
    "files check": [],
    "rooms show": ["1"],
    "rooms read": ["1"],
    "rooms complete": ["1"],
    "rooms reopen": ["1"],
    "rooms star": ["1"],
    "rooms unstar": ["1"],
    "rooms assign": ["1", "--clear"],
    "rooms label": ["1", "--add", "VIP"],
    "rooms leave": ["1", "--yes"],
    "rooms rename": ["1", "x"],
    "rooms memo": ["1", "x"],
    "rooms request-add": ["1"],
    "rooms to-group": ["1", "--group", "g"],
    "rooms hold": ["1"],
    "rooms unhold": ["1"],
    "send": ["1", "hi"],
    "outbox list": [],
    "export rooms": [],
    "export messages": [],
    "export audit": [],
    "admins list": [],
    "admins add": ["eve", "--name", "이브"],
    "admins remove": ["alice", "--yes"],
    "admins set-role": ["eve", "owner"],
    "settings show": [],
    "settings chat": ["off"],
    "settings hours set": ["mon", "09:00-18:00"],
    "settings hours add": ["mon", "09:00-18:00"],
    "settings hours clear": ["mon"],
    "settings holidays add": ["2026-12-25"],
    "settings holidays remove": ["2026-12-25"],
    "settings holidays list": [],
    "settings offhours-message default": [],
    "settings offhours-message set": ["닫혔어요 {hours}"],
    "settings guide-message on": [],
    "settings guide-message off": [],
    "settings guide-message set": ["안내"],
    "users block": ["1"],
    "users unblock": ["1"],
    "users blocked": [],
    "labels list": [],
    "labels create": ["VIP"],
    "labels rename": ["VIP", "VVIP"],
    "labels delete": ["VIP", "--yes"],
    "replies list": [],
    "replies create": ["hi", "안녕하세요"],
    "replies edit": ["hi", "네"],
    "replies delete": ["hi", "--yes"],
    "coupons list": [],
    "coupons create": ["c", "--benefit", "b", "--valid-until", "2099-01-01"],
    "coupons delete": ["1", "--yes"],
    "groups list": [],
    "groups create": ["g"],
    "groups delete": ["g", "--yes"],
    "groups members": ["g"],
    "groups message": ["g", "hi"],
    "comments list": [],
    "account notifications": ["off"],
    "plugin register": ["--biz-app", "shop", "--fields", "name"],
    "plugin status": [],
    "customer-info request": ["1"],
    "customer-info show": ["1"],
    "search": ["문의"],
    "watch": ["--count", "1"],
    "chat": ["1"],
    "report": [],
}


def test_r_auth_1_every_command_is_gated_unless_declared_open():
    paths = set(command_paths())
    names = {" ".join(path.split()[:length]) for path in paths for length in (1, 2, 3)}
    assert names >= OPEN, f"declared open but not a command or group: {OPEN - names}"
    assert {path for path in paths if not is_open(path)} == set(GATED_SAMPLES), (
        "a command is gated by default: give it sample arguments here, or declare it open"
    )


@pytest.mark.parametrize("path", sorted(GATED_SAMPLES))
def test_r_auth_1_a_gated_command_refuses_an_unverified_admin(team, path):
    result = as_bob(team, *path.split(), *GATED_SAMPLES[path], code=1)
    assert result.stderr == NEEDED
    assert result.stdout == ""


def test_r_role_1_a_manager_cannot_manage_admins_or_the_plugin(team):
    verify(team, "bob")
    for args in (
        ("admins", "add", "eve", "--name", "이브", "--role", "owner"),
        ("admins", "remove", "alice", "--yes"),
        ("admins", "set-role", "bob", "owner"),
        ("plugin", "register", "--biz-app", "shop", "--fields", "name"),
    ):
        result = as_bob(team, *args, code=1)
        assert "only an owner can" in result.stderr and "'bob' is a manager" in result.stderr
    assert {a["login"]: a["role"] for a in team.json("admins", "list")} == {
        "alice": "owner",
        "bob": "manager",
    }


def test_r_role_1_the_last_owner_can_be_neither_removed_nor_demoted(team):
    result = team("admins", "remove", "alice", "--yes", code=1)
    assert result.stderr.startswith("error: 'alice' is the channel's last owner")
    result = team("admins", "set-role", "alice", "manager", code=1)
    assert "last owner and cannot be made a manager" in result.stderr
    team("admins", "set-role", "bob", "owner")
    team("admins", "set-role", "alice", "manager")
    roles = {admin["login"]: admin["role"] for admin in team.json("admins", "list")}
    assert roles == {"alice": "manager", "bob": "owner"}


def test_r_auth_5_removing_an_admin_ends_their_sessions(team):
    verify(team, "bob")
    as_bob(team, "rooms", "list")
    team("admins", "remove", "bob", "--yes")
    team("admins", "add", "bob", "--name", "박보검")
    assert as_bob(team, "rooms", "list", code=1).stderr == NEEDED, "no session from before"
    with team.engine.connect() as connection:
        ended = connection.execute(sa.select(AuthSession.ended_at)).scalars().all()
    assert ended and all(ended)


def test_r_auth_5_at_most_five_codes_an_hour(team):
    for _ in range(5):
        as_bob(team, "auth", "send-code")
    result = as_bob(team, "auth", "send-code", code=1)
    assert re.fullmatch(
        r"error: 5 codes were sent to 'bob' within an hour; try again in "
        r"(60|59) minutes\n",
        result.stderr,
    )
    with team.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(AuthCode)).scalar() == 5
    inbox = team.home / "inbox.jsonl"
    team("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    assert len(inbox.read_text(encoding="utf-8").splitlines()) == 1, "only the live code goes"


def test_r_auth_5_ten_wrong_tries_an_hour_pause_verification(team):
    tries = 0
    for _ in range(3):
        as_bob(team, "auth", "send-code")
        for _ in range(4 if tries < 8 else 2):
            as_bob(team, "auth", "verify", "000000", code=1)
            tries += 1
    assert tries == 10
    code = verify_code_of(team)
    result = as_bob(team, "auth", "verify", code, code=1)
    assert result.stderr.startswith(
        "error: 10 wrong codes within an hour: verification is paused; try again in "
    )
    assert as_bob(team, "auth", "send-code", code=1).stderr.startswith("error: 10 wrong codes")
    with team.engine.begin() as connection:
        connection.execute(sa.update(AuthFailure).values(at=clock.now() - timedelta(hours=2)))
    assert as_bob(team, "auth", "verify", code).exit_code == 0, "an hour later it goes on"


def verify_code_of(kchat) -> str:
    """The code in bob's newest delivered message (the deliver job sends it)."""
    inbox = kchat.home / "inbox.jsonl"
    kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    codes = [json.loads(line)["text"] for line in inbox.read_text(encoding="utf-8").splitlines()]
    return re.findall(r"\d{6}", codes[-1])[0]


@pytest.mark.parametrize("typed", ["abcdef", "12345", "1234567", "１２３４５６", " 123456"])
def test_r_auth_5_a_code_that_is_not_six_digits_costs_no_try(team, typed):
    as_bob(team, "auth", "send-code")
    result = as_bob(team, "auth", "verify", typed, code=2)
    assert result.stderr.startswith("error: a code is six digits")
    with team.engine.connect() as connection:
        assert connection.execute(sa.select(AuthCode.attempts)).scalar() == 0


def test_r_auth_5_the_store_alone_does_not_yield_the_code(team):
    """A salted SHA-256 of six digits falls in a second to anyone who reads the store; the
    keyed hash needs the key too."""
    as_bob(team, "auth", "send-code")
    code = verify_code_of(team)
    with team.engine.connect() as connection:
        stored = connection.execute(sa.select(AuthCode.code_hash)).scalar()
    nonce, _, digest = stored.partition("$")
    assert code not in stored
    unkeyed = {
        hashlib.sha256(f"{nonce}:{guess}".encode()).hexdigest()
        for guess in (code, f"{nonce}{code}")
    }
    assert digest not in unkeyed
    as_bob(team, "auth", "verify", code)


def test_r_auth_5_a_session_belongs_to_the_os_user_who_verified(team):
    verify(team, "bob")
    as_bob(team, "rooms", "list")
    with team.engine.begin() as connection:
        connection.execute(sa.update(AuthSession).values(os_user="1001@elsewhere"))
    assert as_bob(team, "rooms", "list", code=1).stderr == NEEDED


def test_r_auth_5_a_session_file_of_another_user_is_refused(team, monkeypatch):
    verify(team, "bob")
    path = team.home / "sessions" / "1-2"
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
    else:  # no other user to give it to: be another user instead
        me = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: me + 1)
    result = as_bob(team, "rooms", "list", code=1)
    assert result.stderr.startswith(f"error: the session file {path} belongs to another user")


def test_r_auth_5_a_login_cannot_name_a_path(team, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    result = team("admins", "add", f"x/../../../../{victim}", "--name", "x", code=2)
    assert result.stderr.startswith("error: not a login")
    verify(team, "bob")
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in (team.home / "sessions").iterdir()) == ["1-2"]
    assert stat.S_IMODE(os.stat(team.home / "sessions").st_mode) == 0o700


def test_r_auth_1_admins_and_plugin_are_gated(team):
    for args in (
        ("admins", "list"),
        ("admins", "add", "eve", "--name", "이브"),
        ("plugin", "status"),
    ):
        assert as_bob(team, *args, code=1).stderr == NEEDED


@pytest.mark.parametrize("job", ["retention", "pii-purge"])
def test_a_destructive_job_ahead_of_now_needs_yes(team, job):
    ahead = kst("2099-01-01 00:00")
    result = team("jobs", "run", job, "--as-of", ahead, code=1)
    assert result.stderr.startswith(
        f"error: {job} as of 2099-01-01T00:00:00+09:00, ahead of "
        "now, would delete what has not yet expired"
    )
    assert team.json("jobs", "history") == []
    assert room_of(team, "u1")["last_message_at"] is not None, "nothing deleted"
    team("jobs", "run", job, "--as-of", ahead, "--dry-run")
    soon = (clock.now() + timedelta(seconds=30)).isoformat()
    team("jobs", "run", job, "--as-of", soon)  # within the clock skew
    team("jobs", "run", job, "--as-of", ahead, "--yes")


def test_every_run_records_who_started_it_and_deletions_are_audited(team):
    run = team.json("jobs", "run", "retention", "--as-of", kst("2030-01-01 00:00"), "--yes")
    assert run["counts"]["messages"] == 1
    assert run["started_by"] and run["admin"] == "alice"
    with team.engine.connect() as connection:
        (entry,) = connection.execute(
            sa.select(AuditEntry.__table__).where(AuditEntry.action == "jobs.retention")
        ).all()
        run_row = connection.execute(sa.select(JobRun.__table__)).one()
    assert entry.target == f"run {run['id']}"
    assert json.loads(entry.details)["messages"] == 1
    assert json.loads(entry.details)["started_by"] == run_row.started_by
    quiet = team.json("jobs", "run", "retention", env={"KCHAT_ADMIN": None})
    assert quiet["admin"] is None and quiet["counts"]["messages"] == 0
    with team.engine.connect() as connection:
        audited = connection.execute(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "jobs.retention")
        ).scalar()
    assert audited == 1, "a run that deleted nothing is in the job history only"


def test_a_job_names_an_admin_who_exists(team):
    result = team("--as", "nobody", "jobs", "run", "deliver", code=1)
    assert result.stderr.startswith("error: no admin 'nobody' in this store")


def test_the_session_token_is_kept_only_as_a_hash(team):
    verify(team, "bob")
    token = (team.home / "sessions" / "1-2").read_text()
    with team.engine.connect() as connection:
        stored = connection.execute(sa.select(AuthSession.token_hash)).scalar()
    assert token not in stored
    assert timedelta(hours=12) == auth.SESSION_LIFETIME
