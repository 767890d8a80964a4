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
"""

from __future__ import annotations

import gc
import json
import logging
import selectors
import socket
import struct
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

from .faults import reason
from .server import ADMIN_PREFIX, API_PREFIX, Api, Response, error_response, fault_response

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


class _BadRequest(Exception):
    """The request framing (length, chunking) is broken; answer 400 and close."""


class EmulatorHTTPServer(ThreadingHTTPServer):
    """Threading HTTP server that knows its :class:`Api` and its open connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: Tuple[str, int], api: Api) -> None:
        self.api = api
        self.stop_event = threading.Event()
        self._connections: Set[socket.socket] = set()
        self._conn_lock = threading.Lock()
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
                ready = selector.select()
                if self.stop_event.is_set():
                    break
                if any(key.fileobj is self for key, _ in ready):
                    self.handle_request()  # readable: accepts without blocking

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
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

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
    server_version = "IonQEmulator/0.3"
    sys_version = ""
    wbufsize = 1 << 16  # buffered: status line, headers and body go out in one send
    timeout = 300  # an idle keep-alive connection is closed after 5 minutes
    server: EmulatorHTTPServer
    _reset = False
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

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ----------------------------------------------------------------- request
    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: List[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";")[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise _BadRequest("Malformed chunked body.") from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest("Request body too large.")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BadRequest("Invalid Content-Length header.") from None
        if length < 0 or length > MAX_BODY:
            raise _BadRequest("Request body too large or invalid Content-Length.")
        return self.rfile.read(length)

    def _handle(self) -> None:
        method = self.command
        split = urlsplit(self.path)
        path = split.path
        api = self.server.api
        matched = api.route(path)
        template = matched[0]
        versioned = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        if template is not None:
            stats_key = f"{method} {template}"
        elif path.startswith(ADMIN_PREFIX):
            stats_key = f"{method} {ADMIN_PREFIX}/(unknown)"
        else:
            stats_key = f"{method} (unknown)"
        try:
            raw = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self._send(error_response(400, str(exc)), stats_key)
            return
        # Faults model the network/CDN in front of the API: they apply before auth and only
        # to API routes, never to the admin routes used to control them.
        rule = None
        if versioned:
            relative = path[len(API_PREFIX) :].rstrip("/") or "/"
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
            response = self._respond(method, path, split.query, raw, matched)
            if rule is not None and response.status == 200:
                if rule.kind == "store_then_reset":
                    self._reset_connection(stats_key)
                    return
                if rule.kind == "store_then_fail":
                    response = fault_response(rule)
        if rule is not None and rule.delay > 0 and rule.kind != "slow_accept":
            self.server.stop_event.wait(rule.delay)  # "slow": stop() cuts the wait short
        self._send(response, stats_key)

    def _respond(
        self, method: str, path: str, query_text: str, raw: bytes, matched: Any
    ) -> Response:
        try:
            body: Any = None
            if raw.strip():
                try:
                    with _gc_paused():
                        body = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    return error_response(400, "The request body is not valid JSON.")
            query = parse_qs(query_text, keep_blank_values=True)
            return self.server.api.handle(method, path, query, self.headers, body, matched)
        except Exception:
            log.exception("emulator error on %s %s", method, path)
            return error_response(500, "The emulator hit an unexpected error; see its log.")

    # ----------------------------------------------------------------- response
    def _send(self, response: Response, stats_key: str) -> None:
        self.server.api.stats.request(stats_key, response.status)
        self.send_response(response.status, reason(response.status))
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
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
