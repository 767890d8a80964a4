"""Every wait is bounded by what the user asked for, whatever the server does.

Against :mod:`hostile_server` (a real socket): a server that accepts and never answers, one
that trickles a byte every second, one that streams an endless chunked body. Each case
failed on the client before this suite: ``result(timeout=1)`` took the full 30 s read
timeout plus retries (60.5 s), never returned against the trickle, and buffered the
endless body until memory ran out. Bounds are generous (timeout + ~1.5 s): the point is
"bounded", not "fast".
"""

from __future__ import annotations

import time

import pytest
from hostile_server import (
    HostileServer,
    endless_chunked,
    hang,
    json_reply,
    raw_reply,
    sequence,
    trickle,
    trickle_headers,
)

from qiskit_ionq import IonQProvider
from qiskit_ionq.api.transport import Transport
from qiskit_ionq.exceptions import IonQClientError, IonQJobTimeoutError
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.ionq_job import IonQJob

TOKEN = "tok-hostile-waits"
MARGIN = 1.5
JOB = "job-1"


def job_object(status: str = "completed", qubits: int = 2) -> dict:
    return {"id": JOB, "status": status, "target": "simulator", "qubits": qubits, "shots": 100}


@pytest.fixture
def server():
    with HostileServer() as srv:
        yield srv


def job_on(server: HostileServer, client: IonQClient = None) -> IonQJob:
    provider = IonQProvider(TOKEN, server.url)
    backend = provider.get_backend("ionq_simulator")
    return IonQJob(backend, JOB, client or provider.client)


def elapsed(call):
    start = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


@pytest.mark.parametrize("timeout", [0.5, 1.5])
def test_result_timeout_against_a_server_that_never_answers(server, timeout):
    # Default client settings: a 30 s read timeout and a 60 s retry budget.
    server.on("GET", f"/v0.3/jobs/{JOB}", hang())
    error, took = elapsed(lambda: job_on(server).result(timeout=timeout))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < timeout + MARGIN
    assert JOB in str(error)


def test_wait_for_final_state_against_a_server_that_never_answers(server):
    server.on("GET", f"/v0.3/jobs/{JOB}", hang())
    error, took = elapsed(lambda: job_on(server).wait_for_final_state(timeout=1.0))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < 1.0 + MARGIN


def test_result_timeout_against_a_trickling_results_body(server):
    # The job is done; its results arrive one byte a second, forever: no single read ever
    # times out, so only a bound on the whole body's time can end the call.
    server.on("GET", f"/v0.3/jobs/{JOB}", json_reply(job_object()))
    server.on("GET", f"/v0.3/jobs/{JOB}/results", trickle(interval=0.3, content_length=1000))
    error, took = elapsed(lambda: job_on(server).result(timeout=2.0))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < 2.0 + MARGIN


def test_trickling_job_status_is_bounded_too(server):
    server.on("GET", f"/v0.3/jobs/{JOB}", trickle(interval=0.3))
    error, took = elapsed(lambda: job_on(server).wait_for_final_state(timeout=1.0))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < 1.0 + MARGIN


@pytest.mark.parametrize("method", ["result", "wait_for_final_state"])
def test_trickling_response_headers_are_bounded_too(server, method):
    # The headers themselves trickle in, a byte every 0.3 s, forever: before any body
    # exists, so only a bound on the whole request (not per read) can end the call.
    server.on("GET", f"/v0.3/jobs/{JOB}", trickle_headers(interval=0.3))
    error, took = elapsed(lambda: getattr(job_on(server), method)(timeout=1.0))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < 1.0 + MARGIN


def test_endless_results_body_stops_at_the_size_a_job_of_that_width_can_have(server):
    server.on("GET", f"/v0.3/jobs/{JOB}", json_reply(job_object(qubits=3)))
    server.on("GET", f"/v0.3/jobs/{JOB}/results", endless_chunked())
    error, took = elapsed(lambda: job_on(server).result())
    assert type(error) is IonQClientError, error
    assert "exceeded" in str(error) and "bytes" in str(error)
    assert took < 5.0


def test_endless_body_on_any_route_stops_at_the_transport_cap(server):
    server.on("GET", f"/v0.3/jobs/{JOB}", endless_chunked())
    transport = Transport(max_response_bytes=4 << 20)
    client = IonQClient(TOKEN, server.url, transport=transport)
    error, _ = elapsed(lambda: client.retrieve_job(JOB))
    assert type(error) is IonQClientError, error
    assert "exceeded 4,194,304 bytes" in str(error)


def test_a_declared_oversized_body_is_refused_before_reading(server):
    huge = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{"
    )
    server.on("GET", f"/v0.3/jobs/{JOB}", raw_reply(huge))
    transport = Transport(max_response_bytes=1 << 20)
    client = IonQClient(TOKEN, server.url, transport=transport)
    error, took = elapsed(lambda: client.retrieve_job(JOB))
    assert type(error) is IonQClientError and "declares" in str(error), error
    assert took < 2.0


def test_the_deadline_reaches_every_request_of_a_result_call(server):
    # The job object answers at once but "running"; each poll then hangs. With a 1 s
    # timeout, the call must not wait for the 30 s read timeout of the hanging poll.
    server.on("GET", f"/v0.3/jobs/{JOB}", sequence(json_reply(job_object("running")), hang()))
    error, took = elapsed(lambda: job_on(server).result(timeout=1.0))
    assert isinstance(error, IonQJobTimeoutError), error
    assert took < 1.0 + MARGIN
    assert server.count("GET", f"/v0.3/jobs/{JOB}") >= 2
