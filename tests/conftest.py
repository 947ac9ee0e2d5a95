"""Fixtures: every store test runs on SQLite and on PostgreSQL, each in its own store.

PostgreSQL comes from KCHAT_TEST_PG (default: the local test database); each test gets a
schema of its own. With KCHAT_REQUIRE_PG=1 (CI), a test that would be skipped fails instead.
The helpers and fixtures that tests in several files share are here too.
"""

import json
import os
import re
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from kchat_cli import clock
from kchat_cli.app import app
from kchat_cli.clock import KST
from kchat_cli.store import migrate
from kchat_cli.store.engine import create_sqlite_file, dispose_engines, get_engine

PG_URL = os.environ.get("KCHAT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KCHAT_REQUIRE_PG") == "1"
CHANNEL = "헬로카페"
SHA = "ab" * 32
RECEIPT = {"name": "영수증.png", "size": 2048, "mime": "image/png", "sha256": SHA}

# The tests never read the config file of whoever runs them (tests that want one say so).
os.environ.pop("KCHAT_CONFIG", None)
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="kchat-test-config-")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_PG and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"a skip is a failure here (KCHAT_REQUIRE_PG=1): {report.longrepr}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "kchat.db"
    create_sqlite_file(path)
    migrate.upgrade(get_engine(f"sqlite:///{path}"))
    dispose_engines()
    return path


@pytest.fixture(scope="session")
def pg_admin():
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        engine.connect().close()
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {str(exc.orig).splitlines()[0]}"
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    yield engine
    engine.dispose()


def pg_schema_url(schema: str) -> str:
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_schemas(pg_admin):
    """Make PostgreSQL stores with no tables yet, each in a schema of its own."""
    made = []

    def make() -> str:
        schema = f"kchat_test_{uuid.uuid4().hex[:12]}"
        with pg_admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return pg_schema_url(schema)

    yield make
    dispose_engines()
    with pg_admin.connect() as connection:
        for schema in made:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def empty_pg_url(pg_schemas):
    return pg_schemas()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A migrated, empty store."""
    if request.param == "sqlite":
        path = tmp_path / "store" / "kchat.db"
        path.parent.mkdir(mode=0o700)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        path.chmod(0o600)
        yield f"sqlite:///{path}"
        dispose_engines()
    else:
        url = request.getfixturevalue("empty_pg_url")
        migrate.upgrade(get_engine(url))
        yield url


class Kchat:
    """The CLI, run in-process as a user would type it."""

    def __init__(self, url: str, home: Path):
        self.url = url
        self.home = home
        self.env = {
            "KCHAT_DB": url,
            "KCHAT_HOME": str(home),
            "KCHAT_ADMIN": "alice",
            "KCHAT_CHANNEL": None,
            "KCHAT_TRANSPORT": None,
            "KCHAT_SECRET_KEY": None,
        }
        self.runner = CliRunner()

    def __call__(self, *args, input: str | None = None, code: int | None = 0, env=None):
        """Run kchat; assert its exit code unless `code` is None."""
        result = self.runner.invoke(
            app, [str(arg) for arg in args], input=input, env={**self.env, **(env or {})}
        )
        assert code is None or result.exit_code == code, (
            f"kchat {' '.join(map(str, args))} exited {result.exit_code}, not {code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}\n"
            f"exception: {result.exception!r}"
        )
        return result

    def json(self, *args, **kwargs):
        return json.loads(self(*args, "-o", "json", **kwargs).stdout)

    def ingest(self, *events: dict, code: int = 0, args=()):
        lines = "".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events)
        return self("ingest", "-", *args, input=lines, code=code)

    @property
    def engine(self) -> sa.Engine:
        return get_engine(self.url)


def initialised(url: str, home: Path) -> Kchat:
    """A store with the channel; alice's additional verification is off (test setup: the
    auth tests go through `auth send-code` and `auth verify`, see `verify`)."""
    cli = Kchat(url, home)
    cli("init", "--name", CHANNEL, "--owner", "alice", "--owner-name", "김앨리스")
    with cli.engine.begin() as connection:
        connection.execute(sa.text("UPDATE admins SET additional_auth = false"))
    return cli


def verify(cli: Kchat, login: str) -> str:
    """Pass additional verification as `login`, as a person would: ask for a code, let the
    deliver job send it, read it where it arrived, and enter it. Returns the code."""
    cli("--as", login, "auth", "send-code")
    inbox = cli.home / f"inbox-{login}.jsonl"
    cli("jobs", "run", "deliver", env={"KCHAT_TRANSPORT": f"file:{inbox}"})
    delivered = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    (code,) = re.findall(r"\d{6}", [d for d in delivered if d["kind"] == "code"][-1]["text"])
    cli("--as", login, "auth", "verify", code)
    return code


def bare(tmp_path, **env) -> Kchat:
    """kchat with nothing set but KCHAT_HOME (and what a test adds): as a newcomer's shell."""
    cli = Kchat("", tmp_path / "home")
    cli.env.update({"KCHAT_DB": None, "KCHAT_ADMIN": None, "KCHAT_CONFIG": None, **env})
    return cli


