"""Socket glue: a threading ``http.server`` that feeds :class:`.server.Api` and applies faults.

Details that matter to clients and tests:

* HTTP/1.1 keep-alive with ``Content-Length`` on every answer (clients pool connections).
  Headers and body leave in one write and ``TCP_NODELAY`` is set, so a small answer never
  waits for a delayed ACK (the classic 40 ms Nagle stall would dwarf the job itself).
* One thread per connection (daemon threads). :meth:`EmulatorHTTPServer.close_connections`
  shuts down idle keep-alive sockets on stop, so a pooled client connection cannot keep
  talking to a stopped emulator.
* Per-request stderr logging of ``http.server`` is replaced by the ``logging`` module;
  an unexpected exception becomes a JSON 500 and a logged traceback, never a traceback on
  the wire.
* Strict framing, checked before any body byte is read: ``Content-Length`` is ASCII digits
  (duplicates must agree), ``Transfer-Encoding`` is exactly ``chunked`` and never comes with a
  ``Content-Length``, chunk sizes are hex digits, and the body limit counts chunked bodies
  too. Host, Origin and key checks (:meth:`.server.Api.admit`) also precede the body.
* Bounded connections: at most ``max_connections`` at once (more get a 503 and are closed),
  request line plus headers must arrive within ``header_timeout`` seconds of the first byte
  (a slow-loris trickle is cut off), idle keep-alive connections close after
  ``idle_timeout``.
* JSON bodies: ``NaN``/``Infinity`` literals and nesting deeper than the parser's recursion
  limit are a 400, not stored values or a 500.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import selectors
import socket
import struct
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

from .faults import reason
from .server import (
    ADMIN_PREFIX,
    Api,
    ApiError,
    Response,
    api_relative,
    error_response,
    fault_response,
)

log = logging.getLogger("qiskit_ionq.emulator")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while parsing a body: a 100k-gate job is 100k+ small containers,
    whose allocation triggers full collections that made parsing ~3x slower (0.16 s vs
    0.06 s for 4 MB). Nothing parsed is cyclic; the collector's state is restored after.
    Concurrent handlers may overlap: whoever disabled it re-enables it, so it never stays off.
    """
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


MAX_BODY = 64 * 1024 * 1024  # a job body is a few kB to a few MB; refuse anything absurd
MAX_CONNECTIONS = 256  # open client connections (one thread each); more get a 503
HEADER_TIMEOUT = 10.0  # seconds from a request's first byte to the end of its headers
IDLE_TIMEOUT = 120.0  # an idle keep-alive connection is closed after this long
BODY_TIMEOUT = 30.0  # longest pause while a body arrives
DRAIN_LIMIT = 64 * 1024  # a refused request's body up to this size is read, so the
# connection stays usable and the client surely gets the answer (closing with unread data
# would reset the connection)

_LENGTH = re.compile(r"[0-9]{1,18}")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,15}")
_MAX_TRAILERS = 64


