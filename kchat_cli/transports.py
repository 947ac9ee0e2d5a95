"""Where the outbox goes (R-OUT-1), set by KCHAT_TRANSPORT: `file:PATH` (JSON lines),
`stdout`, or an `http(s)://` URL (a POST of JSON with an Idempotency-Key header)."""

import fcntl
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kchat_cli.errors import Invalid
from kchat_cli.safe_json import json_text

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False  # a failure that retrying will not mend
    error: str | None = None


DELIVERED = Outcome(delivered=True)


class FileTransport:
    """JSON lines appended to a file (0600). A record is written whole or not at all: a
    write cut short (a full disk) is undone, and a torn last line left by a crash is cut
    off before the next record, so every line of the file is one whole record."""

    TAIL = 1 << 16

    def __init__(self, path: Path):
        self.path = path

    def send(self, payload: dict) -> Outcome:
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
    def send(self, payload: dict) -> Outcome:
        sys.stdout.write(json_text(payload) + "\n")
        sys.stdout.flush()
        return DELIVERED


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the failure it is: POSTing the outbox somewhere else, or
    a body-less GET that a proxy's 200 would make look delivered, is never right."""

    def redirect_request(self, *args, **kwargs):
        return None


class HttpTransport:
    """2xx is delivered; 3xx (never followed), 408, 429, 5xx and network failures are
    retried later; any other status is a permanent failure."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirects)

    def send(self, payload: dict) -> Outcome:
        request = urllib.request.Request(
            self.url,
            method="POST",
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
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
        except TimeoutError:
            return Outcome(False, error=f"no answer within {self.timeout:g} s")
        except (urllib.error.URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            return Outcome(False, error=f"cannot connect: {reason}")


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
