"""Files kchat writes for people: private (0600), never half-written, and never put in the
place of something that is not a regular file (a FIFO, a device, a symbolic link)."""

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from kchat_cli.errors import Invalid, KchatError


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
    folder = _folder_of(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    except OSError as exc:
        raise KchatError(f"cannot write in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def refuse_own(path: Path | None, own: dict[str, Path]) -> None:
    """An export must not land on one of kchat's own files (the store, its key)."""
    if path is None or not path.exists():
        return
    for what, file in own.items():
        if file.exists() and os.path.samefile(path, file):
            raise Invalid(f"{path} is kchat's {what}", "name another file")


def private_append(path: Path) -> BinaryIO:
    """A file opened for appending bytes, created 0600 if new (it may hold personal data);
    a FIFO only when someone reads it (kchat does not wait for a reader)."""
    if _existing(path) is None:
        _folder_of(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise Invalid(f"no one reads the FIFO {path}") from None
        raise KchatError(f"cannot write {path}: {exc.strerror}") from None
    os.set_blocking(descriptor, True)
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
