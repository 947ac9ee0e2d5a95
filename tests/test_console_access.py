"""`kchat chat` holds itself to the command line's rules for its whole life (R-AUTH-1, R-AUTH-5):
every action is checked as the command it stands for, whatever happened since the console
opened; nothing that goes wrong ends in a traceback; a busy or lost store keeps the draft."""

import asyncio
import contextlib
import dataclasses
import json
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import room_of, verify
from consoles import a_store, console_of, drive, settle, status_of, type_and_enter

from kchat_cli.console.slash import SLASH
from kchat_cli.errors import conceal, debug_traceback
from kchat_cli.store import tables
from kchat_cli.store.engine import sqlite_path

NEEDS_VERIFICATION = (
    "error: additional verification needed; /send-code, then /verify CODE "
    "(under your draft, after Alt-Enter)"
)
REPLY_KEPT = "your reply is kept; press Enter to try again"


def composer_text(app) -> str:
    return app.query_one("#composer").text


def sent_texts(kchat) -> list[str]:
    return [item["text"] for item in kchat.json("outbox", "list") if item["kind"] == "text"]


def a_verified_manager(kchat) -> None:
    kchat("admins", "add", "minji", "--name", "김민지")  # verification is ON for a new admin
    verify(kchat, "minji")


def code_for(kchat, login: str) -> str:
    """The newest code sent to `login`, read where the deliver job put it."""
    inbox = kchat.home / f"inbox-{login}.jsonl"
    kchat("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    sent = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    return re.findall(r"\d{6}", [item for item in sent if item["kind"] == "code"][-1]["text"])[0]


def test_r_auth_1_a_logout_refuses_the_next_action_keeps_the_draft_and_verify_reopens(kchat, ev):
    a_store(kchat, ev)
    a_verified_manager(kchat)
    app = console_of(kchat, login="minji")

    async def scenario(pilot):
        assert app.room is not None
        kchat("--as", "minji", "auth", "logout")
        await type_and_enter(pilot, "확인해 드릴게요")
        assert status_of(app) == NEEDS_VERIFICATION
        assert composer_text(app) == "확인해 드릴게요", "the draft stays in the input"
        for key in ("ctrl+n", "f2", "alt+a"):
            await pilot.press(key)
            await settle(pilot)
            assert status_of(app) == NEEDS_VERIFICATION, key
        await type_and_enter(pilot, "/complete")
        assert status_of(app) == NEEDS_VERIFICATION
        await type_and_enter(pilot, "/send-code")
        assert status_of(app).startswith("a code goes by kakao; then /verify CODE")
        await type_and_enter(pilot, f"/verify {code_for(kchat, 'minji')}")
        assert status_of(app) == "verified for 12 hours"
        await type_and_enter(pilot, "확인해 드릴게요")
        assert status_of(app).startswith("queued message")
        assert app.is_running

    drive(app, scenario)
    assert sent_texts(kchat) == ["확인해 드릴게요"]
    assert room_of(kchat, "u1")["status"] == "answered", (
        "answered, not completed: /complete was refused"
    )


def test_r_auth_2_a_session_that_ends_while_the_console_is_open_is_refused(kchat, ev):
    a_store(kchat, ev)
    a_verified_manager(kchat)
    app = console_of(kchat, login="minji")

    async def scenario(pilot):
        with kchat.engine.begin() as connection:
            connection.execute(
                tables.auth_sessions.update().values(
                    expires_at=datetime.now(UTC) - timedelta(seconds=1)
                )
            )
        await type_and_enter(pilot, "/reply 배송안내")
        assert status_of(app) == NEEDS_VERIFICATION
        assert composer_text(app) == "/reply 배송안내"

    drive(app, scenario)
    assert sent_texts(kchat) == []


def test_r_auth_5_a_removed_admin_is_refused_at_the_next_action_without_a_traceback(kchat, ev):
    a_store(kchat, ev)
    kchat("admins", "add", "junho", "--name", "박준호")
    with kchat.engine.begin() as connection:
        connection.execute(sa.text("UPDATE admins SET additional_auth = false"))
    app = console_of(kchat, login="junho")

    async def scenario(pilot):
        kchat("admins", "remove", "junho", "--yes")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert status_of(app) == (
            "error: no admin 'junho' in this channel any more; an owner can add you again "
            "(/quit to leave)"
        )
        await type_and_enter(pilot, "아직 보낼 수 있나요?")
        assert status_of(app).startswith("error: no admin 'junho'")
        assert app.is_running and app.failure is None

    drive(app, scenario)
    assert sent_texts(kchat) == []


def break_the_store(kchat) -> None:
    """The store fails underneath the console: its tables are gone."""
    with kchat.engine.begin() as connection:
        for table in ("rooms", "messages", "admins", "labels", "replies"):
            connection.execute(sa.text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


ARGUMENTS = {
    "reply": "배송안내",
    "label": "+VIP",
    "assign": "me",
    "memo": "메모",
    "rename": "이름",
    "coupon": "1",
    "image": "/nonexistent/사진.png",
    "file": "/nonexistent/문서.pdf",
    "to-group": "단골",
    "search": "배송",
    "queue": "unread",
    "verify": "123456",
}
KEYS = ("f2", "f3", "f4", "f5", "f6", "ctrl+n", "alt+a", "pageup", "pagedown", "tab", "escape")


def test_every_key_and_slash_command_on_a_failing_store_says_error_and_goes_on(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        break_the_store(kchat)
        for key in KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running and app.failure is None, key
        await pilot.press("ctrl+k")
        await pilot.press("김")
        await settle(pilot)
        assert str(app.screen.query_one("#switcher-note").render()).startswith("error: ")
        await pilot.press("escape")
        await pilot.press("ctrl+o", "enter")
        await settle(pilot)
        assert status_of(app).startswith("error: ")
        app.query_one("#composer").focus()
        for name in SLASH:
            if name in ("quit", "help"):
                continue
            await type_and_enter(pilot, f"/{name} {ARGUMENTS.get(name, '')}".rstrip())
            assert status_of(app).startswith("error: "), f"/{name}: {status_of(app)}"
            assert "Traceback" not in status_of(app)
            assert app.is_running and app.failure is None, f"/{name}"
        await type_and_enter(pilot, "아직 살아 있나요")
        assert status_of(app).startswith("error: ")
        assert composer_text(app) == "아직 살아 있나요"

    drive(app, scenario)


def test_an_error_textual_itself_cannot_carry_on_from_ends_the_console_without_a_traceback(
    kchat, ev
):
    a_store(kchat, ev)
    app = console_of(kchat)

    def broken():
        raise RuntimeError("the renderer broke")

    async def run():
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.call_later(broken)
            deadline = time.monotonic() + 5
            while app.is_running:
                assert time.monotonic() < deadline, "the console did not end"
                await asyncio.sleep(0.01)

    asyncio.run(run())
    assert (type(app.failure), str(app.failure)) == (RuntimeError, "the renderer broke")
    assert app.return_code == 1


def test_a_debug_traceback_shows_no_secret_and_no_sql_parameters():
    conceal("s3cret-password")
    try:
        raise sa.exc.OperationalError(
            "INSERT INTO messages (text) VALUES (?)", ("고객의 전화번호 010-1234-5678",), None
        )
    except sa.exc.OperationalError as exc:
        try:
            raise RuntimeError("cannot reach postgresql://kchat:s3cret-password@db/kchat") from exc
        except RuntimeError as outer:
            shown = debug_traceback(outer)
    assert "Traceback (most recent call last)" in shown
    assert "s3cret-password" not in shown and "***" in shown
    assert "010-1234-5678" not in shown and "[parameters left out]" in shown


@contextlib.contextmanager
def another_writer(kchat):
    """Another process holds the store's write lock (SQLite) or the channel's row
    (PostgreSQL), as a long retention batch would."""
    path = sqlite_path(kchat.url)
    if path is not None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = sa.create_engine(kchat.url)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT id FROM channels FOR UPDATE"))
        yield
        connection.rollback()
    engine.dispose()


def test_a_busy_store_keeps_the_reply_and_enter_sends_it_once_the_store_is_free(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)
    app.rt = dataclasses.replace(app.rt, patience=0.5)

    async def scenario(pilot):
        with another_writer(kchat):
            await type_and_enter(pilot, "잠시만 기다려 주세요")
            assert status_of(app) == f"error: the store is busy; {REPLY_KEPT}"
            assert composer_text(app) == "잠시만 기다려 주세요"
            assert app.is_running
        await pilot.press("enter")
        await settle(pilot)
        assert status_of(app).startswith("queued message")
        assert composer_text(app) == ""

    drive(app, scenario)
    assert sent_texts(kchat) == ["잠시만 기다려 주세요"]


def test_a_lost_postgresql_connection_is_opened_again_and_the_reply_goes_once(pg_kchat, ev):
    kchat = pg_kchat
    a_store(kchat, ev)
    app = console_of(kchat)

    async def scenario(pilot):
        with sa.create_engine(kchat.url).connect() as admin:
            admin.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        app.query_one("#composer").text = "다시 연결됐어요"
        for _ in range(2):  # at most once more: the pool opens a new connection
            await pilot.press("enter")
            await settle(pilot)
            if status_of(app).startswith("queued message"):
                break
            assert status_of(app) == f"error: the store cannot be reached; {REPLY_KEPT}"
        assert status_of(app).startswith("queued message")

    drive(app, scenario)
    assert sent_texts(kchat) == ["다시 연결됐어요"]


@pytest.mark.parametrize("command", ["rooms show", "send", "rooms complete", "auth verify"])
def test_the_console_acts_through_the_runtime_of_the_command_it_stands_for(kchat, command):
    rt = console_of(kchat).rt.mirror(command)
    assert rt.audit_action == command.replace(" ", ".")
    assert rt.gated == (command != "auth verify")


def test_a_reply_refused_after_moving_on_waits_in_its_own_room(kchat, ev):
    a_store(kchat, ev)
    u1, u2 = room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]
    app = console_of(kchat, u1)
    app.rt = dataclasses.replace(app.rt, patience=0.5)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        with another_writer(kchat):
            composer.text = "u1에게 보낼 답장"
            await pilot.press("enter", "ctrl+n")  # on to the next room while it is sent
            await settle(pilot)
            assert app.room == u2 and composer.text == ""
            assert status_of(app) == (
                f"error: the store is busy; your reply in room {u1} is kept there"
            )
        await pilot.press("enter")  # nothing to send here
        await pilot.press("ctrl+k", *str(u1), "enter")
        await settle(pilot)
        assert composer.text == "u1에게 보낼 답장"
        await pilot.press("enter")
        await settle(pilot)

    drive(app, scenario)
    assert sent_texts(kchat) == ["u1에게 보낼 답장"]
    assert room_of(kchat, "u2")["status"] == "unanswered", "nothing went to u2"


def test_ctrl_c_while_a_reply_is_being_sent_leaves_once_it_is_sent(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)
    app.rt = dataclasses.replace(app.rt, patience=3.0)

    async def run():
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            with another_writer(kchat):
                app.query_one("#composer").text = "나가기 직전의 답장"
                await pilot.press("enter", "ctrl+c")
                await pilot.pause(0.1)
                assert app.is_running
                assert status_of(app).startswith("sending what you sent before leaving")
            deadline = time.monotonic() + 10
            while app.is_running:
                assert time.monotonic() < deadline, "the console did not leave"
                await asyncio.sleep(0.02)

    asyncio.run(run())
    assert sent_texts(kchat) == ["나가기 직전의 답장"]


def test_a_command_refused_under_a_draft_goes_back_under_it(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)
    app.rt = dataclasses.replace(app.rt, patience=0.5)

    async def scenario(pilot):
        composer = app.query_one("#composer")
        with another_writer(kchat):
            composer.text = "확인 중인 답장\n/memo 전화 요청"
            await pilot.press("enter")
            await settle(pilot)
            assert status_of(app).startswith("error: the store is busy")
            assert composer.text == "확인 중인 답장\n/memo 전화 요청", "the draft stays a draft"
        await pilot.press("enter")  # the command again, alone: the draft stays
        await settle(pilot)
        assert composer.text == "확인 중인 답장"

    drive(app, scenario)
    assert room_of(kchat, "u1")["memo"] == "전화 요청"


def test_ctrl_c_while_a_send_that_then_fails_stays_and_keeps_the_reply(kchat, ev):
    a_store(kchat, ev)
    app = console_of(kchat)
    app.rt = dataclasses.replace(app.rt, patience=0.5)

    async def scenario(pilot):
        with another_writer(kchat):
            app.query_one("#composer").text = "못 보낸 답장"
            await pilot.press("enter", "ctrl+c")
            await settle(pilot)
            assert app.is_running, "what was to go first did not: the admin decides again"
            assert status_of(app).startswith("error: the store is busy")
            assert app.query_one("#composer").text == "못 보낸 답장"
        await pilot.press("ctrl+c")

    drive(app, scenario)
    assert app.drafts == {room_of(kchat, "u1")["id"]: "못 보낸 답장"}, "said after the console"
    assert sent_texts(kchat) == []
