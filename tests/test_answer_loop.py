"""Answering from the command line in one step: `send -`, `send --edit`, `send --complete`,
`rooms list --sort waiting` and `--who`, search hits that name their room and customer, and
`rooms show` that reads only what it shows and marks where the new messages begin."""

import json
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import room_of


def sent_texts(kchat) -> list[str]:
    return [item["text"] for item in kchat.json("outbox", "list")]


def test_send_dash_reads_the_text_from_standard_input(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("send", room, "-", input="주문 확인했습니다.\n내일 출고됩니다.\n")
    assert "주문 확인했습니다.\n내일 출고됩니다." in sent_texts(kchat)
    assert "-" not in sent_texts(kchat)


def test_send_dash_with_nothing_to_read_sends_nothing(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    refused = kchat("send", room, "-", input="", code=2)
    assert "the message is empty" in refused.stderr
    assert sent_texts(kchat) == []


@pytest.fixture
def drafts(tmp_path, monkeypatch) -> Path:
    """The temporary folder, where `send --edit` writes its drafts, for this test alone."""
    folder = tmp_path / "drafts"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_send_edit_sends_what_the_editor_wrote(kchat, ev, tmp_path):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text(encoding='utf-8') + ' 고쳐 씀\\n', encoding='utf-8')\n",
        encoding="utf-8",
    )
    kchat("send", room, "초안", "--edit", env={"VISUAL": f"{sys.executable} {editor}"})
    assert sent_texts(kchat) == ["초안 고쳐 씀"]


def test_send_edit_stops_when_the_editor_fails(kchat, ev, drafts):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    refused = kchat("send", room, "--edit", code=1, env={"VISUAL": "false"})
    assert refused.stderr == "error: the editor (false) did not finish; nothing was sent\n"
    assert list(drafts.iterdir()) == [], "an empty draft is not kept"
    assert sent_texts(kchat) == []


