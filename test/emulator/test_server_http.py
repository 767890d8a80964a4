"""HTTP API of the emulator over real sockets: URL, auth, framing, keep-alive, start/stop."""

from __future__ import annotations

import http.client as httpclient
import json
import socket
import time

import pytest
import requests
from test_server_support import (
    FakeSimulator,
    assert_error,
    job_body,
    session,
)

from qiskit_ionq.emulator import IonQEmulator


# ----------------------------------------------------------------------------- basics
def test_url_port_and_backends_without_auth(emu):
    assert emu.port > 0
    assert emu.url == f"http://127.0.0.1:{emu.port}/v0.3"
    response = requests.get(f"{emu.url}/backends")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    backends = response.json()
    assert isinstance(backends, list)
    names = {b["backend"]: b for b in backends}
    assert set(names) == {
        "simulator",
        "qpu.harmony",
        "qpu.aria-1",
        "qpu.aria-2",
        "qpu.forte-1",
        "qpu.forte-enterprise-1",
        "qpu.tempo-1",
    }
    assert names["simulator"]["qubits"] == 29 and names["qpu.aria-1"]["qubits"] == 25
    for name, entry in names.items():
        assert entry["status"] == "available" and entry["degraded"] is False
        assert isinstance(entry["average_queue_time"], int)
        assert isinstance(entry["last_updated"], int)
        assert ("characterization_url" in entry) == name.startswith("qpu.")
    char_url = names["qpu.aria-1"]["characterization_url"]
    assert char_url.startswith("/characterizations/")
    char = session().get(f"{emu.url}{char_url}").json()
    assert char["backend"] == "qpu.aria-1"


def test_url_before_start_and_repr():
    emulator = IonQEmulator(simulator=FakeSimulator())
    with pytest.raises(RuntimeError):
        emulator.url  # noqa: B018
    assert "stopped" in repr(emulator)
    emulator.stop()  # idempotent, even before start


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/jobs"),
        ("POST", "/jobs"),
        ("DELETE", "/jobs"),
        ("GET", "/jobs/x"),
        ("DELETE", "/jobs/x"),
        ("PUT", "/jobs/x/status/cancel"),
        ("PUT", "/jobs/status/cancel"),
        ("GET", "/jobs/x/results"),
        ("GET", "/characterizations/backends/qpu.aria-1/current"),
    ],
)
def test_missing_auth_is_401(emu, method, path):
    body = assert_error(requests.request(method, f"{emu.url}{path}", json={}), 401)
    assert body["error"] == "Unauthorized"


@pytest.mark.parametrize("header", ["Bearer abc", "apiKey", "apiKey   ", "abc"])
def test_malformed_auth_is_401(emu, header):
    assert_error(requests.get(f"{emu.url}/jobs", headers={"Authorization": header}), 401)


def test_any_key_accepted_without_configured_keys(emu):
    assert session("whatever").get(f"{emu.url}/jobs").status_code == 200


def test_configured_keys_accept_and_refuse(sim):
    with IonQEmulator(api_keys=["k1", "k2"], simulator=sim) as emulator:
        for key in ("k1", "k2"):
            assert session(key).get(f"{emulator.url}/jobs").status_code == 200
        body = assert_error(session("secret-guess").get(f"{emulator.url}/jobs"), 403)
        assert body["error"] == "Forbidden" and "secret-guess" not in body["message"]
        assert_error(requests.get(f"{emulator.url}/jobs"), 401)
        assert requests.get(f"{emulator.url}/backends").status_code == 200
        # admin routes need a key when keys are configured; with several API keys and no
        # admin key they are closed (one account must not reset the others' jobs)
        admin = f"http://127.0.0.1:{emulator.port}/_emulator/stats"
        assert_error(requests.get(admin), 401)
        assert "--admin-key" in assert_error(session("k1").get(admin), 403)["message"]


def test_empty_key_collection_rejected():
    with pytest.raises(ValueError):
        IonQEmulator(api_keys=[])


