"""Exactly-once submission through a real socket: the emulator's faults, and a hostile server.

Each case reproduces a hole of the earlier rule ("resubmit once the list proves absence"):

* a slow accept -- the server stores the job only after the client's read timeout fired --
  made ``backend.run(qc)`` create the job twice (absence from the list is not proof while
  the first request may still be in flight);
* a job listing without ``metadata`` was taken as proof of absence: one ``run()`` made
  several jobs;
* a transient 500 on a read (status, results) reached the user.

The duplicate count is the emulator's own (jobs per submission id).
"""

from __future__ import annotations

import time

import pytest
from hostile_server import HostileServer, hang, json_reply
from qiskit import QuantumCircuit

from qiskit_ionq import IonQProvider
from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.cli import main as cli_main
from qiskit_ionq.constants import SUBMISSION_ID_KEY
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.exceptions import IonQClientError, IonQSubmissionUnknownError

TOKEN = "tok-exactly-once"
READ = 0.5


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def policy(window: float) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=5,
        base_delay=0.05,
        max_delay=0.5,
        total_timeout=10.0,
        reconcile_delay=0.1,
        reconcile_timeout=window,
    )


@pytest.fixture
def emu(api_version):
    """The emulator, spoken to in each API version (test/conftest.py's ``api_version``)."""
    with IonQEmulator(seed=7, api_version=api_version) as emulator:
        yield emulator


def backend_on(url: str, window: float = 5.0):
    provider = IonQProvider(TOKEN, url, timeout=(1.0, READ), retry_policy=policy(window))
    return provider.get_backend("ionq_simulator")


def test_slow_accept_is_adopted_not_duplicated(emu):
    # The server validates for 1.5 s, three times the read timeout, before storing the job.
    emu.faults.add(route="POST /jobs", kind="slow_accept", delay=1.5)
    start = time.monotonic()
    job = backend_on(emu.url).run(bell(), shots=100, sampler_seed=3)
    time.sleep(max(0.0, start + 2.0 - time.monotonic()))  # the slow request has landed
    stats = emu.stats()
    assert stats["jobs_created"] == 1 and stats["duplicate_jobs"] == 0, stats
    assert (
        stats["requests"]["POST /jobs"] == {"200": 1}
        or sum(stats["requests"]["POST /jobs"].values()) == 1
    ), stats
    assert sum(job.get_counts().values()) == 100


def test_a_job_that_appears_only_after_the_window_is_never_resubmitted(emu, monkeypatch):
    # Slower than the whole reconciliation window: the client must give up WITHOUT a second
    # POST, naming the submission id and how to find the job, which does appear later.
    emu.faults.add(route="POST /jobs", kind="slow_accept", delay=2.5)
    backend = backend_on(emu.url, window=1.0)
    with pytest.raises(IonQSubmissionUnknownError) as info:
        backend.run(bell(), shots=10)
    sid = info.value.submission_id
    message = str(info.value)
    assert sid and sid in message and "may still appear" in message
    assert f"qiskit-ionq job find {sid}" in message
    deadline = time.monotonic() + 5
    while emu.stats()["jobs_created"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    found = backend.client.find_job(sid)
    assert found is not None and found["metadata"][SUBMISSION_ID_KEY] == sid
    stats = emu.stats()
    assert stats["jobs_created"] == 1 and sum(stats["requests"]["POST /jobs"].values()) == 1
    # The command line the message names finds it too.
    monkeypatch.setenv("QISKIT_IONQ_API_TOKEN", TOKEN)
    assert cli_main(["job", "find", sid, "--url", emu.url]) == 0
    assert cli_main(["job", "find", "no-such-submission", "--url", emu.url]) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_answered_5xx_stored_is_adopted(emu, status):
    emu.faults.add(route="POST /jobs", kind="store_then_fail", status=status)
    job = backend_on(emu.url).run(bell(), shots=10)
    stats = emu.stats()
    assert stats["jobs_created"] == 1 and stats["duplicate_jobs"] == 0
    assert job.status().name == "DONE"


def test_answered_500_not_stored_is_resubmitted_once(emu):
    # The server answered 500 (done with the request) and the list proves no job: resend.
    emu.faults.add(route="POST /jobs", kind="status", status=500)
    job = backend_on(emu.url).run(bell(), shots=10)
    stats = emu.stats()
    assert stats["jobs_created"] == 1 and stats["duplicate_jobs"] == 0
    assert sum(stats["requests"]["POST /jobs"].values()) == 2
    assert sum(job.get_counts().values()) == 10


# A glob for the results route: /results on v0.3, /results/probabilities on v0.4.
@pytest.mark.parametrize("route", ["GET /jobs/{id}", "GET /jobs/*/results*"])
def test_a_transient_500_on_a_read_is_invisible(emu, route):
    emu.faults.add(route=route, kind="status", status=500, times=2)
    job = backend_on(emu.url).run(bell(), shots=50)
    assert sum(job.get_counts().values()) == 50
    assert emu.stats()["faults"][0]["fired"] == 2


def _listing_without_metadata(server: HostileServer) -> None:
    # Another tool's (or a trimmed) list view: no `metadata` field at all.
    recent = {"id": "someone-elses", "status": "ready", "request": int(time.time()) + 5}
    server.on("GET", "/v0.3/jobs", json_reply({"jobs": [recent]}))


def test_a_listing_without_metadata_is_no_proof_after_a_502():
    with HostileServer() as server:
        server.on("POST", "/v0.3/jobs", json_reply(b"<html>502</html>", status=502))
        _listing_without_metadata(server)
        backend = backend_on(server.url)
        with pytest.raises(IonQClientError, match="MAY EXIST") as info:
            backend.run(bell(), shots=10)
        assert "does not show the metadata" in str(info.value)
        assert server.count("POST", "/v0.3/jobs") == 1


def test_a_listing_without_metadata_is_no_proof_after_a_timeout():
    with HostileServer() as server:
        server.on("POST", "/v0.3/jobs", hang())
        _listing_without_metadata(server)
        backend = backend_on(server.url, window=1.0)
        with pytest.raises(IonQSubmissionUnknownError):
            backend.run(bell(), shots=10)
        assert server.count("POST", "/v0.3/jobs") == 1
