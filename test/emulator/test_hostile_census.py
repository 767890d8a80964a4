"""Hostile-input census: many malformed requests, each a 4xx with the vendor's error body;
afterwards the emulator still answers quickly and holds no more memory than before.

Memory is measured with ``tracemalloc`` in this process (the emulator runs in-process), with
generous slack: the point is "no body buffered and kept", not an exact figure.
"""

from __future__ import annotations

import gc
import json
import socket
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Tuple

import pytest
import requests
from test_server_support import FakeSimulator, create, job_body, session

from qiskit_ionq.emulator import IonQEmulator

KEY = "census-key"
MAX_BODY = 256 * 1024
HEAD = b"Host: 127.0.0.1\r\nAuthorization: apiKey " + KEY.encode() + b"\r\n"


def _raw(port: int, payload: bytes) -> Tuple[int, Dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(payload)
        except OSError:
            pass  # the server may answer and close before the whole payload is sent
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if length and len(rest) >= length[0]:
                    break
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split(" ")[1]), headers, body


def _post(path: str, extra: bytes, body: bytes = b"") -> bytes:
    return b"POST /v0.3" + path.encode() + b" HTTP/1.1\r\n" + HEAD + extra + b"\r\n" + body


def _job(**changes: Any) -> Dict[str, Any]:
    body = job_body()
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()


def _deep(n: int) -> bytes:
    return b"[" * n + b"]" * n


# (name, how to send it) -> the sender returns (status, content type, body bytes)
Sender = Callable[[IonQEmulator], Tuple[int, str, bytes]]


def raw(payload: bytes) -> Sender:
    def send(emu: IonQEmulator) -> Tuple[int, str, bytes]:
        status, headers, body = _raw(emu.port, payload)
        return status, headers.get("Content-Type", ""), body

    return send


def api(method: str, path: str, key: str = KEY, admin: bool = False, **kwargs: Any) -> Sender:
    def send(emu: IonQEmulator) -> Tuple[int, str, bytes]:
        base = f"http://127.0.0.1:{emu.port}/_emulator" if admin else emu.url
        with session(key) as http:
            answer = http.request(method, base + path, timeout=10, **kwargs)
        return answer.status_code, answer.headers.get("Content-Type", ""), answer.content

    return send


def post_job(**changes: Any) -> Sender:
    return api("POST", "/jobs", json=_job(**changes))


def post_text(text: str | bytes) -> Sender:
    return api("POST", "/jobs", data=text)


