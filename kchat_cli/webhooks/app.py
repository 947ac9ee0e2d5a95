"""The receiver's HTTP side: `POST /events` and `GET /healthz`, and a log line a request.

A request is answered 200 only once its events are committed; any other answer applies
nothing. The checks go from the cheapest: the content type (415), the size (413), the
signature over the raw body (401), the body's JSON (400); then the store (503 when it
cannot take the events now, so that the platform sends them again).
"""

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from kchat_cli.webhooks.commits import Committer
from kchat_cli.webhooks.signing import Unsigned, verify

MAX_BODY = 1 << 20  # bytes
READ_WITHIN = 10.0  # seconds a client has to send its body
HEALTH_WITHIN = 2.0  # seconds a health check may take before the store counts as away
KINDS = ("application/json", "application/x-ndjson")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # of a log line, in the machine's time zone
log = logging.getLogger("kchat.serve")
# Starlette's JSONResponse makes an encoder an answer; one made once costs a tenth as much.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(content: dict, status: int = 200, headers: dict | None = None) -> Response:
    body = _ENCODER.encode(content)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


@dataclass(frozen=True)
class Receiver:
    secret: bytes
    committer: Committer
    health: Callable[[], str | None]  # None: the store is ready; else why not
    unavailable: Callable[[BaseException], bool]  # a failure the platform should retry


def make_app(receiver: Receiver) -> "RequestLog":
    health = _Health(receiver.health)

    async def events(request: Request) -> Response:
        if request.method != "POST":
            return _json({"error": "use POST"}, 405, headers={"Allow": "POST"})
        return await _events(receiver, request)

    async def healthz(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _json({"error": "use GET"}, 405, headers={"Allow": "GET, HEAD"})
        problem = await health.problem()
        if problem is None:
            return _json({"store": "ok", "schema": "current"})
        return _json({"store": "unavailable", "reason": problem}, 503)

    async def elsewhere(scope, receive, send) -> None:
        await _json({"error": "not found: the receiver has /events and /healthz"}, 404)(
            scope, receive, send
        )

    # Every method reaches the handlers, which answer 405 in JSON as every other refusal;
    # a path with a slash more is another path (404), not a redirect.
    routes = [Route("/events", _Endpoint(events)), Route("/healthz", _Endpoint(healthz))]
    # A bare router: RequestLog logs every answer and uvicorn answers 500 for what raises,
    # so Starlette's own error middlewares would only add their cost to every request.
    return RequestLog(Router(routes=routes, redirect_slashes=False, default=elsewhere))


class _Endpoint:
    """A handler as an ASGI app, which Starlette routes whatever the method (a function it
    would route for GET alone, answering other methods itself, in plain text)."""

    def __init__(self, handler: Callable):
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


class _Health:
    """The store's health, checked on a thread of its own, one check at a time: a store
    that stops answering holds that thread, never the server, and a check that takes over
    HEALTH_WITHIN is answered 503 (the requests meanwhile wait for the same check)."""

    def __init__(self, check: Callable[[], str | None]):
        self.check = check
        self.pending: Future | None = None

    async def problem(self) -> str | None:
        if self.pending is None or self.pending.done():
            self.pending = Future()
            threading.Thread(target=self._run, args=(self.pending,), daemon=True).start()
        checked = asyncio.shield(asyncio.wrap_future(self.pending))
        try:
            return await asyncio.wait_for(checked, HEALTH_WITHIN)
        except TimeoutError:
            return f"the store did not answer within {HEALTH_WITHIN:g} s"

    def _run(self, pending: Future) -> None:
        try:
            pending.set_result(self.check())
        except Exception as exc:  # told by name only: the text may hold the store's address
            pending.set_result(f"the store could not be checked ({type(exc).__name__})")


def _refusal(status: int, error: str) -> Response:
    return _json({"error": error}, status)


def _unread(status: int, error: str) -> Response:
    """A refusal that leaves the body unread, or read in part: the connection is closed
    after it, so that the rest of the body is never taken for a next request, nor keeps the
    connection (a client trickling a body would hold it for ever)."""
    return _json({"error": error}, status, headers={"Connection": "close"})


async def _events(receiver: Receiver, request: Request) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in KINDS:
        return _refusal(415, "the body must be application/json or application/x-ndjson")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _unread(413, "the body is over 1 MiB")
    try:
        body = await asyncio.wait_for(_body(request), READ_WITHIN)
    except TimeoutError:
        return _unread(408, "the body did not arrive in time")
    if body is None:
        return _unread(413, "the body is over 1 MiB")
    try:
        headers = request.headers
        timestamp, signed = headers.get("x-kchat-timestamp"), headers.get("x-kchat-signature")
        verify(receiver.secret, timestamp, signed, body, time.time())
    except Unsigned as exc:
        return _refusal(401, str(exc))
    bodies = _event_lines(kind, body)
    if bodies is None:
        return _refusal(400, "the body is not JSON")
    request.scope.setdefault("state", {})["events"] = len(bodies)
    try:
        results = await receiver.committer.submit(bodies)
    except Exception as exc:
        if receiver.unavailable(exc):
            return _refusal(503, "the store cannot take the events now; send them again")
        log.error("events not applied: %s", exc)  # a failure's name, never its text
        return _refusal(500, "the events were not applied")
    return _json(_answer(results))


async def _body(request: Request) -> bytes | None:
    """The raw body, or None once it is over MAX_BODY (the rest is not read)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _event_lines(kind: str, body: bytes) -> list[bytes] | None:
    """The events as `kchat ingest` reads them, a line each: one JSON value (written again
    on one line when it spans several, as the reject file keeps a line an event), or JSON
    lines (whose lines are checked one by one, as ingest checks them). None: not JSON."""
    body = body.removeprefix(b"\xef\xbb\xbf")  # a byte order mark, as ingest drops one
    if kind == "application/json":
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if b"\n" in body or b"\r" in body:  # as ASCII, so that a lone surrogate stays escaped
            return [json.dumps(value).encode()]
        return [body]
    lines = [line.rstrip(b"\r") for line in body.split(b"\n")]
    return [line for line in lines if line.strip()] or None


def _answer(results: list[tuple[str, str | None]]) -> dict:
    counted = {"applied": 0, "duplicate": 0, "refused": 0}
    entries = []
    for number, (result, reason) in enumerate(results, start=1):
        counted[result] += 1
        entry = {"event": number, "result": result}
        if reason is not None:
            entry["reason"] = reason
        entries.append(entry)
    return {
        "applied": counted["applied"],
        "duplicates": counted["duplicate"],
        "refused": counted["refused"],
        "results": entries,
    }


class RequestLog:
    """One line a request on stderr: time, method, path, status, events, duration; never a
    body, a header value or personal data (a path is cut and shown printable). Written
    straight to the stream: through `logging` it cost a seventh of the server's loop."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        scope.setdefault("state", {})

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            took = (time.perf_counter() - started) * 1000
            events = scope["state"].get("events", 0)
            log_request(scope["method"], scope["path"], status, events, took)


def log_request(method: str, path: str, status: int, events: int, took: float) -> None:
    """A request's line on stderr: time, method, path (cut, shown printable), status, the
    events it carried, milliseconds."""
    path = "".join(c if " " < c < "\x7f" else "?" for c in path[:80])
    when = time.strftime(TIME_FORMAT)
    sys.stderr.write(f"{when} {method} {path} {status} {events} events {took:.1f} ms\n")
    sys.stderr.flush()
