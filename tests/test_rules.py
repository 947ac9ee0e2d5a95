"""The rules the code and the tests name are the repository's own: every rule id cited in the
code, the tests, the scripts, the migrations or the README is defined once in docs/rules.md,
and nothing refers to a specification outside the repository."""

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "docs" / "rules.md"
RULE_ID = re.compile(r"\bR-[A-Z]+-[0-9]+\b")
DEFINED = re.compile(r"^- \*\*(R-[A-Z]+-[0-9]+)\*\* — ", re.M)
OUTSIDE = re.compile("SPEC " + "§|SPEC" + r"\.md")  # spelled apart, not to match itself


def sources() -> list[Path]:
    found = [ROOT / "README.md"]
    for folder in ("kchat_cli", "jobs", "sql", "scripts", "tests"):
        found += sorted((ROOT / folder).rglob("*.py"))
    return found


def defined() -> Counter:
    return Counter(DEFINED.findall(RULES.read_text(encoding="utf-8")))


def test_each_rule_is_defined_once():
    twice = [rule for rule, times in defined().items() if times > 1]
    assert defined() and twice == []


def test_every_rule_cited_is_defined_in_docs_rules():
    known = set(defined())
    missing = {
        f"{path.relative_to(ROOT)}: {rule}"
        for path in sources()
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8"))
        if rule not in known
    }
    assert missing == set()


def test_every_rule_defined_is_guarded_by_a_test():
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("*.py"))
    cited = set(RULE_ID.findall(tests.replace(RULES.read_text(encoding="utf-8"), "")))
    assert set(defined()) - cited == set()


def test_nothing_refers_to_a_specification_outside_the_repository():
    outside = [
        str(path.relative_to(ROOT))
        for path in sources()
        if OUTSIDE.search(path.read_text(encoding="utf-8"))
    ]
    assert outside == []