CASES: List[Tuple[str, Sender]] = [
    # --- HTTP framing (before any body byte is buffered)
    ("content-length abc", raw(_post("/jobs", b"Content-Length: abc\r\n"))),
    ("content-length -1", raw(_post("/jobs", b"Content-Length: -1\r\n"))),
    ("content-length +5", raw(_post("/jobs", b"Content-Length: +5\r\n", b"{}   "))),
    ("content-length 1_0", raw(_post("/jobs", b"Content-Length: 1_0\r\n"))),
    ("conflicting lengths", raw(_post("/jobs", b"Content-Length: 2\r\nContent-Length: 3\r\n"))),
    ("length list", raw(_post("/jobs", b"Content-Length: 2, 3\r\n", b"{}"))),
    (
        "length and chunked",
        raw(_post("/jobs", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n")),
    ),
    ("unknown coding", raw(_post("/jobs", b"Transfer-Encoding: gzip\r\n"))),
    ("gzip, chunked", raw(_post("/jobs", b"Transfer-Encoding: gzip, chunked\r\n"))),
    ("chunked twice", raw(_post("/jobs", b"Transfer-Encoding: chunked, chunked\r\n"))),
    (
        "chunk size -1",
        raw(_post("/jobs", b"Transfer-Encoding: chunked\r\n", b"-1\r\n" + b"x" * 4096)),
    ),
    (
        "chunk size zz",
        raw(_post("/jobs", b"Transfer-Encoding: chunked\r\n", b"zz\r\nab\r\n0\r\n\r\n")),
    ),
    ("chunk size 0x10", raw(_post("/jobs", b"Transfer-Encoding: chunked\r\n", b"0x10\r\n"))),
    (
        "chunk size huge",
        raw(_post("/jobs", b"Transfer-Encoding: chunked\r\n", b"FFFFFFFFFF\r\nab")),
    ),
    (
        "chunks over the limit",
        raw(
            _post(
                "/jobs",
                b"Transfer-Encoding: chunked\r\n",
                (b"10000\r\n" + b" " * 0x10000 + b"\r\n") * 5 + b"0\r\n\r\n",
            )
        ),
    ),
    ("length over the limit", raw(_post("/jobs", b"Content-Length: 999999999999\r\n"))),
    (
        "chunk longer than its size",
        raw(_post("/jobs", b"Transfer-Encoding: chunked\r\n", b"2\r\nabc\r\n0\r\n\r\n")),
    ),
    ("bad request line", raw(b"GET /v0.3/backends HTTP/1.1 x\r\n\r\n")),
    ("bad http version", raw(b"GET /v0.3/backends HTTP/9\r\n\r\n")),
    ("unknown method", raw(b"BREW /v0.3/jobs HTTP/1.1\r\n" + HEAD + b"\r\n")),
    ("foreign host", raw(b"GET /v0.3/backends HTTP/1.1\r\nHost: evil.example\r\n\r\n")),
    # --- auth and access
    ("no authorization", api("GET", "/jobs", key="")),
    (
        "bearer scheme",
        raw(b"GET /v0.3/jobs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer x\r\n\r\n"),
    ),
    ("wrong key", api("GET", "/jobs", key="guess")),
    (
        "admin from a page",
        api("POST", "/reset", admin=True, headers={"Origin": "https://x.example"}),
    ),
    (
        "admin cross-site",
        api("POST", "/reset", admin=True, headers={"Sec-Fetch-Site": "cross-site"}),
    ),
    # --- bodies
    ("not json", post_text("{not json")),
    ("NaN", post_text('{"target": "simulator", "shots": NaN}')),
    (
        "Infinity in metadata",
        post_text(json.dumps(job_body()).replace('"shots": "100"', '"x": Infinity')),
    ),
    ("1e999 in settings", post_text(json.dumps(_job(settings={"x": 1.5})).replace("1.5", "1e999"))),
    ("nested 100k deep", post_text(_deep(100_000))),
    ("nested metadata", post_job(metadata={"a": json.loads(_deep(40))})),
    ("not utf-8", post_text(b"\xff\xfe{}")),
    ("json array", post_text("[1, 2]")),
    ("target list", post_job(target=["simulator"])),
    ("target dict", post_job(target={"name": "simulator"})),
    ("target number", post_job(target=5)),
    ("target missing", post_job(target=_DROP)),
    ("shots superscript", post_job(shots="\u00b2")),
    ("shots 5000 digits", post_job(shots="9" * 5000)),
    (
        "shots huge int",
        post_text(json.dumps(_job()).replace('"shots": 100', '"shots": ' + "9" * 5000)),
    ),
    ("shots negative", post_job(shots=-1)),
    ("shots bool", post_job(shots=True)),
    ("shots 1e999", post_text(json.dumps(_job()).replace('"shots": 100', '"shots": 1e999'))),
    ("input missing", post_job(input=_DROP)),
    ("input string", post_job(input="h q[0];")),
    ("metadata list", post_job(metadata=["a"])),
    # --- queries and routes
    ("limit 10**21", api("GET", f"/jobs?limit={10**21}")),
    ("limit text", api("GET", "/jobs?limit=ten")),
    ("limit zero", api("GET", "/jobs?limit=0")),
    ("limit in body", api("GET", "/jobs", json={"limit": [1]})),
    ("unknown status", api("GET", "/jobs?status=done")),
    ("unknown cursor", api("GET", "/jobs?next=nope")),
    ("many query fields", api("GET", "/jobs?" + "&".join(f"a{i}=1" for i in range(2000)))),
    ("job id .", raw(b"GET /v0.3/jobs/. HTTP/1.1\r\n" + HEAD + b"\r\n")),
    ("job id ..", raw(b"GET /v0.3/jobs/.. HTTP/1.1\r\n" + HEAD + b"\r\n")),
    ("trailing slash", api("GET", "/jobs/")),
    ("unknown job", api("GET", "/jobs/00000000-0000-4000-8000-000000000000")),
    ("bad sharpen", api("GET", "/jobs/x/results?sharpen=maybe")),
    ("cancel without ids", api("PUT", "/jobs/status/cancel", json={"ids": "x"})),
    ("delete without ids", api("DELETE", "/jobs")),
    ("char limit huge", api("GET", f"/characterizations/backends/qpu.aria-1?limit={10**21}")),
    ("char start text", api("GET", "/characterizations/backends/qpu.aria-1?start=yesterday")),
    ("wrong method", api("PATCH", "/jobs")),
    # --- admin routes (fault rules arrive as JSON)
    ("fault route not a string", api("POST", "/faults", admin=True, json=[{"route": 5}])),
    ("fault route a list", api("POST", "/faults", admin=True, json=[{"route": ["/jobs"]}])),
    (
        "fault private field",
        api("POST", "/faults", admin=True, json=[{"route": "*", "_seen": "x"}]),
    ),
    (
        "fault delay 1e999",
        api("POST", "/faults", admin=True, data='[{"route": "*", "kind": "slow", "delay": 1e999}]'),
    ),
    ("fault times text", api("POST", "/faults", admin=True, json=[{"route": "*", "times": "2"}])),
    (
        "fault status bool",
        api("POST", "/faults", admin=True, json=[{"route": "*", "status": True}]),
    ),
    ("fault unknown kind", api("POST", "/faults", admin=True, json=["GET /jobs:explode"])),
]


@pytest.fixture
def emu(tmp_path):
    # the SQLite store: limit=10**21 once overflowed its integer binding (a 500)
    with IonQEmulator(
        api_keys=[KEY], simulator=FakeSimulator(), store=tmp_path / "jobs.db", max_body=MAX_BODY
    ) as emulator:
        yield emulator


def _healthy(emu: IonQEmulator) -> float:
    started = time.monotonic()
    answer = requests.get(f"{emu.url}/backends", timeout=5)
    assert answer.status_code == 200 and answer.json()
    return time.monotonic() - started


def test_hostile_census(emu):
    assert len(CASES) >= 40
    with session(KEY) as http:
        create(http, emu)  # something to lose
    for _ in range(2):  # warm up every code path (imports, caches) before measuring
        for _, send in CASES[:3]:
            send(emu)
    gc.collect()
    tracemalloc.start()
    try:
        idle, _ = tracemalloc.get_traced_memory()
        failures = []
        for name, send in CASES:
            status, content_type, body = send(emu)
            if not 400 <= status < 500:
                failures.append(f"{name}: HTTP {status} {body[:200]!r}")
                continue
            try:
                error = json.loads(body)
            except ValueError:
                failures.append(f"{name}: HTTP {status} with a non-JSON body {body[:200]!r}")
                continue
            if (
                content_type != "application/json"
                or set(error) != {"error", "message", "statusCode"}
                or error["statusCode"] != status
                or not error["message"]
            ):
                failures.append(f"{name}: HTTP {status} body {error!r} ({content_type})")
        assert not failures, "\n".join(failures)
        assert _healthy(emu) < 1.0
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # nothing buffered is kept: a few MiB of slack for caches, logging and thread stacks
    assert after - idle < 4 * 1024 * 1024, (idle, after)
    # and no single request made the server hold anything near the refused sizes
    assert peak - idle < 32 * 1024 * 1024, (idle, peak)
    with session(KEY) as http:
        assert len(http.get(f"{emu.url}/jobs").json()["jobs"]) == 1  # the job survived
    assert emu.stats()["jobs_created"] == 1