class _BadRequest(Exception):
    """The request framing (length, chunking) is broken; answer 400 (or 413) and close."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading HTTP server that knows its :class:`Api` and its open connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        address: Tuple[str, int],
        api: Api,
        *,
        max_body: int = MAX_BODY,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.api = api
        self.max_body = max_body
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.idle_timeout = idle_timeout
        self.refused_connections = 0
        self.stop_event = threading.Event()
        self._connections: Set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        # connections reading a request head, with their deadline (see reap_slow_heads)
        self._heads: Dict[socket.socket, float] = {}
        # serve_forever() notices shutdown() only at its next poll; a wake-up socket lets
        # stop() end the accept loop at once (tests start and stop many emulators).
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__(address, _Handler)

    def serve_until_stopped(self) -> None:
        """Accept connections until :meth:`stop_serving`; returns immediately after it."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stop_event.is_set():
                ready = selector.select(timeout=min(1.0, self.header_timeout / 4))
                if self.stop_event.is_set():
                    break
                if any(key.fileobj is self for key, _ in ready):
                    self.handle_request()  # readable: accepts without blocking
                self.reap_slow_heads()

    def watch_head(self, conn: socket.socket, deadline: Optional[float]) -> None:
        """Start (``deadline``) or end (``None``) the header deadline of ``conn``."""
        with self._conn_lock:
            if deadline is None:
                self._heads.pop(conn, None)
            else:
                self._heads[conn] = deadline

    def reap_slow_heads(self) -> None:
        """Shut down connections whose request head is late (slow loris)."""
        now = time.monotonic()
        with self._conn_lock:
            late = [conn for conn, deadline in self._heads.items() if deadline < now]
            for conn in late:
                del self._heads[conn]
        for conn in late:
            log.info(
                "closing a connection whose request headers took over %ss", self.header_timeout
            )
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop_serving(self) -> None:
        """Make :meth:`serve_until_stopped` return now (and cut "slow" fault waits short)."""
        self.stop_event.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            full = len(self._connections) >= self.max_connections
            if not full:
                self._connections.add(request)
        if full:
            self._refuse(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request: socket.socket) -> None:
        """Answer 503 without a thread (best effort, never blocking) and close."""
        self.refused_connections += 1
        message = f"Too many open connections (limit {self.max_connections}); retry later."
        body = error_response(503, message).body
        head = (
            f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        try:
            request.setblocking(False)
            request.send(head.encode() + body)
        except OSError:
            pass
        super().shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
            self._heads.pop(request, None)
        super().shutdown_request(request)

    @property
    def open_connections(self) -> int:
        """Client connections being served now."""
        with self._conn_lock:
            return len(self._connections)

    def close_connections(self) -> None:
        """Shut down every open client connection (idle keep-alive ones included)."""
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Typically a client that hung up (timeout, reset fault); not worth stderr noise.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class EmulatorHTTPServer6(EmulatorHTTPServer):
    """IPv6 variant (``host="::1"``)."""

    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # answer even an unparsable request line with a status line and headers (the stdlib
    # would send a bare HTTP/0.9 body, which no client reads as an error status)
    default_request_version = "HTTP/1.1"
    server_version = "IonQEmulator/0.3"
    sys_version = ""
    wbufsize = 1 << 16  # buffered: status line, headers and body go out in one send
    timeout = IDLE_TIMEOUT  # replaced per phase in handle_one_request
    server: EmulatorHTTPServer
    _reset = False
    _raw = b""
    _date: Tuple[int, str] = (0, "")

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if log.isEnabledFor(logging.DEBUG):  # called for every request: format only if shown
            log.debug("%s - %s", self.address_string(), format % args)

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        """The ``Date`` header, formatted once per second rather than per response."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        cached = _Handler._date
        if cached[0] != now:
            cached = _Handler._date = (now, super().date_time_string(now))
        return cached[1]

    def handle_one_request(self) -> None:
        """Wait for a request (idle timeout), then bound the time its head may take."""
        conn = self.connection
        try:
            conn.settimeout(self.server.idle_timeout)
            if not self.rfile.peek(1):  # type: ignore[attr-defined]
                self.close_connection = True  # the client closed
                return
            conn.settimeout(self.server.header_timeout)
        except OSError:  # includes the idle timeout
            self.close_connection = True
            return
        self.server.watch_head(conn, time.monotonic() + self.server.header_timeout)
        try:
            super().handle_one_request()
        finally:
            self.server.watch_head(conn, None)

    def do_GET(self) -> None:
        self.server.watch_head(self.connection, None)  # the head is complete
        self.connection.settimeout(BODY_TIMEOUT)
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method token reaches the router too: 405 naming the allowed methods (or
        # 404), a client error rather than the stdlib's 501, which clients may retry.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self.do_GET
        raise AttributeError(name)

    # ----------------------------------------------------------------- request
    def _framing(self) -> Tuple[str, int]:
        """Check the framing headers: ``("chunked", 0)``, ``("length", n)`` or ``("none", 0)``.

        Raises:
            _BadRequest: conflicting, malformed or unsupported framing, or a body over the
                limit (nothing has been read yet).
        """
        codings_headers = self.headers.get_all("Transfer-Encoding") or []
        lengths_headers = self.headers.get_all("Content-Length") or []
        if codings_headers and lengths_headers:
            raise _BadRequest("Send either Content-Length or Transfer-Encoding, not both.")
        if codings_headers:
            codings = [c.strip().lower() for v in codings_headers for c in v.split(",")]
            if codings != ["chunked"]:
                shown = ", ".join(codings)[:100]
                raise _BadRequest(
                    f"Unsupported Transfer-Encoding {shown!r}; only 'chunked' is accepted."
                )
            return "chunked", 0
        if not lengths_headers:
            return "none", 0
        values = {v.strip() for h in lengths_headers for v in h.split(",")}
        if len(values) != 1:
            raise _BadRequest("Conflicting Content-Length headers.")
        text = values.pop()
        if not _LENGTH.fullmatch(text):
            raise _BadRequest("Invalid Content-Length header: expected decimal digits.")
        length = int(text)
        if length > self.server.max_body:
            raise _BadRequest(self._too_large(), 413)
        return "length", length

    def _too_large(self) -> str:
        return f"Request body too large (limit {self.server.max_body} bytes)."

    def _read_body(self, framing: Tuple[str, int]) -> bytes:
        kind, length = framing
        if kind == "length":
            data = self.rfile.read(length)
            if len(data) != length:
                raise _BadRequest("The request body ended before Content-Length bytes.")
            return data
        if kind == "none":
            return b""
        chunks: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
                raise _BadRequest("Malformed chunked body: bad chunk-size line.")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(_MAX_TRAILERS):
                    if self.rfile.readline(1026) in (b"\r\n", b"\n", b""):
                        return b"".join(chunks)
                raise _BadRequest("Malformed chunked body: too many trailer lines.")
            total += size
            if total > self.server.max_body:
                raise _BadRequest(self._too_large(), 413)
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BadRequest("Malformed chunked body: chunk shorter than its size.")
            chunks.append(data)

    def _handle(self) -> None:
        method = self.command
        split = urlsplit(self.path)
        path = split.path
        api = self.server.api
        matched = api.route(path)
        template = matched[0]
        relative = api_relative(path)  # None outside the /v0.3 and /v0.4 trees
        if template is not None:
            stats_key = f"{method} {template}"
        elif path.startswith(ADMIN_PREFIX):
            stats_key = f"{method} {ADMIN_PREFIX}/(unknown)"
        else:
            stats_key = f"{method} (unknown)"
        try:
            framing = self._framing()
        except _BadRequest as exc:
            self.close_connection = True
            self._send(error_response(exc.status, str(exc)), stats_key)
            return
        try:
            owner = api.admit(self.headers, matched)
        except ApiError as exc:
            # Refused before reading the body: drain a small one to keep the connection in
            # sync (and the answer deliverable), close on anything larger.
            kind, length = framing
            if kind == "chunked" or length > DRAIN_LIMIT:
                self.close_connection = True
            elif length:
                self.rfile.read(length)
            self._send(error_response(exc.status, exc.message, exc.headers), stats_key)
            return
        try:
            raw = self._read_body(framing)
        except _BadRequest as exc:
            self.close_connection = True
            self._send(error_response(exc.status, str(exc)), stats_key)
            return
        # Faults model the network/CDN in front of the API: they apply before auth and only
        # to API routes, never to the admin routes used to control them.
        rule = None
        if relative is not None:
            rule = api.faults.pick(method, template, relative)
        if rule is not None and rule.kind == "reset":
            self._reset_connection(stats_key)
            return
        if rule is not None and rule.kind == "slow_accept":
            # Hold the request before handling it: a POSTed job is stored only afterwards.
            # A stop() during the wait drops the request unhandled (nothing is stored).
            if self.server.stop_event.wait(rule.delay):
                self._reset_connection(stats_key)
                return
        if rule is not None and rule.kind == "status":
            response = fault_response(rule)
        else:
            self._raw, raw = raw, b""  # _respond drops it once parsed
            response = self._respond(method, path, split.query, matched, owner)
            if rule is not None and 200 <= response.status < 300:
                if rule.kind == "store_then_reset":
                    self._reset_connection(stats_key)
                    return
                if rule.kind == "store_then_fail":
                    response = fault_response(rule)
        if rule is not None and rule.delay > 0 and rule.kind != "slow_accept":
            self.server.stop_event.wait(rule.delay)  # "slow": stop() cuts the wait short
        self._send(response, stats_key)

    def _respond(
        self,
        method: str,
        path: str,
        query_text: str,
        matched: Any,
        owner: Optional[str],
    ) -> Response:
        raw, self._raw = self._raw, b""
        try:
            body: Any = None
            if raw and not raw.isspace():
                try:
                    with _gc_paused():
                        body = json.loads(raw, parse_constant=_refuse_constant)
                except RecursionError:
                    return error_response(400, "The request body is nested too deeply.")
                except (ValueError, UnicodeDecodeError) as exc:
                    detail = (
                        " (NaN and Infinity are not JSON)" if "not valid JSON" in str(exc) else ""
                    )
                    return error_response(400, f"The request body is not valid JSON{detail}.")
                finally:
                    raw = b""  # the parsed body replaces the bytes (memory of large jobs)
            query = parse_qs(query_text, keep_blank_values=True, max_num_fields=1000)
            return self.server.api.handle(method, path, query, self.headers, body, matched, owner)
        except RecursionError:
            return error_response(400, "The request is nested too deeply to process.")
        except ValueError as exc:
            if "max_num_fields" not in str(exc) and "Max number of fields" not in str(exc):
                log.exception("emulator error on %s %s", method, path)
                return error_response(500, "The emulator hit an unexpected error; see its log.")
            return error_response(400, "Too many query parameters.")
        except Exception:
            log.exception("emulator error on %s %s", method, path)
            return error_response(500, "The emulator hit an unexpected error; see its log.")

    # ----------------------------------------------------------------- response
    def _send(self, response: Response, stats_key: str) -> None:
        self.server.api.stats.request(stats_key, response.status)
        self.send_response(response.status, reason(response.status))
        self.send_header("Content-Type", response.content_type)
        stream = None
        if response.file is not None:
            try:
                stream = open(response.file.path, "rb")
            except OSError:  # dropped meanwhile (job deleted): say so instead
                response = error_response(404, "The job's results were deleted meanwhile.")
        length = response.file.size if stream is not None and response.file else len(response.body)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if stream is not None:
            with stream:
                if self.command != "HEAD":
                    self.wfile.flush()  # type: ignore[attr-defined]
                    # zero-copy from the file, the GIL released: other requests go on
                    self.connection.sendfile(stream)
        elif self.command != "HEAD":
            self.wfile.write(response.body)

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        """Framing errors from ``http.server`` (bad request line, 501...) as JSON bodies."""
        self.close_connection = True
        body = error_response(code, message or reason(code)).body
        self.send_response(code, reason(code))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code >= 200:
            self.wfile.write(body)

    def _reset_connection(self, stats_key: str) -> None:
        """Drop the connection with a TCP reset and no answer (closed in :meth:`finish`)."""
        self.server.api.stats.request(stats_key, "reset")
        self.close_connection = True
        self._reset = True
        try:  # linger 0: close() sends RST instead of a graceful FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def finish(self) -> None:
        if not self._reset:
            super().finish()
            return
        for stream in (self.wfile, self.rfile):
            try:
                stream.close()  # nothing buffered: no bytes reach the client
            except OSError:
                pass
        self.connection.close()
