"""Setting up a store: `kchat init` (a second channel only when asked; several admins
named when none is chosen) and `kchat demo` (only in a store of its own; its summary and the
lines that go on with it, consultations completed at believable times, saved replies)."""

import shlex

import pytest
import sqlalchemy as sa
from conftest import Kchat, bare, verify

AS_OF = "2026-11-25T12:00:00+09:00"


def test_init_adds_a_second_channel_only_when_asked(kchat):
    result = kchat("init", "--name", "다른카페", "--owner", "bob", code=1)
    assert result.stderr == (
        "error: this store already has the channel 헬로카페; "
        "pass --new-channel to add '다른카페' beside it, or --db for a store of its own\n"
    )
    assert kchat("unread").stdout == "0\n"  # still the one channel
    kchat("init", "--name", "헬로카페", "--owner", "alice")  # the same channel: an upgrade
    kchat("init", "--name", "다른카페", "--owner", "bob", "--new-channel")
    result = kchat("unread", code=2)
    assert result.stderr == (
        "error: this store has several channels (헬로카페, 다른카페); "
        "pass --channel NAME or set KCHAT_CHANNEL\n"
    )
    assert kchat("--channel", "다른카페", "unread").stdout == "0\n"


def test_the_demo_refuses_a_store_with_another_channel(kchat):
    result = kchat("demo", "--rooms", "5", code=1)
    assert result.stderr == (
        "error: the demo builds only in a store of its own; this one holds 헬로카페; "
        "point KCHAT_HOME or --db at a new store, e.g. KCHAT_HOME=$(mktemp -d) kchat demo\n"
    )
    with kchat.engine.connect() as connection:
        names = connection.execute(sa.text("SELECT name FROM channels")).scalars().all()
    assert names == ["헬로카페"]


def test_several_admins_are_named(kchat):
    kchat("admins", "add", "bob", "--name", "박보검")
    result = kchat("rooms", "list", code=2, env={"KCHAT_ADMIN": None})
    assert result.stderr == (
        "error: this channel has several admins (alice, bob); pass --as LOGIN or set KCHAT_ADMIN\n"
    )


def test_the_demo_prints_its_summary_once_and_the_lines_that_go_on_with_it(tmp_path):
    cli = bare(tmp_path)
    result = cli("demo", "--rooms", "20", "--as-of", AS_OF)
    assert result.stdout.count("applied") == 1 and "applied" not in result.stderr
    home = tmp_path / "home"
    assert result.stderr.splitlines() == [
        "to go on with the demo in your shell, paste:",
        f"  export KCHAT_HOME={shlex.quote(str(home))}",
        "  export KCHAT_ADMIN=owner",
        "  kchat auth send-code && kchat jobs run deliver",
        "  kchat auth verify CODE    # CODE: 6 digits, in the last code sent to "
        f"{home / 'outbox.jsonl'}",
        "  kchat rooms list",
        "  kchat chat",
    ]
    pasted = dict(
        line.removeprefix("  export ").split("=", 1)
        for line in result.stderr.splitlines()
        if line.startswith("  export ")
    )
    cli.env.update({name: shlex.split(value)[0] for name, value in pasted.items()})
    verify(cli, "owner")
    assert len(cli.json("rooms", "list", "--limit", "0")) > 0


@pytest.fixture
def demo(store_url, tmp_path) -> Kchat:
    cli = Kchat(store_url, tmp_path / "home")
    cli.env["KCHAT_ADMIN"] = "owner"
    cli("demo", "--as-of", AS_OF)
    with cli.engine.begin() as connection:
        connection.execute(sa.text("UPDATE admins SET additional_auth = false"))
    return cli


def test_the_demos_consultations_complete_at_believable_times(demo):
    by_assignee = demo.json("report")
    for group in by_assignee:
        assert 5 * 60 <= group["resolution_median"] <= 24 * 3600, group
    days = [day for day in demo.json("report", "--by", "day") if day["resolution_median"]]
    assert len(days) >= 15
    completed = demo.json("rooms", "list", "--status", "completed", "--limit", "0")
    assert len(completed) >= 40


def test_the_demo_has_saved_replies_to_try_reply_with(demo):
    names = [reply["name"] for reply in demo.json("replies", "list")]
    assert "인사" in names and "환불안내" in names
    room = demo.json("rooms", "list", "--status", "unread", "--limit", "1")[0]["id"]
    demo("send", room, "--reply", "인사")
    assert (
        demo.json("outbox", "list")[-1]["text"]
        == "안녕하세요 고객님, 확인 후 바로 안내드리겠습니다."
    )
