"""R-INPUT-1: whatever a line holds, ingest applies it or refuses it on its own, with its line
number and reason; the good lines around it are applied and the exit code is 0 or 3."""

import itertools
import json
import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa
from conftest import kst, room_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kchat_cli.store.models import IngestedEvent, Message

SHA = "ab" * 32
FRESH = "(fresh id)"  # replaced by a new id for each example: examples share a store


def lines_file(tmp_path, lines: list[str], name="events.jsonl", end="\n") -> str:
    path = tmp_path / name
    path.write_bytes(end.join(lines).encode("utf-8", "surrogatepass") + end.encode())
    return str(path)


def applied_ids(kchat) -> set[str]:
    with kchat.engine.connect() as connection:
        return set(connection.execute(sa.select(IngestedEvent.event_id)).scalars())


def message(event_id: str, user: str = "u1", **fields) -> dict:
    return {
        "id": event_id,
        "type": "message",
        "user": user,
        "ts": kst("2026-11-20 10:00"),
        "text": "문의드려요",
        **fields,
    }


def raw(event: dict) -> str:
    """An event line as a messenger might write it: lone surrogates as JSON escapes."""
    return json.dumps(event, ensure_ascii=True)


# Hostile values: every JSON type, huge and negative numbers, absurd times, controls, NUL,
# lone surrogates, deep nesting and long strings.
HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, -1, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\ud800",
            "\udfff",
            "\x1b[2J\x1b]0;owned\x07",
            "\u202eevil",
            "9999-12-31T23:59:59",
            "0001-01-01T00:00:00",
            "2026-13-45T99:99",
            "x" * 300_000,
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(min_value=50, max_value=5000).map(lambda depth: "[" * depth + "]" * depth),
)
FIELDS = ["type", "user", "ts", "text", "kind", "from", "admin", "legacy", "nickname", "file"]
# An id is kept exactly: these can never be one.
BAD_IDS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["", " ", "\x00", "a\ud800", "\x1b[2J", "x" * 201]),
)
# Lines that are not JSON events at all (their text, as it is written to the file).
GARBAGE = st.sampled_from(
    [
        "not json",
        "{",
        "[]",
        "null",
        "42",
        '"text"',
        "{" * 100_000 + "}" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"n": ' + "9" * 5000 + "}",
        "\ufeff{}",
    ]
)
GOOD_TEXT = st.text(min_size=1, max_size=40).filter(str.strip) | st.sampled_from(
    ["a\x00b", "a\ud800b", "\x1b[31mred", "=cmd|' /C calc'!A1", "줄\n바꿈"]
)


@st.composite
def event_lines(draw) -> list[tuple[str, str]]:
    """Lines with what ingest must do with them: 'applied', 'refused', or 'either' (a hostile
    value that happens to be valid)."""
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        choice = draw(st.sampled_from(["good", "good", "field", "id", "garbage"]))
        if choice == "good":
            lines.append((raw(message(FRESH, text=draw(GOOD_TEXT))), "applied"))
        elif choice == "id":
            lines.append((raw(message(FRESH, id=draw(BAD_IDS))), "refused"))
        elif choice == "field":
            field, value = draw(st.sampled_from(FIELDS)), draw(HOSTILE_VALUES)
            lines.append((raw(message(FRESH, **{field: value})), "either"))
        else:
            lines.append((draw(GARBAGE), "refused"))
    return lines


_ids = itertools.count()


