"""The receiver's HTTP connections: uvicorn's httptools protocol with the bounds it leaves to
a proxy in front. A request's head (its request line and headers) must arrive within
HEAD_WITHIN of the connection or of its first byte, and hold at most HEAD_BYTES: a connection
that sends nothing, or a head slowly, is closed (it would hold one of the connections the
server allows at once), and a larger head is answered 431."""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kchat_cli.webhooks.app import log_request

HEAD_BYTES = 16 * 1024
HEAD_WITHIN = 10.0  # seconds
_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"


class BoundedConnection(HttpToolsProtocol):
    """The head is measured twice: exactly, by what the parser hands on (its URL, each
    header), and roughly, by the bytes that came while it is still incomplete, so that a
    header that never ends is refused before the parser has kept it all."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.in_head, self.head_bytes, self.unparsed, self.head_timer = True, 0, 0, None
        self._time_head()

    def connection_lost(self, exc) -> None:
        self._untime_head()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head, self.head_bytes, self.unparsed = True, 0, 0
        self._time_head()

    def on_url(self, url: bytes) -> None:
        self.head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        self._untime_head()
        if self.head_bytes <= HEAD_BYTES:
            super().on_headers_complete()
            return
        app, self.app = self.app, _head_too_large  # this request only: its body is read
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def data_received(self, data: bytes) -> None:
        was_in_head = self.in_head
        super().data_received(data)
        # A head that began within this chunk is counted from the next one: its start may
        # share the chunk with the body before it, so it can pass the bound by a chunk.
        if self.in_head and was_in_head and not self.transport.is_closing():
            self.unparsed += len(data)
            if self.unparsed > HEAD_BYTES:
                self._close(_TOO_LARGE, 431)

    def _time_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(HEAD_WITHIN, self._close)

    def _untime_head(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _close(self, answer: bytes | None = None, status: int = 0) -> None:
        """Close the connection, answering first unless an earlier request's answer is
        still being written (a pipelined head), which nothing may interrupt."""
        self._untime_head()
        if self.transport.is_closing():
            return
        if answer and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(answer + b"connection: close\r\n\r\n")
            log_request("-", "-", status, 0, 0.0)
        self.transport.close()


async def _head_too_large(scope, receive, send) -> None:
    log_request(scope["method"], scope["path"], 431, 0, 0.0)
    headers = [(b"content-length", b"0"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
