"""Help and errors in one voice: human names for values, no rule ids or spec sections in
anything a user reads, whole summaries, every usage error one `error: …; hint` line with
exit 2, suggestions for mistyped commands and misplaced global options, and shell
completion for bash, zsh and fish."""

import ast
import re
from pathlib import Path

import pytest
import wcwidth
from typer.main import get_command
from typer.testing import CliRunner

from kchat_cli.app import app
from kchat_cli.commands import COMMANDS

REPOSITORY = Path(__file__).resolve().parent.parent
RULE_ID = re.compile(r"\bR-[A-Z]")
SPEC_SECTION = re.compile(r"SPEC|§")
TYPE_METAVAR = re.compile(r"<[a-z][^<>]*>")  # <int range>, <list[str]>, <str>, <path>…


def run_kchat(*args: str, env: dict | None = None):
    """kchat in-process, at 80 columns, on no store: help and usage errors need none."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})


def _every_command_and_group():
    """Every command and group a user can ask help of, by its full name."""
    root = get_command(app)
    pending = [(name, root.get_command(None, name)) for name in COMMANDS]
    while pending:
        name, command = pending.pop(0)
        yield name
        subcommands = getattr(command, "commands", {})
        pending += [(f"{name} {sub}", subcommand) for sub, subcommand in subcommands.items()]


def _listed_summaries(help_text: str) -> dict[str, str]:
    """The commands a group's help lists, each with its summary (wrapped lines joined)."""
    listed, name, inside = {}, None, False
    for line in help_text.splitlines():
        if line == "Commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside and (entry := re.match(r"  (\S+)\s{2,}(.*)", line)):
            name = entry[1]
            listed[name] = entry[2].strip()
        elif inside and name:
            listed[name] += " " + line.strip()
    return listed


def _cut_mid_phrase(summary: str) -> bool:
    unbalanced = summary.count("(") != summary.count(")") or summary.count("`") % 2
    cut_ending = summary.endswith(("e.g.", "i.e.", "...", "…", ",", "(", ";", ":"))
    return bool(unbalanced) or cut_ending or not summary.endswith(".")


HELP_OF = ["", *_every_command_and_group()]


@pytest.mark.parametrize("name", HELP_OF, ids=lambda name: name or "kchat")
def test_help_speaks_the_users_words(name):
    result = run_kchat(*name.split(), "--help")
    assert result.exit_code == 0, result.stderr
    shown = result.stdout
    assert not RULE_ID.search(shown), f"a rule id in kchat {name} --help:\n{shown}"
    assert not SPEC_SECTION.search(shown), f"a spec section in kchat {name} --help:\n{shown}"
    assert not TYPE_METAVAR.search(shown), f"a type metavar in kchat {name} --help:\n{shown}"
    usage = shown.splitlines()[0]
    assert usage.startswith("Usage: kchat") and "{" not in usage, usage
    too_wide = [line for line in shown.splitlines() if wcwidth.wcswidth(line) > 80]
    assert too_wide == [], f"kchat {name} --help is wider than 80 columns"
    for command, summary in _listed_summaries(shown).items():
        assert not _cut_mid_phrase(summary), f"kchat {name} lists {command}: {summary!r}"


def test_the_top_level_help_lists_every_command_whole_and_shows_examples():
    shown = run_kchat("--help").stdout
    assert list(_listed_summaries(shown)) == list(COMMANDS)
    assert _listed_summaries(shown) == {name: summary for name, (_, summary) in COMMANDS.items()}
    examples = shown.split("\nExamples:\n")[1].splitlines()
    assert len(examples) >= 3 and all(line.startswith("  kchat ") for line in examples)


def test_a_summary_cut_mid_phrase_is_caught():
    """The check above would see the summaries issue 17 found cut."""
    assert _cut_mid_phrase("Room labels (채팅방 라벨, R-LABEL-1), e.g.")
    assert _cut_mid_phrase("Show a room and its history, marking read what it shows,...")
    assert not _cut_mid_phrase("Block and unblock users (친구차단).")


