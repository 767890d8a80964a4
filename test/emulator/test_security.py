"""The emulator as a server left running: Host/Origin checks, keys and accounts, connection
limits, strict framing. Every check goes through a real socket."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
from test_server_support import FakeSimulator, assert_error, create, job_body, session

from qiskit_ionq.emulator import IonQEmulator, cli
from qiskit_ionq.emulator.jobs import JobDelays
from qiskit_ionq.emulator.security import AccessPolicy, host_name, is_loopback_name


def admin(emu: IonQEmulator, route: str) -> str:
    return f"http://127.0.0.1:{emu.port}/_emulator/{route}"


def raw_request(port: int, payload: bytes, timeout: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


# ----------------------------------------------------------------------------- Host / Origin
@pytest.mark.parametrize(
    "value, name",
    [
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]:8000", "::1"),
        ("::1", "::1"),
        ("LocalHost", "localhost"),
    ],
)
def test_host_name(value, name):
    assert host_name(value) == name


def test_loopback_names():
    assert all(map(is_loopback_name, ["localhost", "127.0.0.1", "127.9.9.9", "::1"]))
    assert not any(map(is_loopback_name, ["evil.example", "app.localhost", "10.0.0.1", "0.0.0.0"]))


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "app.localhost", "10.1.2.3"])
def test_foreign_host_is_refused_on_every_route(emu, http, host):
    """DNS rebinding: a page re-pointing its own name at 127.0.0.1 sends its name as Host."""
    create(http, emu)
    for url in (f"{emu.url}/backends", f"{emu.url}/jobs", admin(emu, "stats")):
        body = assert_error(http.get(url, headers={"Host": host}), 403)
        assert "--allow-host" in body["message"]
    assert_error(http.post(admin(emu, "reset"), headers={"Host": host}), 403)
    assert len(emu.job_ids()) == 1  # nothing was wiped


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:1234", "[::1]:9"])
def test_loopback_hosts_are_served(emu, http, host):
    assert http.get(f"{emu.url}/jobs", headers={"Host": host}).status_code == 200


def test_allowed_hosts_and_allow_remote():
    with IonQEmulator(simulator=FakeSimulator(), allowed_hosts=["emu.internal"]) as emu:
        assert requests.get(f"{emu.url}/backends", headers={"Host": "emu.internal:80"}).ok
        assert_error(requests.get(f"{emu.url}/backends", headers={"Host": "other"}), 403)
    policy = AccessPolicy(["k"], any_host=True)  # allow_remote: keys protect it instead
    policy.check_host({"Host": "my-workstation.lan"})


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_admin_routes_refuse_browser_requests(emu, http, headers):
    """CSRF: a page cannot wipe the jobs or install a hanging fault, even without keys."""
    create(http, emu)
    assert_error(http.post(admin(emu, "reset"), headers=headers), 403)
    assert_error(http.post(admin(emu, "faults"), json=["* *:slow:delay=60"], headers=headers), 403)
    assert emu.faults.rules == [] and len(emu.job_ids()) == 1
    assert http.get(admin(emu, "stats")).status_code == 200  # a script still can


def test_single_key_guards_the_admin_routes():
    with IonQEmulator(api_keys=["k"], simulator=FakeSimulator()) as emu:
        assert_error(requests.post(admin(emu, "reset")), 401)
        assert_error(session("guess").post(admin(emu, "reset")), 403)
        assert session("k").post(admin(emu, "reset")).status_code == 200


def test_admin_key_is_separate_from_api_keys():
    with IonQEmulator(api_keys=["a", "b"], admin_key="root", simulator=FakeSimulator()) as emu:
        for key in ("a", "b"):
            assert_error(session(key).get(admin(emu, "stats")), 403)
        assert session("root").get(admin(emu, "stats")).status_code == 200
        assert_error(session("root").get(f"{emu.url}/jobs"), 403)  # not an account
    with IonQEmulator(admin_key="root", simulator=FakeSimulator()) as emu:
        assert_error(session("anything").post(admin(emu, "reset")), 403)
        assert session("root").post(admin(emu, "reset")).ok
        assert session("anything").get(f"{emu.url}/jobs").ok  # API still open to any key


def test_each_key_sees_only_its_own_jobs(tmp_path):
    for store in (None, tmp_path / "jobs.db"):
        with IonQEmulator(api_keys=["alice", "bob"], simulator=FakeSimulator(), store=store) as emu:
            alice, bob = session("alice"), session("bob")
            job = create(alice, emu)["id"]
            create(bob, emu)
            url = f"{emu.url}/jobs/{job}"
            assert [j["id"] for j in alice.get(f"{emu.url}/jobs").json()["jobs"]] == [job]
            assert job not in {j["id"] for j in bob.get(f"{emu.url}/jobs").json()["jobs"]}
            assert bob.get(f"{emu.url}/jobs?id={job}").json()["jobs"] == []
            for method, target in [
                ("GET", url),
                ("GET", f"{url}/results"),
                ("PUT", f"{url}/status/cancel"),
                ("DELETE", url),
                ("DELETE", f"{emu.url}/jobs?ids={job}"),
                ("PUT", f"{emu.url}/jobs/status/cancel?ids={job}"),
            ]:
                assert_error(bob.request(method, target), 404)
            assert alice.get(url).json()["status"] == "completed"  # untouched by bob
            assert alice.delete(url).status_code == 200


# ----------------------------------------------------------------------------- requests
def test_dot_job_ids_are_404(emu, http):
    """``retrieve_job(".")``: the client's URL normalization turns /jobs/. into /jobs/."""
    create(http, emu)
    for path in ("/jobs/.", "/jobs/..", "/jobs/", "/jobs/./results"):
        assert_error(http.get(f"{emu.url}{path}"), 404)
    for raw_path in (b"/v0.3/jobs/.", b"/v0.3/jobs/..", b"/v0.3/jobs/./", b"/v0.3/./jobs"):
        answer = raw_request(
            emu.port,
            b"GET " + raw_path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: apiKey k\r\nConnection: close\r\n\r\n",
        )
        assert status_of(answer) == 404, raw_path


