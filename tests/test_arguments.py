"""Arguments out of range or unusable are usage errors (exit 2) with a clear message.

Times and numbers out of range, arguments that are not valid UTF-8, folders where files are
expected and unknown URL schemes must never end as exit 1 with an "unexpected error" (the
catch-all that asks for KCHAT_DEBUG).
"""

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

BAD = os.fsdecode(b"\xff")  # what Python makes of a byte that is not UTF-8 in argv
HUGE = "99999999999999999999"
UTF8 = "not valid UTF-8"
TRANSPORT = "http://127.0.0.1:1/"


def case(*args, env=None, says=None, id):
    """One command line: its args ({work} is a scratch folder), its environment overrides,
    and what its error must say."""
    return pytest.param(args, env or {}, says, id=id)


USAGE_ERRORS = [
    # times out of range
    case("rooms", "list", "--since", "99999999d", id="since-99999999d"),
    case("rooms", "list", "--since", "999999999999999999999w", id="since-huge-weeks"),
    case("rooms", "list", "--until", "9999-12-31", id="until-9999-12-31"),
    case("rooms", "list", "--since", "0001-01-01", id="since-0001-01-01"),
    case("rooms", "list", "--until", "0001-01-01T00:00:00", id="until-0001-01-01T00"),
    case("rooms", "list", "--since", "9999-12-31T23:59:59-12:00", id="since-9999-west"),
    case(
        "coupons",
        "create",
        "c1",
        "--benefit",
        "b",
        "--valid-until",
        "9999-12-31",
        id="coupon-valid-until-9999",
    ),
    case(
        "coupons",
        "create",
        "c1",
        "--benefit",
        "b",
        "--valid-until",
        "99999999d",
        id="coupon-valid-until-99999999d",
    ),
    case("jobs", "run", "retention", "--as-of", "0001-01-02", id="retention-as-of-0001"),
    case("jobs", "run", "offhours-notices", "--as-of", "0001-01-02", id="offhours-as-of-0001"),
    case(
        "demo",
        "--rooms",
        "3",
        "--as-of",
        "9999-12-31T12:00:00Z",
        env={"KCHAT_DB": "sqlite:///{work}/demo.db", "KCHAT_HOME": "{work}/demo-home"},
        id="demo-as-of-9999",
    ),
    # --limit out of range
    case("rooms", "list", "--limit", HUGE, id="limit-rooms-list"),
    case("rooms", "show", "1", "--limit", HUGE, id="limit-rooms-show"),
    case("comments", "list", "--limit", HUGE, id="limit-comments-list"),
    case("jobs", "history", "--limit", HUGE, id="limit-jobs-history"),
    case("outbox", "list", "--limit", HUGE, id="limit-outbox-list"),
    case("search", "환불", "--limit", HUGE, id="limit-search"),
    # ids out of range
    case("rooms", "show", HUGE, id="id-rooms-show"),
    case("rooms", "rename", HUGE, "x", id="id-rooms-rename"),
    case("rooms", "memo", HUGE, "x", id="id-rooms-memo"),
    case("customer-info", "show", HUGE, id="id-customer-info-show"),
    case("coupons", "delete", HUGE, "--yes", id="id-coupons-delete"),
    case("send", "1", "--coupon", "9223372036854775808", id="id-send-coupon"),
    case("rooms", "show", "2147483648", id="id-rooms-show-2^31"),
    # arguments that are not valid UTF-8
    case("send", "1", BAD, says=UTF8, id="utf8-send"),
    case("labels", "create", BAD, says=UTF8, id="utf8-labels-create"),
    case("rooms", "rename", "1", BAD, says=UTF8, id="utf8-rooms-rename"),
    case("admins", "add", BAD, "--name", "n", says=UTF8, id="utf8-admins-add"),
    case("search", BAD, says=UTF8, id="utf8-search"),
    case("rooms", "list", "--label", BAD, says=UTF8, id="utf8-rooms-list-label"),
    case("init", "--name", BAD, "--owner", "o", says=UTF8, id="utf8-init-name"),
    # folders where files are expected, files that are not there
    case("ingest", "{work}/folder", id="ingest-folder"),
    case(
        "ingest",
        "--reject-file",
        "{work}/folder",
        "{work}/events.jsonl",
        id="ingest-reject-file-folder",
    ),
    case("export", "rooms", "--out", "{work}/folder", id="export-out-folder"),
    case("send", "1", "--image", "{work}/folder", id="send-image-folder"),
    case("send", "1", "--file", "{work}/missing.bin", id="send-file-missing"),
    # stores kchat cannot use
    case("--db", "garbage://x", "unread", id="db-garbage-scheme"),
    case("--db", "mysql://x", "unread", id="db-mysql"),
    case("--db", "postgresql://[::1", "unread", id="db-bad-ipv6"),
    case("--db", "sqlite:///:memory:", "init", "--name", "x", "--owner", "o", id="db-memory"),
    # settings from the environment
    case(
        "jobs", "run", "retention", env={"KCHAT_RETENTION_BATCH": "abc"}, id="retention-batch-abc"
    ),
    case(
        "jobs", "run", "retention", env={"KCHAT_RETENTION_BATCH": HUGE}, id="retention-batch-huge"
    ),
    case("jobs", "run", "deliver", env={"KCHAT_TRANSPORT_TIMEOUT": "abc"}, id="timeout-abc"),
    case(
        "jobs",
        "run",
        "deliver",
        env={"KCHAT_TRANSPORT_TIMEOUT": "nan", "KCHAT_TRANSPORT": TRANSPORT},
        id="timeout-nan",
    ),
    case(
        "jobs",
        "run",
        "deliver",
        env={"KCHAT_TRANSPORT_TIMEOUT": "-1", "KCHAT_TRANSPORT": TRANSPORT},
        id="timeout-neg",
    ),
    case(
        "jobs",
        "run",
        "deliver",
        env={"KCHAT_TRANSPORT_TIMEOUT": "inf", "KCHAT_TRANSPORT": TRANSPORT},
        id="timeout-inf",
    ),
    case("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": "file:"}, id="transport-file-empty"),
    case(
        "jobs", "run", "deliver", env={"KCHAT_TRANSPORT": "https://[::1"}, id="transport-bad-ipv6"
    ),
    case("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": "http://"}, id="transport-no-host"),
    case(
        "jobs",
        "list",
        env={"KCHAT_SCHEDULE_RETENTION": f"every {HUGE} seconds"},
        id="schedule-huge",
    ),
    case("jobs", "list", env={"KCHAT_SCHEDULE_DELIVER": "every 0 seconds"}, id="schedule-zero"),
    # search and verification codes
    case("search", "%" * 30_000, id="search-30000-percent"),
    case("auth", "verify", "abcdef", id="verify-letters"),
    case("auth", "verify", "", id="verify-empty"),
    case("auth", "verify", "１２３４５６", id="verify-full-width-digits"),
]


@pytest.mark.parametrize(("args", "env", "says"), USAGE_ERRORS)
def test_an_unusable_argument_is_a_usage_error(kchat, ev, tmp_path, args, env, says):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    work = tmp_path / "work"
    (work / "folder").mkdir(parents=True)
    (work / "events.jsonl").write_text(
        json.dumps(ev.says("u2", "2026-11-20 10:05"), ensure_ascii=False) + "\n",
        encoding="utf-8",
    )

    def filled(text: str) -> str:
        return text.replace("{work}", str(work))

    result = kchat(*map(filled, args), env={k: filled(v) for k, v in env.items()}, code=2)
    assert "KCHAT_DEBUG" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "a usage error says what was wrong"
    if says is not None:
        assert says in result.stderr


def test_invalid_utf8_in_a_real_argv_is_a_usage_error(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("KCHAT_")}
    env |= {"KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home), "KCHAT_ADMIN": "alice"}
    done = subprocess.run(
        [sys.executable, "-m", "kchat_cli", "send", "1", b"\xff"],
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert UTF8 in done.stderr
    assert "KCHAT_DEBUG" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_plain_path_names_a_sqlite_store(sqlite_kchat, ev):
    sqlite_kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    path = sqlite_kchat.url.removeprefix("sqlite:///")
    assert sqlite_kchat("--db", path, "unread").stdout == "1\n"


def test_a_malformed_code_uses_no_verification_try(kchat):
    kchat("admins", "add", "bob", "--name", "박보검")
    kchat("--as", "bob", "auth", "send-code")
    result = kchat("--as", "bob", "auth", "verify", "abcdef", code=2)
    assert "KCHAT_DEBUG" not in result.stderr
    with kchat.engine.connect() as connection:
        attempts = (
            connection.execute(
                sa.text(
                    "SELECT attempts FROM auth_codes JOIN admins "
                    "ON admins.id = auth_codes.admin_id WHERE admins.login = 'bob'"
                )
            )
            .scalars()
            .all()
        )
    assert attempts == [0]


def test_a_label_added_twice_is_one_change(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    kchat("labels", "create", "VIP")
    kchat("rooms", "label", "1", "--add", "VIP", "--add", "VIP")
    assert "VIP" in kchat("rooms", "show", "1", "--peek").stdout
