"""The receiver's HTTP connections: uvicorn's httptools protocol with the bounds it leaves to
a proxy in front. A request's head (its request line and headers) must arrive within
HEAD_WITHIN of the connection or of its first byte, and hold at most HEAD_BYTES: a connection
that sends nothing, or a head slowly, is closed (it would hold one of the connections the
server allows at once), and a larger head is answered 431 without being read further."""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kchat_cli.webhooks.app import log_request

HEAD_BYTES = 16 * 1024
HEAD_WITHIN = 10.0  # seconds


class BoundedConnection(HttpToolsProtocol):
    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.in_head, self.head_bytes, self.head_timer = True, 0, None
        self._time_head()

    def connection_lost(self, exc) -> None:
        self._untime_head()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head, self.head_bytes = True, 0
        self._time_head()

    def on_headers_complete(self) -> None:
        self.in_head = False
        self._untime_head()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        was_in_head = self.in_head
        super().data_received(data)
        # A head that began within this chunk is counted from the next one: its start may
        # share the chunk with the body before it, so it can pass the bound by a chunk.
        if self.in_head and was_in_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > HEAD_BYTES:
                self._refuse(431, b"Request Header Fields Too Large")

    def _time_head(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(HEAD_WITHIN, self._refuse, 408, None)

    def _untime_head(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _refuse(self, status: int, reason: bytes | None) -> None:
        """Answer `status` (unless `reason` is None: a head too slow is closed unanswered)
        and close; only close while an earlier request's answer is still being written (a
        pipelined head), which no other answer may interrupt."""
        self._untime_head()
        if self.transport.is_closing():
            return
        if reason and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                % (status, reason)
            )
            log_request("-", "-", status, 0, 0.0)
        self.transport.close()