def test_unknown_route_and_wrong_method(emu, http):
    assert_error(http.get(f"{emu.url}/nope"), 404)
    assert_error(http.get(f"http://127.0.0.1:{emu.port}/jobs"), 404)  # no /v0.3 prefix
    assert_error(http.get(f"http://127.0.0.1:{emu.port}/v0.5/jobs"), 404)  # not served
    response = http.put(f"{emu.url}/jobs")
    assert_error(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST", "DELETE"}
    assert_error(http.patch(f"{emu.url}/jobs/x"), 405)
    head = http.head(f"{emu.url}/backends")
    assert head.status_code == 405 and head.content == b""


def test_unexpected_error_is_json_500_without_traceback(emu, http, monkeypatch):
    from qiskit_ionq.emulator.simulation.catalog import Catalog

    def boom(self):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(Catalog, "backends", boom)
    body = assert_error(http.get(f"{emu.url}/backends"), 500)
    assert "Traceback" not in body["message"] and "internal detail" not in body["message"]
    assert http.get(f"{emu.url}/jobs").status_code == 200  # the server lives on


def test_keep_alive_and_content_length(emu):
    conn = httpclient.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    for _ in range(3):  # three requests on one connection
        conn.request("GET", "/v0.3/backends")
        response = conn.getresponse()
        assert response.status == 200
        assert int(response.getheader("Content-Length")) == len(response.read())
    conn.request("GET", "/v0.3/jobs", headers={"Authorization": "apiKey k"})
    error = conn.getresponse()
    assert error.status == 200 and error.read()
    conn.close()


def raw_exchange(port, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize(
    "payload, status",
    [
        (
            b"FOO /v0.3/jobs HTTP/1.1\r\nHost: localhost\r\nAuthorization: apiKey k\r\n"
            b"Connection: close\r\n\r\n",
            405,
        ),
        (b"garbage\r\n\r\n", 400),
        (b"POST /v0.3/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 400),
    ],
)
def test_framing_errors_are_json(emu, payload, status):
    answer = raw_exchange(emu.port, payload)
    if answer.startswith(b"HTTP/1."):
        head, _, answer = answer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].split(b" ")[1] == str(status).encode()
    # (a request line without a version is HTTP/0.9: the answer is the bare body)
    assert json.loads(answer)["statusCode"] == status


def test_request_bodies_keep_the_connection_in_sync(emu):
    conn = httpclient.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    headers = {"Authorization": "apiKey k", "Content-Type": "application/json"}
    conn.request("POST", "/v0.3/nowhere", body=json.dumps(job_body()), headers=headers)
    first = conn.getresponse()
    assert first.status == 404 and json.loads(first.read())["statusCode"] == 404
    conn.request("POST", "/v0.3/jobs", body=json.dumps(job_body()), headers=headers)
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["status"] == "ready"
    conn.close()


def test_chunked_request_body(emu, http):
    data = json.dumps(job_body()).encode()
    response = http.post(f"{emu.url}/jobs", data=iter([data[:10], data[10:]]))
    assert response.status_code == 200, response.text


def test_stop_closes_keep_alive_connections(sim):
    emulator = IonQEmulator(simulator=sim).start()
    http = session()
    url = emulator.url
    assert http.get(f"{url}/jobs").status_code == 200  # pooled connection
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(requests.ConnectionError):
        http.get(f"{url}/jobs", timeout=2)


def test_many_start_stop_cycles(sim):
    started = time.monotonic()
    for _ in range(10):
        with IonQEmulator(simulator=sim) as emulator:
            assert requests.get(f"{emulator.url}/backends", timeout=2).status_code == 200
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.org"])
def test_non_loopback_requires_allow_remote_and_keys(host):
    with pytest.raises(ValueError, match="allow_remote"):
        IonQEmulator(host=host)
    with pytest.raises(ValueError, match="api_keys"):
        IonQEmulator(host=host, allow_remote=True)
    IonQEmulator(host=host, allow_remote=True, api_keys=["k"])  # accepted (not started)


def test_loopback_names_accepted():
    for host in ("127.0.0.1", "localhost", "127.0.0.2", "::1"):
        IonQEmulator(host=host)
