"""The client over real sockets, against a tiny stdlib server on 127.0.0.1 (port 0).

What only a real socket shows: read timeouts that actually fire, a connection reset in the
middle of a response, keep-alive reuse of pooled connections, many threads on one client,
and the proxy environment variables being honoured.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qs, urlsplit

import pytest

from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.api.transport import Transport
from qiskit_ionq.constants import SUBMISSION_ID_KEY
from qiskit_ionq.exceptions import IonQRequestTimeoutError
from qiskit_ionq.ionq_client import IonQClient

TOKEN = "tok-SOCKET-SECRET-91c3"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: List[str] = []
        self.jobs: List[Dict[str, Any]] = []
        self.post_faults: List[str] = []
        self.get_faults: List[str] = []
        self.delay = 0.0

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and clients that gave up are part of the tests


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, data: Any, status: int = 200) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset_mid_response(self) -> None:
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 400\r\n\r\n" + b'{"id": "'
        )
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _path(self) -> str:
        path = self.path
        if path.startswith("http://"):  # absolute form: we are being used as a proxy
            path = urlsplit(path).path + ("?" + urlsplit(path).query if "?" in path else "")
        return path

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(f"GET {self.path}")
            fault = self.server.get_faults.pop(0) if self.server.get_faults else None
        parts = urlsplit(self._path())
        if fault == "reset":
            return self._reset_mid_response()
        if parts.path == "/v0.3/slow":
            time.sleep(self.server.delay)
            return self._send({"slow": True})
        if parts.path == "/v0.3/jobs":
            query = parse_qs(parts.query)
            limit = int(query.get("limit", ["25"])[0])
            start = int(query.get("next", ["0"])[0])
            with self.server.lock:
                newest = list(reversed(self.server.jobs))
            data: Dict[str, Any] = {"jobs": newest[start : start + limit]}
            if start + limit < len(newest):
                data["next"] = str(start + limit)
            return self._send(data)
        job_id = parts.path.rsplit("/", 1)[-1]
        with self.server.lock:
            found = [job for job in self.server.jobs if job["id"] == job_id]
        if found:
            return self._send(found[0])
        return self._send({"statusCode": 404, "error": "Not Found", "message": "no job"}, 404)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        job = {
            "id": str(uuid.uuid4()),
            "status": "ready",
            "request": int(time.time()),
            "metadata": body.get("metadata"),
        }
        with self.server.lock:
            self.server.requests.append(f"POST {self.path}")
            fault = self.server.post_faults.pop(0) if self.server.post_faults else None
            self.server.jobs.append(job)
        if fault == "reset":
            return self._reset_mid_response()
        if fault == "slow":
            time.sleep(self.server.delay)
        self._send({"id": job["id"], "status": "ready", "request": job["request"]})


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def _client(server: Server, **policy: Any) -> IonQClient:
    url = f"http://127.0.0.1:{server.server_address[1]}/v0.3"
    transport = Transport(
        timeout=(2.0, policy.pop("read_timeout", 2.0)),
        retry_policy=RetryPolicy(base_delay=0.01, max_delay=0.05, reconcile_delay=0, **policy),
    )
    return IonQClient(TOKEN, url, transport=transport)


def test_read_timeout_fires(server):
    server.delay = 1.0
    client = _client(server, read_timeout=0.2, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(IonQRequestTimeoutError, match="read timeout of 0.2s"):
        client._call("GET", "slow")
    assert time.monotonic() - started < 0.9  # two 0.2 s timeouts, not the server's 1 s each
    assert server.requests == ["GET /v0.3/slow"] * 2  # a GET is retried after a read timeout


def test_connection_reset_mid_response_is_retried_on_get(server):
    client = _client(server)
    server.jobs.append({"id": "j1", "status": "completed", "request": 0, "metadata": None})
    server.get_faults = ["reset"]
    assert client.retrieve_job("j1")["status"] == "completed"
    assert server.requests == ["GET /v0.3/jobs/j1"] * 2


@pytest.mark.parametrize("fault", ["reset", "slow"])
def test_submission_survives_a_failure_after_store(server, fault):
    server.delay = 0.6
    server.jobs.append({"id": "old", "status": "completed", "request": 0, "metadata": None})
    client = _client(server, read_timeout=0.3)
    server.post_faults = [fault]
    response = client.submit_job({"target": "simulator", "shots": 10})
    new_jobs = [job for job in server.jobs if job["id"] != "old"]
    assert len(new_jobs) == 1 and response["id"] == new_jobs[0]["id"]  # adopted, not doubled
    assert new_jobs[0]["metadata"][SUBMISSION_ID_KEY]
    assert server.requests.count("POST /v0.3/jobs") == 1


def test_keep_alive_reuses_one_connection(server, caplog):
    caplog.set_level(logging.DEBUG)
    client = _client(server)
    server.jobs.append({"id": "j1", "status": "completed", "request": 0, "metadata": None})
    for _ in range(5):
        client.retrieve_job("j1")
    assert server.connections == 1
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Starting new HTTP connection" in m for m in messages) == 1
    assert all(TOKEN not in m for m in messages)


def test_eight_threads_share_one_client(server, caplog):
    client = _client(server)
    errors: List[BaseException] = []
    ids: List[str] = []

    def work() -> None:
        try:
            job_id = client.submit_job({"target": "simulator", "shots": 1})["id"]
            for _ in range(3):
                assert client.retrieve_job(job_id)["id"] == job_id
            ids.append(job_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(set(ids)) == 8 and len(server.jobs) == 8
    assert server.connections <= 8  # pooled: at most one connection per concurrent thread
    assert not any("pool is full" in r.getMessage() for r in caplog.records)


def test_loopback_urls_never_go_through_a_proxy(server, monkeypatch):
    # The proxy would see the token in clear text for a request meant for this machine.
    from reliability.hostile_server import HostileServer, json_reply

    with HostileServer() as proxy:
        proxy.on("*", ".*", json_reply({"id": "via-proxy", "status": "completed"}))
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(var, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        server.jobs.append({"id": "j1", "status": "completed", "request": 0, "metadata": None})
        client = IonQClient(TOKEN, f"http://127.0.0.1:{server.server_address[1]}/v0.3")
        assert client.retrieve_job("j1")["id"] == "j1"
        assert proxy.requests == []


def test_proxy_environment_is_honoured(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.server_address[1]}")
    server.jobs.append({"id": "j1", "status": "completed", "request": 0, "metadata": None})
    client = IonQClient(TOKEN, "http://ionq.invalid/v0.3", allow_insecure_http=True)
    assert client.retrieve_job("j1")["id"] == "j1"
    assert server.requests == ["GET http://ionq.invalid/v0.3/jobs/j1"]
