"""Images and files admins send (R-SEND-1): checked before anything is stored, then kept
by the attachment store (store/attachment_store.py: the home folder or the database), once
per content per channel, named by its SHA-256."""

import hashlib
import mimetypes
from datetime import datetime, timedelta
from pathlib import Path

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.conversations.conversation import FileInfo
from kchat_cli.errors import Invalid, Refused
from kchat_cli.store import attachment_store
from kchat_cli.store.attachment_store import AttachmentStore

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
# Bytes kept for a send are held this long: retention removes none that a send in progress
# may still link (its transaction then holds them again, for as long).
HOLD = timedelta(hours=1)


def keep(
    files: AttachmentStore, channel_id: int, source: Path, *, image: bool, now: datetime
) -> FileInfo:
    """Check `source` (R-SEND-1), hash it and put its bytes where the store keeps them,
    held for HOLD: all before the send's transaction, which then only links them."""
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
    sha256 = _hash(source)
    files.keep(channel_id, source, sha256, size, held_until=now + HOLD)
    return FileInfo(name=source.name, size=size, mime=mime, sha256=sha256)


def link(actor: Actor, file: FileInfo) -> None:
    """In the send's transaction: the bytes kept before are still there, and stay."""
    if not attachment_store.link(actor.db, actor.channel_id, file.sha256, actor.now + HOLD):
        raise Refused(f"the bytes of {file.name} were removed before it was sent", "send it again")


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


def _hash(source: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as reader:
        while chunk := reader.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()
