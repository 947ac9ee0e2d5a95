"""Files kchat writes for people: private (0600), never half-written, and never put in the
place of something that is not a regular file (a FIFO, a device, a symbolic link)."""

import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from kchat_cli.errors import Invalid


@contextmanager
def private_output(path: Path | None) -> Iterator[TextIO]:
    """Where an export goes. Standard output for no path, `-` or a name of it (/dev/stdout);
    a FIFO, a terminal or another device, written as it is; a regular file, created 0600,
    that replaces `path` only once complete. A folder or a symbolic link is refused."""
    if path is None or str(path) == "-" or _is_stdout(path):
        yield sys.stdout
        return
    found = _existing(path)
    if found is not None and not stat.S_ISREG(found.st_mode):
        with open(path, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    descriptor, temporary = tempfile.mkstemp(dir=_folder_of(path), prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def private_append(path: Path) -> BinaryIO:
    """A file opened for appending bytes, created 0600 if new (it may hold personal data)."""
    found = _existing(path)
    if found is None:
        _folder_of(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(descriptor, "ab")


def _existing(path: Path) -> os.stat_result | None:
    """What is at `path`, if anything: never a folder, nor a symbolic link to a file (which
    a new file would replace); a link to a FIFO or a device (/dev/fd/N) is followed."""
    try:
        found = os.lstat(path)
        if stat.S_ISLNK(found.st_mode):
            found = os.stat(path)
            if stat.S_ISREG(found.st_mode):
                raise FileNotFoundError
    except FileNotFoundError:
        if os.path.islink(path):
            raise Invalid(f"{path} is a symbolic link", "name the file itself") from None
        return None
    if stat.S_ISDIR(found.st_mode):
        raise Invalid(f"{path} is a folder", "name a file in it")
    return found


def _folder_of(path: Path) -> Path:
    folder = path.absolute().parent
    if not folder.is_dir():
        raise Invalid(
            f"no folder {folder}", "create it first, or name a file in a folder that exists"
        )
    return folder


def _is_stdout(path: Path) -> bool:
    """/dev/stdout, /proc/self/fd/1 and the like: the same file as standard output."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False