@pytest.fixture
def kchat(store_url, tmp_path) -> Kchat:
    """A store with channel 헬로카페, owned by alice."""
    return initialised(store_url, tmp_path / "home")


@pytest.fixture
def pg_kchat(pg_schemas, tmp_path) -> Kchat:
    """Like `kchat`, on PostgreSQL only: for what only PostgreSQL has (LISTEN/NOTIFY)."""
    url = pg_schemas()
    migrate.upgrade(get_engine(url))
    return initialised(url, tmp_path / "home")


@pytest.fixture
def sqlite_kchat(tmp_path) -> Kchat:
    """Like `kchat`, on SQLite only: for what only SQLite has (its store file)."""
    yield initialised(f"sqlite:///{tmp_path / 'store' / 'kchat.db'}", tmp_path / "home")
    dispose_engines()


def kst(text: str) -> str:
    """A Korea-time ISO timestamp from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=KST).isoformat()


def at(text: str) -> datetime:
    """A Korea time, 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=KST)


@pytest.fixture
def pin(monkeypatch):
    """Make kchat's now a given Korea time."""

    def set_now(text: str) -> None:
        moment = at(text)
        monkeypatch.setattr(clock, "now", lambda: moment)

    return set_now


class Events:
    """Inbound events with unique ids, for tests to read like the spec."""

    def __init__(self):
        self.count = 0

    def _next(self, event_type: str, user: str, at: str, **fields) -> dict:
        self.count += 1
        return {"id": f"t{self.count}", "type": event_type, "user": user, "ts": kst(at), **fields}

    def open(self, user, at, **fields):
        return self._next("open", user, at, **fields)

    def says(self, user, at, text="문의드려요", **fields):
        return self._next("message", user, at, text=text, **fields)

    def answer(self, user, at, admin="alice", text="안녕하세요 고객님", **fields):
        return self._next(
            "message", user, at, text=text, admin=admin, **{"from": "admin"}, **fields
        )

    def friend(self, user, at, added=True):
        return self._next("friend_add" if added else "friend_remove", user, at)


@pytest.fixture
def ev() -> Events:
    return Events()


def room_of(kchat: Kchat, user: str, *args) -> dict:
    rooms = kchat.json("rooms", "list", "--status", "all", "--limit", "0", *args)
    matching = [room for room in rooms if room["user"] == user]
    assert len(matching) == 1, f"no single room for {user}: {rooms}"
    return matching[0]


@pytest.fixture
def two_rooms_asking(kchat, ev):
    """u1 asks about a refund and u2 about a delivery (2026-11-20): their rooms' ids."""
    kchat.ingest(
        ev.says("u1", "2026-11-20 10:00", text="환불 문의"),
        ev.says("u2", "2026-11-20 10:01", text="배송 문의"),
    )
    return room_of(kchat, "u1")["id"], room_of(kchat, "u2")["id"]


def audit_entries(kchat: Kchat) -> list[dict]:
    """The audit log, as `kchat export audit -o jsonl` gives it."""
    return [
        json.loads(line) for line in kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    ]
