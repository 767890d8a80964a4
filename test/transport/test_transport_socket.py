"""The transport over real sockets: pools per origin, no cookies, session default headers.

Small stdlib servers on 127.0.0.1 (port 0) answer with who they are and what they received,
so a pool handed to the wrong origin, or a cookie carried from one response to the next
request, shows up in the reply itself.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, List

import pytest

from qiskit_ionq.api.transport import Transport

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class Echo(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.name = name
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v0.3"


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Echo

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "server": self.server.name,
                "path": self.path,
                "cookie": self.headers.get("Cookie"),
                "user_agent": self.headers.get("User-Agent"),
                "accept_encoding": self.headers.get("Accept-Encoding"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=from-a-proxy; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[Echo]]:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    started = []
    for i in range(10):
        srv = Echo(f"s{i}")
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        started.append((srv, thread))
    try:
        yield [srv for srv, _ in started]
    finally:
        for srv, thread in started:
            srv.shutdown()
            srv.server_close()
            thread.join(5)


def test_each_origin_gets_its_own_requests(servers):
    transport = Transport(timeout=(2.0, 2.0))
    a, b = servers[:2]
    for i in range(6):
        target = a if i % 2 == 0 else b
        reply = transport.request("GET", f"{target.url}/jobs/{i}")
        assert reply.json()["server"] == target.name
        assert reply.json()["path"] == f"/v0.3/jobs/{i}"
    assert a.connections == 1 and b.connections == 1  # one kept-alive connection each


def test_more_origins_than_pools_still_reach_the_right_server(servers):
    # The pool manager keeps 4 pools (dropping the least recently used), the adapter's own
    # cache at most 8: with 10 origins both turn over, and every reply must still come from
    # the server that was asked.
    transport = Transport(timeout=(2.0, 2.0))
    for round_ in range(3):
        for srv in servers:
            reply = transport.request("GET", f"{srv.url}/jobs/r{round_}")
            assert reply.json()["server"] == srv.name


def test_cookies_are_never_sent_back(servers):
    transport = Transport(timeout=(2.0, 2.0))
    first = transport.request("GET", f"{servers[0].url}/jobs/1")
    assert first.headers.get("Set-Cookie")  # the server did try
    second = transport.request("GET", f"{servers[0].url}/jobs/2")
    assert second.json()["cookie"] is None
    assert len(transport.session.cookies) == 0


def test_session_default_headers_are_still_sent(servers):
    transport = Transport(timeout=(2.0, 2.0))
    echoed = transport.request("GET", f"{servers[0].url}/x").json()
    assert "gzip" in echoed["accept_encoding"]
    assert echoed["user_agent"]
    custom = transport.request(
        "GET", f"{servers[0].url}/x", headers={"User-Agent": "mine/1.0"}
    ).json()
    assert custom["user_agent"] == "mine/1.0"


def test_close_drops_the_cached_pools(servers):
    transport = Transport(timeout=(2.0, 2.0))
    transport.request("GET", f"{servers[0].url}/a")
    transport.close()
    assert transport.request("GET", f"{servers[0].url}/b").json()["server"] == "s0"
    assert servers[0].connections == 2  # a new connection after close()
