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
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from kchat_cli.webhooks.commits import Committer
from kchat_cli.webhooks.signing import Unsigned, verify

MAX_BODY = 1 << 20  # bytes
READ_WITHIN = 10.0  # seconds a client has to send its body
KINDS = ("application/json", "application/x-ndjson")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # of a log line, in the machine's time zone
log = logging.getLogger("kchat.serve")
# Starlette's JSONResponse makes an encoder an answer; one made once costs a tenth as much.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(content: dict, status: int = 200) -> Response:
    return Response(_ENCODER.encode(content), status_code=status, media_type="application/json")


@dataclass(frozen=True)
class Receiver:
    secret: bytes
    committer: Committer
    health: Callable[[], str | None]  # None: the store is ready; else why not
    unavailable: Callable[[BaseException], bool]  # a failure the platform should retry


def make_app(receiver: Receiver) -> "RequestLog":
    async def events(request: Request) -> Response:
        return await _events(receiver, request)

    async def healthz(request: Request) -> Response:
        problem = await run_in_threadpool(receiver.health)
        if problem is None:
            return _json({"store": "ok", "schema": "current"})
        return _json({"store": "unavailable", "reason": problem}, 503)

    routes = [
        Route("/events", events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    # A bare router: RequestLog logs every answer and uvicorn answers 500 for what raises,
    # so Starlette's own error middlewares would only add their cost to every request.
    return RequestLog(Router(routes=routes))


def _refusal(status: int, error: str) -> Response:
    return _json({"error": error}, status)


async def _events(receiver: Receiver, request: Request) -> Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in KINDS:
        return _refusal(415, "the body must be application/json or application/x-ndjson")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _refusal(413, "the body is over 1 MiB")
    try:
        body = await asyncio.wait_for(_body(request), READ_WITHIN)
    except TimeoutError:
        return _refusal(408, "the body did not arrive in time")
    if body is None:
        return _refusal(413, "the body is over 1 MiB")
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
    if kind == "application/json":
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if b"\n" in body or b"\r" in body:
            return [json.dumps(value, ensure_ascii=False).encode()]
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
            path = "".join(c if " " < c < "\x7f" else "?" for c in scope["path"][:80])
            when = time.strftime(TIME_FORMAT)
            line = f"{when} {scope['method']} {path} {status} {events} events {took:.1f} ms\n"
            sys.stderr.write(line)
            sys.stderr.flush()
