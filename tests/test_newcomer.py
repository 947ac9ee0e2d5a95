"""A newcomer's first ten minutes: the demo says how to go on, the config file and `config
show`, `--db PATH`, and the guards that keep a store's channels apart (issue 17)."""

import json
import shlex

import pytest
import sqlalchemy as sa

from tests.conftest import Kchat, verify

URL_HINT = "use a path, sqlite:///PATH or postgresql+psycopg://…"
AS_OF = "2026-11-25T12:00:00+09:00"


def bare(tmp_path, **env) -> Kchat:
    """kchat with nothing set but KCHAT_HOME (and what a test adds): as a newcomer's shell."""
    cli = Kchat("", tmp_path / "home")
    cli.env.update({"KCHAT_DB": None, "KCHAT_ADMIN": None, "KCHAT_CONFIG": None, **env})
    return cli


def settings(cli: Kchat, *args, env=None) -> dict[str, tuple]:
    shown = json.loads(cli(*args, "config", "show", "-o", "json", env=env).stdout)
    return {record["setting"]: (record["value"], record["source"]) for record in shown}


def test_config_show_says_where_each_setting_came_from(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('db = "file.db"\nchannel = "파일카페"\nadmin = "filer"\n', encoding="utf-8")
    cli = bare(tmp_path, KCHAT_CONFIG=str(config), KCHAT_CHANNEL="변수카페")
    home = tmp_path / "home"
    assert settings(cli) == {
        "db": (f"sqlite:///{tmp_path / 'file.db'}", f"file {config}"),
        "home": (str(home), "variable KCHAT_HOME"),
        "channel": ("변수카페", "variable KCHAT_CHANNEL"),
        "admin": ("filer", f"file {config}"),
        "transport": (f"file:{home / 'outbox.jsonl'}", "default"),
    }
    chosen = settings(cli, "--db", tmp_path / "option.db", "--as", "optioner")
    assert chosen["db"] == (f"sqlite:///{tmp_path / 'option.db'}", "option")
    assert chosen["admin"] == ("optioner", "option")
    from_variable = settings(cli, env={"KCHAT_DB": str(tmp_path / "variable.db")})
    assert from_variable["db"] == (f"sqlite:///{tmp_path / 'variable.db'}", "variable KCHAT_DB")


def test_without_a_config_file_every_setting_is_a_default(tmp_path):
    cli = bare(tmp_path, KCHAT_CHANNEL=None)
    shown = settings(cli)
    assert shown["channel"] == (None, "default")
    assert shown["db"] == (f"sqlite:///{tmp_path / 'home' / 'kchat.db'}", "default")
    table = cli("config", "show").stdout
    assert "(the store's only channel)" in table and "(the channel's only admin)" in table


def test_the_config_files_home_is_taken_from_its_folder_and_used(tmp_path):
    folder = tmp_path / "xdg" / "kchat"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text('home = "data"\nadmin = "alice"\n', encoding="utf-8")
    cli = bare(tmp_path, KCHAT_HOME=None, XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    shown = settings(cli)
    assert shown["home"] == (str(folder / "data"), f"file {folder / 'config.toml'}")
    cli("init", "--name", "헬로카페", "--owner", "alice")
    assert (folder / "data" / "kchat.db").exists()


def test_no_password_is_shown(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('transport = "https://hook:t0ken@example.com/out"\n', encoding="utf-8")
    cli = bare(tmp_path, KCHAT_CONFIG=str(config))
    result = cli("--db", "postgresql+psycopg://kchat:s3cret@db.example/kchat", "config", "show")
    assert "s3cret" not in result.stdout + result.stderr
    assert "t0ken" not in result.stdout + result.stderr
    assert "kchat:***@db.example" in result.stdout and "hook:***@example.com" in result.stdout


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            'db = "x.db"\ndbb = "y"\n',
            "unknown key 'dbb' in the config file {file}; "
            "the keys are db, home, channel, admin, transport",
        ),
        (
            "db = \n",
            "the config file {file} is not valid TOML: Invalid value (at line 1, column 6)",
        ),
        ("admin = 7\n", "admin in the config file {file} must be a non-empty string"),
    ],
)
def test_a_bad_config_file_is_one_usage_error_naming_it(tmp_path, text, error):
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    cli = bare(tmp_path, KCHAT_CONFIG=str(config))
    for command in (["config", "show"], ["rooms", "list"]):
        result = cli(*command, code=2)
        assert result.stderr == f"error: {error.format(file=config)}\n"


def test_a_config_file_named_by_kchat_config_must_exist(tmp_path):
    cli = bare(tmp_path, KCHAT_CONFIG=str(tmp_path / "none.toml"))
    result = cli("config", "show", code=2)
    assert (
        result.stderr == f"error: no config file at {tmp_path / 'none.toml'}; check KCHAT_CONFIG\n"
    )


def test_db_takes_a_plain_path_relative_to_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = bare(tmp_path)
    cli("--db", "./plain.db", "init", "--name", "헬로카페", "--owner", "alice")
    assert (tmp_path / "plain.db").exists()
    assert cli("--db", str(tmp_path / "plain.db"), "unread").stdout == "0\n"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("mysql://x", "mysql://x"),
        ("mysql://kchat:s3cret@db/kchat", "mysql://kchat:***@db/kchat"),
        ("foo:bar", "foo:bar"),
        ("sqlite+pysqlite:///x.db", "sqlite+pysqlite:///x.db"),
    ],
)
def test_an_unsupported_store_url_names_the_ones_kchat_takes(tmp_path, given, shown):
    result = bare(tmp_path)("--db", given, "unread", code=2)
    assert result.stderr == f"error: unsupported store URL {shown!r}; {URL_HINT}\n"


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


def test_a_config_file_too_large_or_not_a_file_is_refused_at_once(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("# " + "x" * 70_000 + "\n", encoding="utf-8")
    result = bare(tmp_path, KCHAT_CONFIG=str(config))("config", "show", code=2)
    assert result.stderr == (
        f"error: the config file {config} is too large; a config file is at most 64 KiB\n"
    )
    result = bare(tmp_path, KCHAT_CONFIG="/dev/zero")("config", "show", code=2)
    assert result.stderr == "error: the config file /dev/zero is not a regular file\n"


def test_the_demo_has_saved_replies_to_try_reply_with(demo):
    names = [reply["name"] for reply in demo.json("replies", "list")]
    assert "인사" in names and "환불안내" in names
    room = demo.json("rooms", "list", "--status", "unread", "--limit", "1")[0]["id"]
    demo("send", room, "--reply", "인사")
    assert (
        demo.json("outbox", "list")[-1]["text"]
        == "안녕하세요 고객님, 확인 후 바로 안내드리겠습니다."
    )
