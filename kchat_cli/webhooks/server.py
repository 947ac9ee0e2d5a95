"""Running the receiver: the group committer, the writer process that applies its groups to
the store as the runtime opens it, and uvicorn.

uvicorn bounds what a connection may cost: headers (16 KiB), idle keep-alive (5 s),
connections at once (256); the app bounds a body (1 MiB, sent within 10 s). SIGTERM or
Ctrl-C stops accepting, lets the requests in flight finish (4 s at most), commits what
they submitted, and exits 0.
"""

import contextlib
import dataclasses
import logging
import signal
import sys

import sqlalchemy as sa
import uvicorn

from kchat_cli.domain.conversations.ingest import ingest, redacted
from kchat_cli.errors import Busy, Invalid, KchatError, StoreNotReady
from kchat_cli.files import private_append
from kchat_cli.lines import Line
from kchat_cli.store.engine import is_transient, is_unreachable
from kchat_cli.webhooks.app import TIME_FORMAT, Receiver, make_app
from kchat_cli.webhooks.commits import Committer, Results
from kchat_cli.webhooks.writer import NotApplied, Writer

REJECTS = "webhook-rejects.jsonl"  # under KCHAT_HOME: refused events, personal data redacted
# How long a group waits for the store before its requests are answered 503: well within a
# platform's webhook timeout, so that it sends them again rather than giving up.
PATIENCE = 5.0  # seconds


def listen_address(listen: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets: `[::1]:8787`; port 0: any free one)."""
    host, _, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not (port.isascii() and port.isdigit() and int(port) < 65536):
        raise Invalid(f"--listen takes HOST:PORT, not {listen!r}", "e.g. 127.0.0.1:8787")
    return host, int(port)


def serve(rt, listen: str, secret: str, ready) -> None:
    """Receive webhooks on `listen` until SIGTERM or Ctrl-C."""
    host, port = listen_address(listen)
    rt = dataclasses.replace(rt, patience=PATIENCE)
    _log_errors()
    writer = Writer(rt)
    try:
        committer = Committer(writer.apply)
        receiver = Receiver(secret.encode(), committer, lambda: _health(rt), _told_to_retry)
        config = uvicorn.Config(
            make_app(receiver),
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=5,
            limit_concurrency=256,
            h11_max_incomplete_event_size=16 * 1024,
            timeout_graceful_shutdown=4,
        )
        server = _Server(config)
        try:
            server.run(sockets=[_bound(config, ready)])
        finally:
            committer.close()
    finally:
        writer.close()


def _told_to_retry(exc: BaseException) -> bool:
    return isinstance(exc, NotApplied) and exc.unavailable


def _bound(config: uvicorn.Config, ready):
    """The listening socket, bound before the server starts so that a port in use is one
    clear error, and `ready` is told once requests can come."""
    try:
        sock = config.bind_socket()
    except SystemExit:
        raise Invalid(f"cannot listen on {config.host}:{config.port}") from None
    sock.listen(config.backlog)  # connections from now on wait for the server, not refused
    ready(f"http://{config.host}:{sock.getsockname()[1]}")
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        """SIGINT and SIGTERM stop the server; stopping is what they ask, so the process
        then exits 0 (uvicorn would raise them again)."""
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def applier(rt):
    batches, channel_id, sealer = rt.batches(), rt.channel().id, rt.sealer()
    rejects_path = rt.folder / REJECTS

    def apply(lines: list[Line]) -> Results:
        results: Results = {}
        refused: list[bytes] = []

        def on_refused(line: int, raw: bytes, reason: str) -> None:
            results[line] = ("refused", reason)
            refused.append(redacted(raw))

        ingest(
            batches,
            channel_id,
            lines,
            on_refused=on_refused,
            on_accepted=lambda line, duplicate: results.__setitem__(
                line, ("duplicate" if duplicate else "applied", None)
            ),
            seal=sealer.seal,
            batch_size=max(len(lines), 1),
        )
        if refused:
            with private_append(rejects_path) as rejects:
                rejects.writelines(raw + b"\n" for raw in refused)
        return results

    return apply


def _health(rt) -> str | None:
    try:
        revisions = rt.schema()
    except KchatError as exc:
        return str(exc)
    if revisions["current"] != revisions["head"]:
        return f"the schema is at {revisions['current']}, this kchat needs {revisions['head']}"
    return None


def unavailable(exc: BaseException) -> bool:
    """A failure of the store that a later try may not meet: the platform sends again."""
    return (
        isinstance(exc, Busy | StoreNotReady | sa.exc.OperationalError | sa.exc.InterfaceError)
        or is_transient(exc)
        or is_unreachable(exc)
    )


def _log_errors() -> None:
    log = logging.getLogger("kchat.serve")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", TIME_FORMAT))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
