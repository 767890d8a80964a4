"""A small HTTP server that misbehaves on purpose, for the client's reliability tests.

The emulator is a well-behaved IonQ API with fault rules; some hazards need a server that
breaks HTTP itself: one that accepts a connection and never answers, trickles a byte every
few seconds, streams an endless chunked body, or serves job data no real server would
(a gzip bomb in the header, keys like ``" 3 "``). Each test wires the routes it needs:

    with HostileServer() as server:
        server.on("GET", "/v0.3/jobs/j1", hang())
        client = IonQClient("tok", server.url)

A behaviour is a callable ``behaviour(connection, request)`` that writes whatever bytes it
likes to the socket (helpers below build the usual ones). Unrouted requests get a JSON 404.
Every request is recorded in :attr:`HostileServer.requests`. The server binds 127.0.0.1 on a
free port, and :meth:`stop` closes every connection, so a hanging behaviour never outlives
its test. Raw sockets and threads only: nothing here can be "helpful" the way an HTTP
framework would (adding Content-Length, buffering, timing out).
"""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = [
    "HostileServer",
    "Request",
    "endless_chunked",
    "hang",
    "json_reply",
    "raw_reply",
    "sequence",
    "trickle",
    "trickle_headers",
]


@dataclass
class Request:
    """One request the server read."""

    method: str
    path: str
    query: str
    headers: Dict[str, str]
    body: bytes = field(repr=False)
    #: Set when the server stops: behaviours that stall return then.
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


Behaviour = Callable[[socket.socket, Request], None]


class HostileServer:
    """A threaded raw-socket HTTP/1.1 server on 127.0.0.1 whose routes misbehave."""

    def __init__(self) -> None:
        self._routes: List[Tuple[str, re.Pattern[str], Behaviour]] = []
        self._listener: Optional[socket.socket] = None
        self._threads: List[threading.Thread] = []
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests: List[Request] = []
        self.port = 0

    # -- routes ---------------------------------------------------------------------------
    def on(self, method: str, path: str, behaviour: Behaviour) -> HostileServer:
        """Answer ``method path`` (``path`` a regex matched in full, query excluded)."""
        with self._lock:
            self._routes.insert(0, (method.upper(), re.compile(path), behaviour))
        return self

    @property
    def url(self) -> str:
        """The API base URL clients are given."""
        return f"http://127.0.0.1:{self.port}/v0.3"

    def count(self, method: str, path: str) -> int:
        """How many requests matched ``method`` and the ``path`` regex."""
        pattern = re.compile(path)
        return sum(1 for r in self.requests if r.method == method and pattern.fullmatch(r.path))

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> HostileServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self.stopping.is_set():
                request = _read_request(reader)
                if request is None:
                    return
                request.stopping = self.stopping
                self.requests.append(request)
                self._behaviour(request)(conn, request)
        except OSError:
            return
        finally:
            try:
                reader.close()
                conn.close()
            except OSError:
                pass

    def _behaviour(self, request: Request) -> Behaviour:
        with self._lock:
            routes = list(self._routes)
        for method, pattern, behaviour in routes:
            if method in (request.method, "*") and pattern.fullmatch(request.path):
                return behaviour
        return json_reply({"error": "Not Found", "message": "no such route"}, status=404)


def _read_request(reader: Any) -> Optional[Request]:
    line = reader.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: Dict[str, str] = {}
    while True:
        header = reader.readline(65536)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0") or 0))
    path, _, query = target.partition("?")
    return Request(method.upper(), path, query, headers, body)


# -- behaviours ---------------------------------------------------------------------------
def raw_reply(data: bytes) -> Behaviour:
    """Send exactly ``data`` (status line, headers and body written by the caller)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        conn.sendall(data)

    return behaviour


def json_reply(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> Behaviour:
    """A normal JSON answer (``body`` a JSON value, or ``bytes`` sent as they are)."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(f"Content-Length: {len(payload)}")
    return raw_reply(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)


def hang() -> Behaviour:
    """Read the request, then never answer (until the server stops)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        request.stopping.wait()

    return behaviour


def trickle(interval: float = 2.0, content_length: int = 10**6) -> Behaviour:
    """Headers at once, then one body byte every ``interval`` seconds, never finishing."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {content_length}\r\n\r\n"
        )
        conn.sendall(head.encode())
        conn.sendall(b"{")
        while not request.stopping.wait(interval):
            conn.sendall(b" ")

    return behaviour


def trickle_headers(interval: float = 0.3) -> Behaviour:
    """The status line, then one header byte every ``interval`` seconds, never finishing the
    headers: no single read ever times out and no body ever starts."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not request.stopping.wait(interval):
            conn.sendall(b"a")

    return behaviour


def endless_chunked(chunk: bytes = b" " * 65536) -> Behaviour:
    """A 200 with a chunked body that never ends (as fast as the client reads)."""

    def behaviour(conn: socket.socket, request: Request) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n{\r\n"
        )
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not request.stopping.is_set():
            conn.sendall(frame)

    return behaviour


def sequence(*behaviours: Behaviour) -> Behaviour:
    """The i-th request gets ``behaviours[i]``; the last one repeats."""
    calls = [0]
    lock = threading.Lock()

    def behaviour(conn: socket.socket, request: Request) -> None:
        with lock:
            index = min(calls[0], len(behaviours) - 1)
            calls[0] += 1
        behaviours[index](conn, request)

    return behaviour
