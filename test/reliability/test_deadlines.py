"""Nothing waits beyond its bound.

* ``wait_for_final_state(timeout=...)`` and ``result(timeout=...)`` raise
  ``IonQJobTimeoutError`` (a Qiskit ``JobTimeoutError``) within the timeout plus one poll
  interval, against an emulator whose jobs take far longer.
* A route that fails on every request surfaces as ``IonQAPIError`` carrying the status and the
  body, within the retry policy's total-time bound; a route that never answers in time
  surfaces as a timeout error within the same bound.

Bounds are generous (timeout + wait + 1 s): the point is "bounded", not "fast".
"""

from __future__ import annotations

import json
import time

import pytest
from qiskit import QuantumCircuit
from qiskit.providers.exceptions import JobTimeoutError
from qiskit.providers.jobstatus import JobStatus

from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQClientError,
    IonQJobTimeoutError,
    IonQRequestTimeoutError,
)
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.ionq_job import IonQJob

TOKEN = "tok-deadlines"
SLACK = 1.0  # scheduling noise allowed on top of every bound
CONNECT, READ = 1.0, 0.5
POLICY = RetryPolicy(
    max_attempts=50,  # time, not attempts, is what runs out
    base_delay=0.05,
    max_delay=0.2,
    total_timeout=2.0,
    reconcile_delay=0.0,
    reconcile_timeout=1.0,
)
REQUEST_BOUND = POLICY.total_timeout + CONNECT + READ  # see RetryPolicy.total_timeout


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


@pytest.fixture
def slow_emulator():
    """Jobs sit in ``ready`` for a minute: waiting for them must time out."""
    emu = IonQEmulator(seed=3, job_delays={"ready": 60.0})
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def short_client(emu: IonQEmulator) -> IonQClient:
    return IonQClient(TOKEN, emu.url, timeout=(CONNECT, READ), retry_policy=POLICY)


def timed(call):
    start = time.monotonic()
    try:
        call()
    except BaseException as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


@pytest.mark.parametrize("timeout, wait", [(1.0, 0.2), (1.5, 1.0), (0.5, 5.0)])
def test_wait_for_final_state_honours_its_timeout(slow_emulator, timeout, wait):
    backend = slow_emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    seen = []
    error, elapsed = timed(
        lambda: job.wait_for_final_state(
            timeout=timeout, wait=wait, callback=lambda *args: seen.append(args[1])
        )
    )
    assert isinstance(error, IonQJobTimeoutError) and isinstance(error, JobTimeoutError)
    assert job.job_id() in str(error)
    assert timeout <= elapsed <= timeout + min(wait, timeout) + SLACK
    assert seen and set(seen) <= {JobStatus.INITIALIZING, JobStatus.QUEUED}


@pytest.mark.parametrize("timeout", [0.3, 1.2])
def test_result_honours_its_timeout(slow_emulator, timeout):
    backend = slow_emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    error, elapsed = timed(lambda: job.result(timeout=timeout, wait=0.5))
    assert isinstance(error, IonQJobTimeoutError), error
    assert "timeout" in str(error).lower() or "timed out" in str(error).lower()
    assert timeout <= elapsed <= timeout + 0.5 + SLACK


def test_a_large_poll_interval_does_not_push_the_deadline(slow_emulator):
    """The last sleep is cut to the deadline: wait=60 still times out after ~1 s."""
    backend = slow_emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    error, elapsed = timed(lambda: job.result(timeout=1.0, wait=60))
    assert isinstance(error, IonQJobTimeoutError)
    assert elapsed <= 1.0 + 2 * SLACK


def test_the_job_is_still_there_after_a_timeout(slow_emulator):
    backend = slow_emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = backend.run(bell(), shots=10)
    with pytest.raises(IonQJobTimeoutError):
        job.result(timeout=0.2, wait=0.1)
    slow_emulator.job_delays = None
    # The job keeps its "ready" phase; a fresh retrieve by id still works and may finish.
    again = backend.retrieve_job(job.job_id())
    assert again.status() in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE)


# -- permanently failing routes ----------------------------------------------------------
@pytest.mark.parametrize(
    "status, body_fragment",
    [
        (502, "<html"),  # a CDN's HTML page
        (503, "Service Unavailable"),  # JSON body, Retry-After: 1
        (504, "Gateway Timeout"),
        (409, "<html"),  # Cloudflare's 409 on GET
        (522, "<html"),
        (429, "Too Many Requests"),
    ],
)
def test_a_permanently_failing_get_surfaces_the_api_error_in_bounded_time(
    emulator, status, body_fragment
):
    client = short_client(emulator)
    backend = emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = IonQJob(backend, None, client, circuit=bell(), passed_args={"shots": 10})
    job.submit()
    emulator.faults.add(route="GET /jobs/{id}", kind="status", status=status, times=None)
    error, elapsed = timed(lambda: job.result(timeout=30))
    assert isinstance(error, IonQAPIError), error
    assert error.status_code == status
    assert body_fragment in str(error.body)
    assert str(status) in str(error)
    assert elapsed <= REQUEST_BOUND + SLACK
    rule = emulator.stats()["faults"][0]
    assert rule["fired"] >= 2  # it was retried, not given up at once


def test_a_permanently_failing_results_route_surfaces_the_api_error(emulator):
    client = short_client(emulator)
    backend = emulator.provider(token=TOKEN).get_backend("ionq_simulator")
    job = IonQJob(backend, None, client, circuit=bell(), passed_args={"shots": 10})
    job.submit()
    job.wait_for_final_state(timeout=30)
    # A glob: /results on v0.3, /results/probabilities on v0.4.
    emulator.faults.add(route="GET /jobs/*/results*", kind="status", status=502, times=None)
    error, elapsed = timed(lambda: job.result())
    assert isinstance(error, IonQAPIError) and error.status_code == 502
    assert "<html" in str(error.body)
    assert elapsed <= REQUEST_BOUND + SLACK


def test_a_persistent_500_on_a_read_is_reported_with_status_and_body_in_bounded_time(emulator):
    """500 on a read is retried like a 502 (usually transient, ionq-api.md §7.3); once the
    budget is spent the user sees the API error itself, with its status and body."""
    client = short_client(emulator)
    job_id = client.submit_job(_body())["id"]
    emulator.faults.add(route="GET /jobs/{id}", kind="status", status=500, times=None)
    error, elapsed = timed(lambda: client.retrieve_job(job_id))
    assert isinstance(error, IonQAPIError) and error.status_code == 500
    body = json.loads(error.body)  # the response text, unchanged
    assert body["statusCode"] == 500 and error.error_type == "Internal Server Error"
    assert elapsed <= REQUEST_BOUND + SLACK
    assert emulator.stats()["faults"][0]["fired"] > 1


def test_a_route_that_never_answers_in_time_times_out_in_bounded_time(emulator):
    client = short_client(emulator)
    job_id = client.submit_job(_body())["id"]
    emulator.faults.add(route="GET /jobs/{id}", kind="slow", delay=READ + 1.0, times=None)
    error, elapsed = timed(lambda: client.retrieve_job(job_id))
    assert isinstance(error, IonQRequestTimeoutError), error
    assert "read timeout" in str(error)
    assert elapsed <= REQUEST_BOUND + SLACK


def test_a_route_that_always_resets_fails_in_bounded_time(emulator):
    client = short_client(emulator)
    job_id = client.submit_job(_body())["id"]
    emulator.faults.add(route="GET /jobs/{id}", kind="reset", times=None)
    error, elapsed = timed(lambda: client.retrieve_job(job_id))
    assert isinstance(error, IonQClientError), error
    assert elapsed <= REQUEST_BOUND + SLACK


def test_a_permanently_failing_submit_is_bounded_and_creates_nothing(emulator):
    client = short_client(emulator)
    emulator.faults.add(route="POST /jobs", kind="status", status=503, times=None)
    error, elapsed = timed(lambda: client.submit_job(_body()))
    assert isinstance(error, IonQAPIError) and error.status_code == 503
    # POSTs within the budget, each followed by a reconciliation (one attempt each).
    bound = REQUEST_BOUND + POLICY.reconcile_delay + POLICY.reconcile_timeout + CONNECT + READ
    assert elapsed <= bound + SLACK
    assert emulator.stats()["jobs_created"] == 0


def test_a_permanently_stored_then_failing_submit_adopts_the_first_job(emulator):
    client = short_client(emulator)
    emulator.faults.add(route="POST /jobs", kind="store_then_fail", status=502, times=None)
    error, elapsed = timed(lambda: client.submit_job(_body()))
    assert error is None
    stats = emulator.stats()
    assert stats["jobs_created"] == 1 and stats["duplicate_jobs"] == 0
    assert elapsed <= REQUEST_BOUND + SLACK


def test_a_transient_500_on_the_job_list_does_not_break_reconciliation(emulator):
    """The reconciliation's GET /jobs only reads: a 500 there is retried, not reported as
    "the job MAY EXIST" (which would leave the caller unable to tell)."""
    client = short_client(emulator)
    emulator.faults.add(route="POST /jobs", kind="store_then_fail", status=502, times=1)
    emulator.faults.add(route="GET /jobs", kind="status", status=500, times=1)
    error, elapsed = timed(lambda: client.submit_job(_body()))
    assert error is None, error
    stats = emulator.stats()
    assert stats["jobs_created"] == 1 and stats["duplicate_jobs"] == 0
    assert stats["requests"]["GET /jobs"] == {"500": 1, "200": 1}
    assert elapsed <= REQUEST_BOUND + SLACK


# The create answer of each API version: 200 on v0.3, 201 Created on v0.4.
CREATED = {"v0.3": "200", "v0.4": "201"}


def test_retry_after_is_honoured(emulator):
    client = short_client(emulator)
    job_id = client.submit_job(_body())["id"]
    emulator.faults.add(route="GET /jobs/{id}", kind="status", status=429, retry_after=1)
    error, elapsed = timed(lambda: client.retrieve_job(job_id))
    assert error is None
    assert 1.0 <= elapsed <= 1.0 + POLICY.base_delay + SLACK


def test_retry_after_is_honoured_before_a_resubmission(emulator):
    """A 503 on POST: the job list proves no job was made; resubmit after Retry-After."""
    client = short_client(emulator)
    emulator.faults.add(route="POST /jobs", kind="status", status=503, times=1)  # Retry-After: 1
    error, elapsed = timed(lambda: client.submit_job(_body()))
    assert error is None
    assert 1.0 <= elapsed <= 1.0 + POLICY.base_delay + SLACK
    stats = emulator.stats()
    assert stats["jobs_created"] == 1 and stats["requests"]["POST /jobs"] == {
        "503": 1,
        CREATED[emulator.api_version]: 1,
    }


def _body() -> dict:
    return {
        "target": "simulator",
        "shots": 10,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": 1,
            "circuit": [{"gate": "x", "target": 0}],
        },
    }
