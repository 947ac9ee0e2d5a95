"""Where the outbox goes (R-OUT-1), set by KCHAT_TRANSPORT: `file:PATH` (JSON lines, an
item's file beside them under PATH.files/), `stdout`, or an `http(s)://` URL (a POST of
JSON with an Idempotency-Key header; with a file, multipart/form-data carrying its bytes).
A file's bytes are read as they are sent, a chunk at a time."""

import fcntl
import json
import os
import secrets
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kchat_cli.errors import Invalid, MissingBytes
from kchat_cli.safe_json import json_text

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False  # a failure that retrying will not mend
    error: str | None = None


DELIVERED = Outcome(delivered=True)


@dataclass(frozen=True)
class Content:
    """The bytes of an item's file: `chunks()` reads them, raising MissingBytes when they
    are missing or damaged."""

    sha256: str
    size: int
    name: str
    mime: str
    chunks: Callable[[], Iterator[bytes]]


def _missing(exc: MissingBytes) -> Outcome:
    """An item whose bytes are gone fails alone, at once: retrying will not bring them."""
    return Outcome(False, permanent=True, error=str(exc))


class FileTransport:
    """JSON lines appended to a file (0600). A record is written whole or not at all: a
    write cut short (a full disk) is undone, and a torn last line left by a crash is cut
    off before the next record, so every line of the file is one whole record. An item's
    file is written first, whole, to PATH.files/SHA256 (0600, once per content), and its
    record says where (`file.path`): a reader that sees the record finds the whole file."""

    TAIL = 1 << 16

    def __init__(self, path: Path):
        self.path = path
        self.files = path.with_name(path.name + ".files")

    def send(self, payload: dict, content: Content | None = None) -> Outcome:
        if content is not None:
            try:
                where = self._write_file(content)
            except MissingBytes as exc:
                return _missing(exc)
            except OSError as exc:
                return Outcome(False, error=f"cannot write {self.files}: {exc.strerror}")
            payload = {**payload, "file": {**payload["file"], "path": str(where)}}
        record = (json_text(payload) + "\n").encode()
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            return Outcome(False, error=f"cannot open {self.path}: {exc.strerror}")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            whole = self._cut_torn_line(descriptor)
            try:
                written = os.write(descriptor, record)
            except OSError as exc:
                os.ftruncate(descriptor, whole)
                return Outcome(False, error=f"cannot write {self.path}: {exc.strerror}")
            if written != len(record):
                os.ftruncate(descriptor, whole)
                return Outcome(False, error=f"cannot write {self.path}: the disk is full")
            return DELIVERED
        finally:
            os.close(descriptor)

    def _write_file(self, content: Content) -> Path:
        target = self.files / content.sha256
        if target.exists() and target.stat().st_size == content.size:
            return target
        self.files.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.files, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as writer:
                for chunk in content.chunks():
                    writer.write(chunk)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def _cut_torn_line(self, descriptor: int) -> int:
        """The file's size once a last line without its newline is cut off."""
        end = os.fstat(descriptor).st_size
        if end == 0 or os.pread(descriptor, 1, end - 1) == b"\n":
            return end
        start = end
        while start > 0:
            start = max(0, start - self.TAIL)
            newline = os.pread(descriptor, end - start, start).rfind(b"\n")
            if newline >= 0:
                whole = start + newline + 1
                break
        else:
            whole = 0
        os.ftruncate(descriptor, whole)
        return whole


class StdoutTransport:
    """JSON lines on standard output: an item's file is named by its hash, not carried."""

    def send(self, payload: dict, content: Content | None = None) -> Outcome:
        sys.stdout.write(json_text(payload) + "\n")
        sys.stdout.flush()
        return DELIVERED


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the failure it is: POSTing the outbox somewhere else, or
    a body-less GET that a proxy's 200 would make look delivered, is never right."""

    def redirect_request(self, *args, **kwargs):
        return None


class HttpTransport:
    """One POST an item: its JSON record, or, with a file, multipart/form-data with a part
    `message` (the record) and a part `file` (the bytes, streamed). The Idempotency-Key
    header names the item, so a receiver that has it already answers 2xx again. 2xx is
    delivered; 3xx (never followed), 408, 429, 5xx and network failures are retried later;
    any other status, and missing bytes, are a permanent failure."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, payload: dict, content: Content | None = None) -> Outcome:
        record = json.dumps(payload, ensure_ascii=False).encode()
        if content is None:
            body, kind, length = record, "application/json; charset=utf-8", len(record)
        else:
            body, kind, length = _multipart(record, content)
        request = urllib.request.Request(
            self.url,
            method="POST",
            data=body,
            headers={
                "Content-Type": kind,
                "Content-Length": str(length),
                "Idempotency-Key": payload["idempotency_key"],
            },
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read()
            return DELIVERED
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                where = exc.headers.get("Location", "nowhere")
                return Outcome(False, error=f"HTTP {exc.code} redirect to {where}; not followed")
            retry = exc.code in (408, 429) or exc.code >= 500
            return Outcome(False, permanent=not retry, error=f"HTTP {exc.code} {exc.reason}")
        except MissingBytes as exc:
            return _missing(exc)
        except TimeoutError:
            return Outcome(False, error=f"no answer within {self.timeout:g} s")
        except (urllib.error.URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            return Outcome(False, error=f"cannot connect: {reason}")


def _multipart(record: bytes, content: Content) -> tuple[Iterator[bytes], str, int]:
    """The body (streamed: the file's bytes as they are read), its type and its length."""
    boundary = f"kchat-{secrets.token_hex(16)}"
    name = urllib.parse.quote(content.name, safe="")
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="message"\r\n'
        "Content-Type: application/json; charset=utf-8\r\n\r\n"
    ).encode() + record
    file_head = (
        f"\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {content.mime}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head + file_head
        yield from content.chunks()
        yield tail

    length = len(head) + len(file_head) + content.size + len(tail)
    return body(), f"multipart/form-data; boundary={boundary}", length


TRANSPORT_HINT = "KCHAT_TRANSPORT is file:PATH, stdout, or an http(s):// URL"


def open_transport(spec: str | None, home: Path, timeout: float = DEFAULT_TIMEOUT):
    spec = spec or f"file:{home / 'outbox.jsonl'}"
    if spec == "stdout":
        return StdoutTransport()
    if spec.startswith("file:"):
        named = spec.removeprefix("file:")
        path = Path(named).expanduser()
        if not named or path.is_dir():
            raise Invalid(f"the transport {spec!r} names no file", TRANSPORT_HINT)
        return FileTransport(path)
    if spec.startswith(("http://", "https://")):
        _check_url(spec)
        return HttpTransport(spec, timeout)
    raise Invalid(f"unknown transport {spec!r}", TRANSPORT_HINT)


def _check_url(url: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or any(ord(char) <= 0x20 for char in url):
        raise Invalid(f"the transport's URL {url!r} is not a URL", TRANSPORT_HINT)