def test_nan_and_infinity_are_refused_and_listing_stays_strict_json(emu, http):
    for text in ('{"x": NaN}', '{"x": Infinity}', '{"x": -Infinity}'):
        body = json.dumps(job_body()).replace('"metadata": {', '"metadata": ' + text[:-1] + ", ")
        answer = http.post(f"{emu.url}/jobs", data=body)
        assert "NaN and Infinity" in assert_error(answer, 400)["message"]
    big = json.dumps(job_body()).replace('"shots": 100', '"shots": 100, "settings": {"x": 1e999}')
    assert "not finite" in assert_error(http.post(f"{emu.url}/jobs", data=big), 400)["message"]
    create(http, emu)

    def strict(name):
        raise ValueError(name)

    json.loads(http.get(f"{emu.url}/jobs").text, parse_constant=strict)


def test_delay_inf_is_rejected(capsys):
    with pytest.raises(ValueError, match="finite"):
        JobDelays.coerce(float("inf"))
    with pytest.raises(ValueError):
        JobDelays.coerce({"running": float("nan")})
    parser = cli.argparse.ArgumentParser()
    cli.add_arguments(parser)
    for text in ("inf", "running=inf", "nan", "-1"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--delay", text])
    assert "invalid --delay" in capsys.readouterr().err


# ----------------------------------------------------------------------------- connections
def test_connection_cap_answers_503_and_recovers():
    with IonQEmulator(simulator=FakeSimulator(), max_connections=4) as emu:
        idle = [socket.create_connection(("127.0.0.1", emu.port)) for _ in range(4)]
        try:
            deadline = time.monotonic() + 5
            while emu._server.open_connections < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            threads = threading.active_count()
            answer = raw_request(
                emu.port, b"GET /v0.3/backends HTTP/1.1\r\nHost: localhost\r\n\r\n"
            )
            assert status_of(answer) == 503
            assert json.loads(answer.partition(b"\r\n\r\n")[2])["statusCode"] == 503
            assert threading.active_count() <= threads  # no thread for the refused one
        finally:
            for sock in idle:
                sock.close()
        deadline = time.monotonic() + 5
        while emu._server.open_connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert requests.get(f"{emu.url}/backends", timeout=5).status_code == 200


def test_slow_headers_are_cut_off():
    """Slow loris: a request head trickling in is closed after header_timeout."""
    with IonQEmulator(simulator=FakeSimulator(), header_timeout=0.5) as emu:
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /v0.3/backends HTTP/1.1\r\n")
            closed = False
            for _ in range(40):  # one header line every 0.1 s would go on for 4 s
                time.sleep(0.1)
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    closed = True
                    break
                sock.settimeout(0.01)
                try:
                    if sock.recv(1024) == b"":
                        closed = True
                        break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
            assert closed and time.monotonic() - started < 2.5
        # an idle keep-alive connection is not a slow head: it is served
        with requests.Session() as http:
            assert http.get(f"{emu.url}/backends").ok
            time.sleep(0.8)
            assert http.get(f"{emu.url}/backends").ok