def numbered(lines: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Give every event a fresh id (examples share a store), returning (id, line, expected)."""
    numbered_lines = []
    for line, expected in lines:
        event_id = f"p{next(_ids)}"
        line = line.replace(f'"id": "{FRESH}"', f'"id": "{event_id}"', 1)
        numbered_lines.append((event_id, line, expected))
    return numbered_lines


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(lines=event_lines())
def test_r_input_1_no_line_stops_ingest_good_lines_apply_bad_ones_are_refused(
    kchat, tmp_path, lines
):
    events = numbered(lines)
    source = lines_file(tmp_path, [line for _, line, _ in events])
    rejects = tmp_path / "rejects.jsonl"
    rejects.unlink(missing_ok=True)
    result = kchat.runner.invoke(
        kchat_app(), ["ingest", source, "--reject-file", str(rejects)], env=kchat.env
    )
    assert result.exit_code in (0, 3), result.stderr
    applied = applied_ids(kchat)
    rejected = rejects.read_bytes().splitlines() if rejects.exists() else []
    refused_numbers = {
        int(line.split(":")[0].removeprefix("line "))
        for line in result.stderr.splitlines()
        if line.startswith("line ")
    }
    for number, (event_id, line, expected) in enumerate(events, start=1):
        if event_id in applied:
            assert expected != "refused", f"line {number} applied: {line[:80]}"
            assert number not in refused_numbers
        else:
            assert expected != "applied", f"line {number} not applied: {result.stderr}"
            assert number in refused_numbers, f"line {number} neither applied nor refused"
    assert len(rejected) == len(refused_numbers)
    assert result.exit_code == (3 if refused_numbers else 0)


def kchat_app():
    from kchat_cli.app import app

    return app


def test_r_input_1_a_nul_is_kept_as_a_visible_replacement_and_the_batch_applies(kchat):
    """On PostgreSQL a NUL stopped ingest: the whole batch rolled back, every rerun too."""
    result = kchat.ingest(message("e1", text="안녕\x00하세요"), message("e2", user="u2"))
    assert "2 applied, 0 duplicates, 0 refused" in result.stderr
    with kchat.engine.connect() as connection:
        texts = connection.execute(sa.select(Message.text).order_by(Message.id)).scalars().all()
    assert texts == ["안녕\ufffd하세요", "문의드려요"]


def test_r_input_1_a_lone_surrogate_is_replaced_in_every_text_field(kchat, tmp_path):
    lines = [
        raw(message("e1", text="a\ud800", nickname="b\udfff")),
        raw(
            {
                "id": "e2",
                "type": "comment",
                "user": "u2",
                "ts": kst("2026-11-20 10:00"),
                "post": "p1",
                "text": "c\ud800",
            }
        ),
        raw(
            message(
                "e3",
                kind="file",
                text=None,
                file={"name": "f\ud800.pdf", "size": 3, "mime": "x/y", "sha256": SHA},
            )
        ),
    ]
    kchat("ingest", lines_file(tmp_path, lines))
    assert room_of(kchat, "u1")["name"] == "b\ufffd"
    assert [c["text"] for c in kchat.json("comments", "list")] == ["c\ufffd"]
    shown = kchat.json("rooms", "show", room_of(kchat, "u1")["id"])["messages"]
    assert [m["text"] for m in shown][:1] == ["a\ufffd"]
    assert shown[1]["file"]["name"] == "f\ufffd.pdf"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"id": "x1", "type": "message", "user": "u1", "ts": "2026-11-20T10:00:00", '
            '"text": "hi", "n": ' + "9" * 5000 + "}",
            "not JSON (a number too long to read)",
        ),
        ('{"id": ' + "9" * 5000 + ', "type": "open"}', "not JSON (a number too long to read)"),
        (
            raw(
                message(
                    "x2",
                    kind="file",
                    file={"name": "a", "size": 2**63, "mime": "x/y", "sha256": SHA},
                )
            ),
            "file.size must be a whole number of bytes, at most 1 TiB",
        ),
        (raw(message("x3", ts="9999-12-31T23:59:59")), "ts is out of range (years 2000 to 2099"),
        (raw(message("x4", ts="0001-01-01T00:00:00")), "ts is out of range (years 2000 to 2099"),
        (raw(message("x5", ts="9999-12-31T23:59:59-12:00")), "ts is out of range"),
        # In range as written, not in Korea: 2100-01-01 22:59 and 1999-12-31 19:00 there.
        (raw(message("x5b", ts="2099-12-31T23:59:59-14:00")), "ts is out of range"),
        (raw(message("x5c", ts="2000-01-01T00:00:00+14:00")), "ts is out of range"),
        ("[" * 100_000 + "]" * 100_000, "not JSON (nested too deeply)"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "not JSON (nested too deeply)"),
        (raw(message("x6", user="u\x00")), "user holds control characters"),
        (raw(message("x7", id="x\ud800")), "id holds an unpaired surrogate"),
        (raw(message("x8", text="x" * 100_001)), "text is longer than 100,000 characters"),
        ('{"id": "x9", "text": "' + "x" * (1 << 20) + '"}', "longer than 1,048,576 bytes"),
    ],
)
def test_r_input_1_hostile_lines_are_refused_alone(kchat, tmp_path, line, reason):
    good = [raw(message("g1")), raw(message("g2", user="u2"))]
    rejects = tmp_path / "rejects.jsonl"
    result = kchat(
        "ingest", lines_file(tmp_path, [good[0], line, good[1]]), "--reject-file", rejects, code=3
    )
    assert f"line 2: {reason}" in result.stderr
    assert "1 refused" in result.stderr
    assert {"g1", "g2"} <= applied_ids(kchat)
    (kept,) = rejects.read_bytes().splitlines()
    assert kept == line.encode()[: len(kept)], "the reject file keeps the line as it came"


@pytest.mark.parametrize("end", ["\r\n", "\r"])
def test_r_input_1_crlf_and_cr_only_line_ends(kchat, tmp_path, end):
    lines = [raw(message(f"e{n}", user=f"u{n}")) for n in range(3)]
    result = kchat("ingest", lines_file(tmp_path, lines, end=end))
    assert "3 applied" in result.stderr


def test_r_input_1_a_byte_order_mark_before_the_first_line_is_dropped(kchat, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + raw(message("e1")).encode() + b"\n")
    assert "1 applied" in kchat("ingest", path).stderr


def test_r_input_1_a_store_refusal_of_one_line_costs_only_that_line(kchat, tmp_path):
    """Validation cannot foresee every store's refusal: the batch is applied without the
    line the store refuses (here a trigger refuses the text 'poison')."""
    with kchat.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN "
                "IF NEW.text = 'poison' THEN RAISE EXCEPTION 'poisoned' USING ERRCODE = '22000';"
                " END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW "
                "EXECUTE FUNCTION poison()"
            )
    lines = [
        raw(message(f"e{n}", user=f"u{n % 7}", text="poison" if n == 37 else f"ok {n}"))
        for n in range(100)
    ]
    rejects = tmp_path / "rejects.jsonl"
    result = kchat("ingest", lines_file(tmp_path, lines), "--reject-file", rejects, code=3)
    assert "99 applied, 0 duplicates, 1 refused" in result.stderr
    assert "line 38: the store cannot hold it" in result.stderr
    assert rejects.read_text().splitlines() == [lines[37]]
    assert "e37" not in applied_ids(kchat), "the refused line can be ingested again"


def run_kchat(kchat, *args, **kwargs) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KCHAT_DB": kchat.url,
        "KCHAT_HOME": str(kchat.home),
        "KCHAT_ADMIN": "alice",
    }
    return subprocess.run(
        [sys.executable, "-m", "kchat_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def test_r_input_1_a_fifo_and_process_substitution_are_read(kchat, tmp_path):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w", encoding="utf-8") as stream:
            stream.write(raw(message("f1")) + "\n")

    writer = threading.Thread(target=write)
    writer.start()
    assert "1 applied" in run_kchat(kchat, "ingest", str(fifo)).stderr
    writer.join()
    read_end, write_end = os.pipe()
    os.write(write_end, (raw(message("f2", user="u2")) + "\n").encode())
    os.close(write_end)
    done = run_kchat(kchat, "ingest", f"/dev/fd/{read_end}", pass_fds=(read_end,))
    os.close(read_end)
    assert done.returncode == 0, done.stderr
    assert "1 applied" in done.stderr
    assert {"f1", "f2"} <= applied_ids(kchat)


def test_r_input_1_dev_stdin_is_read(kchat):
    done = run_kchat(kchat, "ingest", "/dev/stdin", input=raw(message("s1")) + "\n")
    assert done.returncode == 0, done.stderr
    assert "s1" in applied_ids(kchat)
