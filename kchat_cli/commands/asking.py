"""Asking the admin: a confirmation on a terminal, a text written in their editor."""

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from kchat_cli.commands.speech import say
from kchat_cli.errors import Refused


def confirmed(question: str, *, yes: bool) -> bool:
    """True with --yes; otherwise ask on a terminal, and refuse without one (exit 1)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise Refused(f"{question} needs --yes", "no terminal to ask")
    return typer.confirm(question, err=True)


@contextlib.contextmanager
def written_in_editor(start: str) -> Iterator[str]:
    """What the admin writes in $VISUAL or $EDITOR (vi when neither is set), starting from
    `start`, in a draft file that is theirs alone (0600). The draft is removed once the work
    done with the text in the `with` block succeeds; when the editor or that work fails, a
    draft with something in it is kept and its path said, so that nothing written is lost."""
    import os
    import shlex
    import subprocess
    import tempfile

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    descriptor, name = tempfile.mkstemp(prefix="kchat-draft-", suffix=".txt")
    draft = Path(name)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(start)
    try:
        if subprocess.run([*shlex.split(editor), name], check=False).returncode != 0:
            raise Refused(f"the editor ({editor}) did not finish; nothing was sent")
        yield draft.read_text(encoding="utf-8").rstrip("\n")
    except BaseException:
        _keep_if_written(draft)
        raise
    draft.unlink()


def _keep_if_written(draft: Path) -> None:
    """A draft with something in it stays, the admin's alone, and its path is said; an empty
    one goes."""
    if draft.exists() and draft.read_text(encoding="utf-8", errors="replace").strip():
        draft.chmod(0o600)
        say(f"your draft is kept in {draft}")
    else:
        draft.unlink(missing_ok=True)