USAGE_ERRORS = {
    "a bad choice": (
        ("rooms", "list", "--status", "unred"),
        "error: --status: 'unred' is not one of unread, unanswered, answered, completed, "
        "in-progress, all; did you mean 'unread'?",
    ),
    "a choice far from any": (
        ("export", "rooms", "-o", "table"),
        "error: --output: 'table' is not one of csv, jsonl; see kchat export rooms --help",
    ),
    "a bad integer": (
        ("rooms", "show", "abc"),
        "error: ROOM: 'abc' is not a whole number; see kchat rooms show --help",
    ),
    "a bad integer option": (
        ("send", "1", "--coupon", "x"),
        "error: --coupon: 'x' is not a whole number; see kchat send --help",
    ),
    "a number out of range": (
        ("rooms", "list", "-n", "-3"),
        "error: --limit: -3 is less than 0; see kchat rooms list --help",
    ),
    "a missing argument": (
        ("rooms", "show"),
        "error: missing ROOM; usage: kchat rooms show [OPTIONS] ROOM",
    ),
    "a missing option": (
        ("init", "--owner", "alice"),
        "error: missing --name NAME; see kchat init --help",
    ),
    "a mistyped command": (
        ("room", "list"),
        "error: no command 'room'; did you mean 'rooms'?",
    ),
    "a mistyped subcommand": (
        ("settings", "hours", "sett"),
        "error: no command 'settings hours sett'; did you mean 'settings hours set'?",
    ),
    "an unknown command": (
        ("frobnicate",),
        "error: no command 'frobnicate'; see kchat --help",
    ),
    "a mistyped option": (
        ("rooms", "list", "--sor", "waiting"),
        "error: kchat rooms list has no option --sor; did you mean --sort?",
    ),
    "an unexpected argument": (
        ("rooms", "show", "1", "2"),
        "error: unexpected argument '2'; usage: kchat rooms show [OPTIONS] ROOM",
    ),
    "a misplaced --as": (
        ("rooms", "list", "--as", "minji"),
        "error: --as goes before the command; run kchat --as minji rooms list",
    ),
    "a misplaced --db": (
        ("rooms", "list", "-o", "json", "--db", "./team.db"),
        "error: --db goes before the command; run kchat --db ./team.db rooms list -o json",
    ),
    "a misplaced --channel": (
        ("--as", "minji", "rooms", "--channel=헬로 카페", "list"),
        "error: --channel goes before the command; "
        "run kchat '--channel=헬로 카페' --as minji rooms list",
    ),
}


@pytest.mark.parametrize("args, line", USAGE_ERRORS.values(), ids=list(USAGE_ERRORS))
def test_a_usage_error_is_one_line_with_a_hint_and_exit_2(args, line, tmp_path):
    result = run_kchat(*args, env={"KCHAT_HOME": str(tmp_path)})
    assert (result.exit_code, result.stderr) == (2, line + "\n")
    assert result.stdout == ""


def test_no_pydantic_or_click_phrasing_in_a_usage_error(tmp_path):
    for args, _ in USAGE_ERRORS.values():
        said = run_kchat(*args, env={"KCHAT_HOME": str(tmp_path)}).stderr
        for foreign in ("Usage:", "Try '", "Error:", "Invalid value", "Value error", "Input "):
            assert foreign not in said, said


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_a_script_for_the_shell(shell, tmp_path):
    result = run_kchat("completion", shell, env={"KCHAT_HOME": str(tmp_path)})
    assert result.exit_code == 0 and result.stderr == ""
    assert "kchat" in result.stdout and "_KCHAT_COMPLETE=complete_" + shell in result.stdout


def test_completion_answers_the_shell_with_commands_options_and_choices(tmp_path):
    def completions(words: str) -> list[str]:
        env = {
            "KCHAT_HOME": str(tmp_path),
            "_KCHAT_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        return run_kchat(env=env).stdout.split()

    assert completions("kchat ro") == ["rooms"]
    assert completions("kchat rooms li") == ["list"]
    assert completions("kchat rooms list --status un") == ["unread", "unanswered"]


def _user_facing_strings(path: Path):
    """String constants that are not docstrings: what code says to someone (help is
    checked above through --help)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, documented) and node.body and isinstance(node.body[0], ast.Expr)
    }
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and id(node) not in docstrings:
            yield node.lineno, text


def test_no_message_in_the_code_carries_a_rule_id_or_a_spec_section():
    sources = [*(REPOSITORY / "kchat_cli").rglob("*.py"), *(REPOSITORY / "jobs").rglob("*.py")]
    found = [
        f"{path.relative_to(REPOSITORY)}:{line}: {text!r}"
        for path in sources
        for line, text in _user_facing_strings(path)
        if RULE_ID.search(text) or SPEC_SECTION.search(text)
    ]
    assert found == []


def test_a_refusal_from_the_domain_speaks_without_rule_ids(kchat, ev):
    kchat.ingest(ev.says("u1", "2026-11-23 09:01", text="환불 문의"))
    room = str(kchat.json("rooms", "list")[0]["id"])
    kchat("users", "block", room)
    kchat("rooms", "leave", room, "--yes")
    said = kchat("users", "unblock", room, code=1).stderr
    assert said.startswith("error: the block is permanent") and not RULE_ID.search(said)
