"""Files kchat writes for people: private (0600) and never half-written."""

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def private_output(path: Path | None) -> Iterator[TextIO]:
    """Standard output, or a file created 0600 that replaces `path` only once complete."""
    if path is None:
        yield sys.stdout
        return
    directory = path.resolve().parent
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def private_append(path: Path) -> TextIO:
    """A file opened for appending, created 0600 if new (it may hold personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(descriptor, "a", encoding="utf-8")