def editor(tmp_path: Path, text: str, *, first: str = "", exit_code: int = 0) -> dict:
    """$VISUAL set to an editor that notes the file it opened in `opened`, runs `first`
    (Python), writes `text` in the file and exits with `exit_code`."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import pathlib, subprocess, sys\n"
        f"pathlib.Path({str(tmp_path / 'opened')!r}).write_text(sys.argv[1], encoding='utf-8')\n"
        f"{first}\n"
        f"pathlib.Path(sys.argv[1]).write_text({text!r}, encoding='utf-8')\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    return {"VISUAL": f"{sys.executable} {script}"}


def opened(tmp_path: Path) -> Path:
    """The draft the editor was opened on."""
    return Path((tmp_path / "opened").read_text(encoding="utf-8"))


@pytest.mark.parametrize("refusal", ["blocked", "missing"])
def test_send_edit_refuses_a_room_before_the_editor_opens(kchat, ev, tmp_path, drafts, refusal):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    if refusal == "blocked":
        kchat("users", "block", room)
        expected = f"error: the user of room {room} is blocked; unblock first, if you may\n"
    else:
        room += 1
        expected = f"error: no room {room}; see kchat rooms list\n"
    refused = kchat("send", room, "--edit", code=1, env=editor(tmp_path, "답변"))
    assert refused.stderr == expected
    assert not (tmp_path / "opened").exists(), "the editor never opened"
    assert list(drafts.iterdir()) == []
    assert sent_texts(kchat) == []


def test_send_edit_asks_an_unverified_admin_to_verify_before_the_editor_opens(
    kchat, ev, tmp_path, drafts
):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("admins", "add", "bob", "--name", "박보검", "--phone", "010-1111-2222")
    refused = kchat("--as", "bob", "send", room, "--edit", code=1, env=editor(tmp_path, "답변"))
    assert refused.stderr == (
        "error: additional verification needed; run kchat --as bob auth send-code\n"
    )
    assert not (tmp_path / "opened").exists(), "the editor never opened"
    assert list(drafts.iterdir()) == []


def test_send_edit_keeps_a_too_long_draft_for_the_admin_alone(kchat, ev, tmp_path, drafts):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    text = "가" * 1200 + "\n"
    refused = kchat("send", room, "--edit", code=1, env=editor(tmp_path, text))
    draft = opened(tmp_path)
    assert refused.stderr == (
        f"your draft is kept in {draft}\n"
        "error: the message has 1200 characters; the limit is 1000\n"
    )
    assert draft.parent == drafts
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert draft.read_text(encoding="utf-8") == text
    assert sent_texts(kchat) == []


def test_send_edit_keeps_the_draft_when_the_editor_fails(kchat, ev, tmp_path, drafts):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    refused = kchat("send", room, "--edit", code=1, env=editor(tmp_path, "반쯤 쓴 답", exit_code=1))
    draft = opened(tmp_path)
    assert refused.stderr.splitlines() == [
        f"your draft is kept in {draft}",
        f"error: the editor ({editor(tmp_path, '반쯤 쓴 답')['VISUAL']}) did not finish; "
        "nothing was sent",
    ]
    assert draft.read_text(encoding="utf-8") == "반쯤 쓴 답"
    assert sent_texts(kchat) == []


def test_send_edit_keeps_the_draft_when_the_send_is_refused(kchat, ev, tmp_path, drafts):
    """The user is blocked by another admin while the admin writes: the send is refused."""
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    block = f"subprocess.run([sys.executable, '-m', 'kchat_cli', 'users', 'block', '{room}'])"
    refused = kchat("send", room, "--edit", code=1, env=editor(tmp_path, "답변", first=block))
    draft = opened(tmp_path)
    assert refused.stderr == (
        f"your draft is kept in {draft}\n"
        f"error: the user of room {room} is blocked; unblock first, if you may\n"
    )
    assert draft.read_text(encoding="utf-8") == "답변"
    assert sent_texts(kchat) == []


def test_send_edit_removes_the_draft_once_sent(kchat, ev, tmp_path, drafts):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    sent = kchat("send", room, "--edit", env=editor(tmp_path, "확인해 드릴게요.\n"))
    assert sent_texts(kchat) == ["확인해 드릴게요."]
    assert "draft" not in sent.stderr
    assert not opened(tmp_path).exists()
    assert list(drafts.iterdir()) == []


def test_send_edit_with_nothing_written_sends_and_keeps_nothing(kchat, ev, tmp_path, drafts):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    refused = kchat("send", room, "--edit", code=2, env=editor(tmp_path, " \n"))
    assert refused.stderr == "error: the message is empty\n"
    assert list(drafts.iterdir()) == []
    assert sent_texts(kchat) == []


def test_send_complete_answers_and_completes_in_one_step(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00"))
    room = room_of(kchat, "u1")["id"]
    kchat("send", room, "해결되었습니다.", "--complete")
    assert room_of(kchat, "u1")["status"] == "completed"
    assert sent_texts(kchat) == ["해결되었습니다."]
    audit = [
        json.loads(line) for line in kchat("export", "audit", "-o", "jsonl").stdout.splitlines()
    ]
    (entry,) = [entry for entry in audit if entry["action"] == "send"]
    assert entry["details"]["complete"] is True


def test_rooms_list_sort_waiting_puts_the_longest_waiting_first(kchat, ev):
    kchat.ingest(
        ev.says("early", "2026-11-20 09:00"),
        ev.answer("early", "2026-11-20 09:30"),
        ev.says("early", "2026-11-20 12:00"),  # waits since 12:00, after the answer
        ev.says("middle", "2026-11-20 10:00"),  # waits since 10:00
        ev.says("late", "2026-11-20 11:00"),
        ev.says("late", "2026-11-20 11:30"),  # waits since 11:00
        ev.says("done", "2026-11-20 08:00"),
        ev.answer("done", "2026-11-20 08:10"),  # nobody waits
    )
    order = [room["user"] for room in kchat.json("rooms", "list", "--sort", "waiting")]
    assert order == ["middle", "late", "early", "done"]
    newest = [room["user"] for room in kchat.json("rooms", "list")]
    assert newest == ["early", "late", "middle", "done"]


def waiting_since(kchat) -> dict[str, str | None]:
    return {
        room["user"]: room["waiting_since"]
        for room in kchat.json("rooms", "list", "--sort", "waiting", "--status", "all")
    }


def test_waiting_since_follows_answers_completions_and_reopens(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00"),
        ev.says("u1", "2026-11-20 09:05"),
        ev.says("u2", "2026-11-20 09:10"),
    )
    assert waiting_since(kchat) == {
        "u1": "2026-11-20T09:00:00+09:00",
        "u2": "2026-11-20T09:10:00+09:00",
    }, "since the oldest message nobody answered"
    kchat.ingest(ev.answer("u1", "2026-11-20 09:30"), ev.says("u1", "2026-11-20 09:40"))
    assert waiting_since(kchat)["u1"] == "2026-11-20T09:40:00+09:00", "since after the answer"
    kchat("rooms", "complete", room_of(kchat, "u2")["id"])
    assert waiting_since(kchat)["u2"] is None, "a completed room waits for nobody"
    kchat("rooms", "reopen", room_of(kchat, "u2")["id"])
    assert waiting_since(kchat)["u2"] == "2026-11-20T09:10:00+09:00", "reopened, it waits again"
    kchat.ingest(ev.answer("u2", "2026-11-20 10:00"))
    assert waiting_since(kchat)["u2"] is None


def test_rooms_list_who_finds_nickname_room_name_or_user_key(kchat, ev):
    kchat.ingest(
        ev.says("key-kim", "2026-11-20 09:00", nickname="김하늘"),
        ev.says("key-lee", "2026-11-20 09:10", nickname="이바다"),
        ev.says("key-100%", "2026-11-20 09:20", nickname="박"),
    )
    kchat("rooms", "rename", room_of(kchat, "key-lee")["id"], "VIP 고객 바다")

    def found(text: str) -> list[str]:
        return sorted(room["user"] for room in kchat.json("rooms", "list", "--who", text))

    assert found("하늘") == ["key-kim"]
    assert found("vip") == ["key-lee"], "the room's name, whatever the case"
    assert found("key-") == ["key-100%", "key-kim", "key-lee"]
    assert found("100%") == ["key-100%"], "% is a character, not a wildcard"
    assert found("_") == []
    refused = kchat("rooms", "list", "--who", " ", code=2)
    assert refused.stderr == (
        "error: --who: it is empty; give part of a nickname, room name or user key\n"
    )


def test_search_names_the_room_and_the_customer(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00", text="환불 문의", nickname="김하늘"))
    room = room_of(kchat, "u1")["id"]
    table = kchat("search", "환불").stdout
    header = table.splitlines()[0].split()
    assert header[:4] == ["ID", "TIME", "ROOM", "CUSTOMER"]
    assert f" {room} " in table.splitlines()[2] and "김하늘" in table
    (hit,) = json.loads(kchat("search", "환불", "-o", "json").stdout)
    assert (hit["room"], hit["name"], hit["user"]) == (room, "김하늘", "u1")


def test_search_finds_completed_rooms_as_its_help_says(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-20 10:00", text="환불 문의"))
    room = room_of(kchat, "u1")["id"]
    kchat("rooms", "complete", room)
    assert "[default: all]" in kchat("search", "--help").stdout
    assert len(kchat.json("search", "환불")) == 1


def test_rooms_show_reads_only_what_it_shows(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00", text="처음"),
        ev.answer("u1", "2026-11-20 09:05"),
        *(ev.says("u1", f"2026-11-20 10:{n:02d}", text=f"질문 {n}") for n in range(5)),
    )
    room = room_of(kchat, "u1")["id"]
    first = kchat("rooms", "show", room, "--limit", "3")
    assert [m["text"] for m in json_of_table(first.stdout)] == ["질문 0", "질문 1", "질문 2"]
    assert "2 newer messages not shown and still unread" in first.stderr
    assert room_of(kchat, "u1")["unread"] == 2
    second = kchat.json("rooms", "show", room, "--limit", "3")
    assert [(m["text"], m["new"]) for m in second["messages"]] == [
        ("질문 2", False),
        ("질문 3", True),
        ("질문 4", True),
    ]
    assert second["older_not_shown"] == 4 and second["newer_not_shown"] == 0
    assert room_of(kchat, "u1")["unread"] == 0


def test_rooms_show_marks_where_the_new_messages_begin(kchat, ev):
    kchat.ingest(
        ev.says("u1", "2026-11-20 09:00", text="예전 질문"),
        ev.answer("u1", "2026-11-20 09:05", text="예전 답변"),
        ev.says("u1", "2026-11-20 10:00", text="새 질문"),
        ev.says("u1", "2026-11-20 10:01", text="또 질문"),
    )
    room = room_of(kchat, "u1")["id"]
    lines = kchat("rooms", "show", room).stdout.splitlines()
    new_line = next(line for line in lines if "새 질문" in line)
    assert new_line.startswith("new")
    assert next(line for line in lines if "또 질문" in line).startswith("·")
    assert not next(line for line in lines if "예전 답변" in line).startswith(("new", "·"))
    again = kchat("rooms", "show", room, "--all")
    assert "new" not in again.stdout.split(), "nothing is new the second time"


def test_r_read_1_rooms_show_marks_in_the_order_it_shows_never_past_what_it_showed(kchat, ev):
    """30 messages of a new customer in one file, their guide notice numbered after them:
    a look at 10 shows the first 10 to arrive and reads those 10 alone."""
    kchat("settings", "guide-message", "on")
    kchat.ingest(
        *(ev.says("u1", f"2026-11-20 09:{n:02d}", text=f"질문 {n}") for n in range(30)),
        args=("--as-of", "2026-11-20T09:30"),
    )
    room = room_of(kchat, "u1")["id"]
    assert room_of(kchat, "u1")["unread"] == 30
    seen = []
    for left in (20, 10, 0):
        shown = kchat.json("rooms", "show", room, "--limit", "10")
        texts = [m["text"] for m in shown["messages"] if m["new"] and m["from"] == "user"]
        seen += texts
        assert room_of(kchat, "u1")["unread"] == left
    assert seen == [f"질문 {n}" for n in range(30)], "shown and read in the order they came"


def test_a_pager_that_fails_means_the_text_is_written_directly(monkeypatch):
    from io import StringIO

    from kchat_cli.render import Screen, page

    text = "".join(f"line {n}\n" for n in range(10))
    for pager, written in (("false", text), ("exit 127", text), ("kill -INT $$", "")):
        monkeypatch.setenv("PAGER", pager)
        out = StringIO()
        page(text, Screen(width=80, height=3, colour=False), out)
        assert out.getvalue() == written, pager


def test_rooms_show_marks_nothing_when_its_output_cannot_be_written(kchat, ev):
    import os
    import subprocess

    kchat.ingest(ev.says("u1", "2026-11-20 09:00", text="읽지 못한 질문"))
    room = room_of(kchat, "u1")["id"]
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads what it writes
    env = {**os.environ, "KCHAT_DB": kchat.url, "KCHAT_HOME": str(kchat.home)}
    env["KCHAT_ADMIN"] = "alice"
    done = subprocess.run(
        [sys.executable, "-m", "kchat_cli", "rooms", "show", str(room)],
        stdout=writer,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    os.close(writer)
    assert done.returncode == 0, done.stderr
    assert room_of(kchat, "u1")["unread"] == 1


def json_of_table(table: str) -> list[dict]:
    """The MESSAGE column of `rooms show`'s table rows, as {"text": …}."""
    rows = table.splitlines()[3:]
    return [{"text": " ".join(row.split()[-2:])} for row in rows]


def test_a_search_hit_shows_what_was_found_when_its_message_is_cut(kchat, ev):
    text = "배송이 너무 늦어서 여러 번 연락드렸는데 답이 없어 결국 환불을 요청합니다"
    kchat.ingest(ev.says("u1", "2026-11-20 10:00", text=text, nickname="김하늘"))
    table = kchat("search", "환불", env={"COLUMNS": "80"}).stdout
    (line,) = [line for line in table.splitlines() if "김하늘" in line]
    assert "환불" in line and "…" in line
    assert kchat.json("search", "환불")[0]["text"] == text, "JSON keeps the whole message"
