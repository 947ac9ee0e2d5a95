"""Images and files admins send (R-SEND-1): checked before anything is stored, then kept
content-addressed under KCHAT_HOME/files (one copy per content, named by its SHA-256)."""

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

from kchat_cli.domain.conversations.conversation import FileInfo
from kchat_cli.errors import Invalid, Refused

MIB = 1024 * 1024
IMAGE_LIMIT = 20 * MIB
FILE_LIMIT = 300 * MIB
IMAGE_TYPES = {  # by extension: (mime, what the content must start with)
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
}
EXECUTABLES = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")


def files_dir(home: Path) -> Path:
    return home / "files"


def path_of(home: Path, sha256: str) -> Path:
    return files_dir(home) / sha256[:2] / sha256


def store(home: Path, source: Path, *, image: bool) -> FileInfo:
    size = _size(source)
    limit = IMAGE_LIMIT if image else FILE_LIMIT
    if size > limit:
        raise Refused(
            f"{source.name} is {size / MIB:.1f} MiB; "
            f"{'an image' if image else 'a file'} may be {limit // MIB} MiB at most"
        )
    if size == 0:
        raise Invalid(f"{source.name} is empty")
    mime = (
        _image_type(source)
        if image
        else (mimetypes.guess_type(source.name)[0] or "application/octet-stream")
    )
    return FileInfo(name=source.name, size=size, mime=mime, sha256=_keep(home, source))


def _size(source: Path) -> int:
    if not source.exists():
        raise Invalid(f"no file {source}")
    if not source.is_file():
        raise Invalid(f"{source} is not a regular file", "name an image or a file to send")
    return source.stat().st_size


def _image_type(source: Path) -> str:
    """By name and by content: jpg, jpeg, png or gif, whose bytes say so too."""
    extension = source.suffix.lower().lstrip(".")
    if extension not in IMAGE_TYPES:
        raise Refused(
            f"{source.name} is not a jpg, jpeg, png or gif image", "send it with --file instead"
        )
    mime, signatures = IMAGE_TYPES[extension]
    with source.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(EXECUTABLES):
        raise Refused(f"{source.name} is an executable, not an image")
    if not head.startswith(signatures):
        raise Refused(f"{source.name} is not a {extension} image: its content says otherwise")
    return mime


def _keep(home: Path, source: Path) -> str:
    """Copy into the content store (0600, folders 0700); one copy per content."""
    folder = files_dir(home)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with source.open("rb") as reader, os.fdopen(descriptor, "wb") as writer:
            while chunk := reader.read(MIB):
                digest.update(chunk)
                writer.write(chunk)
        sha256 = digest.hexdigest()
        target = path_of(home, sha256)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        if target.exists():
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
        return sha256
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
