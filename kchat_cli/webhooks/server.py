"""Running the receiver: the group committer, the writer process that applies its groups to
the store as the runtime opens it, and uvicorn.

What a connection may cost is bounded: its request's head (16 KiB, within 10 s; see
`connections`), idle keep-alive (5 s), connections at once (256), a body (1 MiB, within
10 s). SIGTERM or Ctrl-C stops accepting and lets the requests in flight finish: what the
store commits within STOP_GRACE is answered 200, the rest 503 (the platform sends it
again); then the process exits 0. A second signal answers what is left 503 at once.
"""

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
import time

import sqlalchemy as sa
import uvicorn

from kchat_cli.domain.conversations.ingest import ingest, redacted
from kchat_cli.errors import Busy, Invalid, KchatError, StoreNotReady
from kchat_cli.files import private_append
from kchat_cli.lines import Line
from kchat_cli.store.engine import is_transient, is_unreachable
from kchat_cli.webhooks.app import TIME_FORMAT, Receiver, make_app
from kchat_cli.webhooks.commits import Committer, Results
from kchat_cli.webhooks.connections import BoundedConnection
from kchat_cli.webhooks.writer import NotApplied, Writer

REJECTS = "webhook-rejects.jsonl"  # under KCHAT_HOME: refused events, personal data redacted
# How long a group waits for the store before its requests are answered 503: well within a
# platform's webhook timeout, so that it sends them again rather than giving up.
PATIENCE = 5.0  # seconds
# After SIGTERM or Ctrl-C, how long the requests in flight have for their commit: within
# uvicorn's graceful shutdown (4 s), so that each is answered before the process exits.
STOP_GRACE = 3.0  # seconds


def listen_address(listen: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 host in brackets: `[::1]:8787`; port 0: any free one)."""
    host, _, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not (port.isascii() and port.isdigit() and int(port) < 65536):
        raise Invalid(
            f"the address to listen on takes HOST:PORT, not {listen!r}",
            "give --listen, KCHAT_LISTEN or the config key listen, e.g. 127.0.0.1:8787",
        )
    return host, int(port)


def serve(rt, listen: str, secret: str, ready) -> None:
    """Receive webhooks on `listen` until SIGTERM or Ctrl-C."""
    host, port = listen_address(listen)
    rt = dataclasses.replace(rt, patience=PATIENCE)
    one_line_logs()
    sock = _bound(host, port)
    writer = Writer(rt)
    try:
        committer = Committer(writer.apply, _told_to_retry)
        receiver = Receiver(secret.encode(), committer, lambda: _health(rt), _told_to_retry)
        config = uvicorn.Config(
            make_app(receiver),
            loop="uvloop",
            http=BoundedConnection,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=5,
            limit_concurrency=256,
            timeout_graceful_shutdown=4,
        )
        server = _Server(config, writer)
        ready(_url(host, sock.getsockname()[1]))
        try:
            server.run(sockets=[sock])
        finally:
            committer.close()
    finally:
        writer.close()
        sock.close()


def _told_to_retry(exc: BaseException) -> bool:
    return isinstance(exc, NotApplied) and exc.unavailable


def _bound(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts so that an address in use is one
    clear error; connections from then on wait for the server rather than being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
        raise Invalid(f"cannot listen on {_address(host, port)}: {reason}") from None


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _url(host: str, port: int) -> str:
    return f"http://{_address(host, port)}"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, writer: Writer):
        super().__init__(config)
        self.writer = writer

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

    def handle_exit(self, sig, frame) -> None:
        """The first signal gives the requests in flight STOP_GRACE for their commit; a
        second none, and they are answered 503 at once. Not uvicorn's forced exit, which
        would cancel them unanswered."""
        if self.should_exit:
            self.writer.stop_by(time.monotonic())
            return
        self.writer.stop_by(time.monotonic() + STOP_GRACE)
        super().handle_exit(sig, frame)


def applier(rt):
    """What the writer applies a group with. The reject file is opened once first, so that
    one that cannot be written stops `serve` at its start, not at a refused event."""
    batches, channel_id, sealer = rt.batches(), rt.channel().id, rt.sealer()
    rejects_path = rt.folder / REJECTS
    private_append(rejects_path).close()

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
            _keep(rejects_path, refused)
        return results

    return apply


def _keep(path, refused: list[bytes]) -> None:
    """Append the refused events to the reject file. The group is committed: a file that
    cannot take them now (a full disk) is said on stderr, and the answer stands."""
    try:
        with private_append(path) as rejects:
            rejects.writelines(raw + b"\n" for raw in refused)
    except (OSError, KchatError) as exc:
        logging.getLogger("kchat.serve").error(
            "%d refused events not kept in %s: %s", len(refused), REJECTS, exc
        )


def _health(rt) -> str | None:
    """None when the store is ready; else why not, for whoever asks /healthz: no address
    of the store (that goes to the log)."""
    try:
        revisions = rt.schema()
    except KchatError as exc:
        logging.getLogger("kchat.serve").warning("health: %s", exc)
        return "cannot open the store (the receiver's log says why)"
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


def one_line_logs() -> None:
    """kchat's and uvicorn's messages on stderr, a line each, as the request log: no
    traceback, whose values may hold what a customer wrote."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("%(asctime)s %(message)s", TIME_FORMAT))
    for name, level in (("kchat.serve", logging.INFO), ("uvicorn.error", logging.WARNING)):
        log = logging.getLogger(name)
        log.addHandler(handler)
        log.setLevel(level)
        log.propagate = False


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__})"
            record.args = None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record).replace("\n", " ")
