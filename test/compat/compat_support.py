"""Helpers shared by the earlier-release compatibility tests: a tiny local API server and
response stand-ins.

The server answers on 127.0.0.1 (port 0) with canned JSON per ``METHOD /path`` and records
what it was asked, so tests can check what went over a real socket without the emulator
(whose catalogue only lists the systems this release knows).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Tuple

from qiskit import QuantumCircuit

Route = Tuple[int, Any]


class CannedAPI:
    """A loopback HTTP server answering ``routes[(method, path)] = (status, json_body)``."""

    def __init__(self, routes: Dict[Tuple[str, str], Route]) -> None:
        self.routes = dict(routes)
        self.requests: List[Tuple[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?")[0]
                api.requests.append((self.command, path))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, body = api.routes.get((self.command, path), (404, {"error": "nope"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v0.3"

    def __enter__(self) -> CannedAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def closed_port_url() -> str:
    """An API URL on 127.0.0.1 where nothing listens (connections are refused at once)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v0.3"


class FakeResponse:
    """A response-like object with the attributes ``IonQAPIError`` reads."""

    def __init__(self, status_code: int, body: Any = None, text: Any = None, method: str = "GET"):
        self.status_code = status_code
        self._body = body
        self.text = json.dumps(body) if text is None else text
        self.headers = {"X-Request-Id": "r-1"}
        self.request = type("Request", (), {"method": method})()

    def json(self) -> Any:
        return json.loads(self.text)


def bell(name: str = "bell") -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name=name)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc
