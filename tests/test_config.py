"""The config file and `config show`: where each setting came from, no password shown, a
config file that is bad, missing, too large or not a file refused at once; `--db PATH`, and
the store URLs kchat takes."""

import json

import pytest
from conftest import Kchat, bare

URL_HINT = "use a path, sqlite:///PATH or postgresql+psycopg://…"


def settings(cli: Kchat, *args, env=None) -> dict[str, tuple]:
    shown = json.loads(cli(*args, "config", "show", "-o", "json", env=env).stdout)
    return {record["setting"]: (record["value"], record["source"]) for record in shown}


def test_config_show_says_where_each_setting_came_from(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        'db = "file.db"\nchannel = "파일카페"\nadmin = "filer"\nfiles = "database"\n',
        encoding="utf-8",
    )
    cli = bare(tmp_path, KCHAT_CONFIG=str(config), KCHAT_CHANNEL="변수카페")
    home = tmp_path / "home"
    assert settings(cli) == {
        "db": (f"sqlite:///{tmp_path / 'file.db'}", f"file {config}"),
        "home": (str(home), "variable KCHAT_HOME"),
        "channel": ("변수카페", "variable KCHAT_CHANNEL"),
        "admin": ("filer", f"file {config}"),
        "transport": (f"file:{home / 'outbox.jsonl'}", "default"),
        "files": ("database", f"file {config}"),
        "listen": ("127.0.0.1:8787", "default"),
        "webhook_secret": (None, "default"),
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
            "the keys are db, home, channel, admin, transport, files, listen, webhook_secret",
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


def test_a_config_file_too_large_or_not_a_file_is_refused_at_once(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("# " + "x" * 70_000 + "\n", encoding="utf-8")
    result = bare(tmp_path, KCHAT_CONFIG=str(config))("config", "show", code=2)
    assert result.stderr == (
        f"error: the config file {config} is too large; a config file is at most 64 KiB\n"
    )
    result = bare(tmp_path, KCHAT_CONFIG="/dev/zero")("config", "show", code=2)
    assert result.stderr == "error: the config file /dev/zero is not a regular file\n"


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


def test_files_are_kept_at_home_or_in_the_database_and_nowhere_else(tmp_path):
    cli = bare(tmp_path)
    assert settings(cli)["files"] == ("home", "default"), "SQLite's default: one machine"
    postgresql = settings(cli, "--db", "postgresql+psycopg://kchat@db.example/kchat")
    assert postgresql["files"] == ("database", "default"), "a team's store keeps the bytes"
    result = cli("config", "show", env={"KCHAT_FILES": "cloud"}, code=2)
    assert "KCHAT_FILES (files) is home or database, not 'cloud'" in result.stderr


def test_the_webhook_secret_is_shown_masked(tmp_path):
    cli = bare(tmp_path, KCHAT_WEBHOOK_SECRET="웹훅-비밀")
    shown = cli("config", "show").stdout
    assert "웹훅-비밀" not in shown
    assert settings(cli)["webhook_secret"] == ("***", "variable KCHAT_WEBHOOK_SECRET")
