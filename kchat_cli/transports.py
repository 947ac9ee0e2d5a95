"""Where the outbox goes (SPEC §5), set by KCHAT_TRANSPORT: `file:PATH` (JSON lines),
`stdout`, or an `http(s)://` URL (a POST of JSON with an Idempotency-Key header)."""

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kchat_cli.errors import Invalid
from kchat_cli.files import private_append

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False  # a failure that retrying will not mend
    error: str | None = None


DELIVERED = Outcome(delivered=True)


class FileTransport:
    def __init__(self, path: Path):
        self.path = path

    def send(self, payload: dict) -> Outcome:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with private_append(self.path) as out:
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return DELIVERED


class StdoutTransport:
    def send(self, payload: dict) -> Outcome:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return DELIVERED


class HttpTransport:
    """2xx is delivered; 408, 429, 5xx and network failures are retried later; any other
    status is a permanent failure."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout

    def send(self, payload: dict) -> Outcome:
        request = urllib.request.Request(
            self.url, method="POST", data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Idempotency-Key": payload["idempotency_key"]})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
            return DELIVERED
        except urllib.error.HTTPError as exc:
            retry = exc.code in (408, 429) or exc.code >= 500
            return Outcome(False, permanent=not retry, error=f"HTTP {exc.code} {exc.reason}")
        except TimeoutError:
            return Outcome(False, error=f"no answer within {self.timeout:g} s")
        except (urllib.error.URLError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            return Outcome(False, error=f"cannot connect: {reason}")


def open_transport(spec: str | None, home: Path, timeout: float = DEFAULT_TIMEOUT):
    spec = spec or f"file:{home / 'outbox.jsonl'}"
    if spec == "stdout":
        return StdoutTransport()
    if spec.startswith("file:"):
        return FileTransport(Path(spec.removeprefix("file:")).expanduser())
    if spec.startswith(("http://", "https://")):
        return HttpTransport(spec, timeout)
    raise Invalid(
        f"unknown transport {spec!r}", "KCHAT_TRANSPORT is file:PATH, stdout, or an http(s):// URL"
    )
