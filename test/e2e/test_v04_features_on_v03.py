"""On IonQ API v0.3 every v0.4-only feature fails before any job is created, saying how to get it.

Runs through the emulator's ``/v0.3`` tree over a real socket; the job count proves nothing
was submitted.
"""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq import Session
from qiskit_ionq.exceptions import (
    IonQAPIVersionError,
    IonQMidCircuitMeasurementError,
)

HINT = 'IonQProvider(api_version="v0.4")'


@pytest.fixture
def api_version() -> str:
    """This module is about API v0.3 only (the v0.4 behaviour: test_v04_features.py)."""
    return "v0.3"


def _bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


@pytest.fixture
def qpu(provider):
    return provider.get_backend("ionq_qpu.aria-1")


@pytest.mark.parametrize(
    "what,call",
    [
        ("dry run", lambda b: b.run(_bell(), dry_run=True)),
        ("session id", lambda b: b.run(_bell(), session_id="s-1")),
        ("v0.4 debiasing", lambda b: b.run(_bell(), shots=1000, debiasing=True)),
        ("symmetry verification", lambda b: b.run(_bell(), symmetry_verification=True)),
        ("max_cost", lambda b: b.run(_bell(), max_cost=10)),
        ("estimate", lambda b: b.estimate_cost(_bell(), shots=100)),
        ("session", lambda b: b.session(max_jobs=2)),
        ("Session class", lambda b: Session(b)),
    ],
)
def test_v04_only_run_features_are_refused_before_submit(emulator, qpu, what, call):
    with pytest.raises(IonQAPIVersionError) as info:
        call(qpu)
    assert HINT in str(info.value) and "v0.3" in str(info.value), what
    assert emulator.job_ids() == []


def test_v04_only_job_features_are_refused(emulator, provider):
    job = provider.get_backend("ionq_simulator").run(_bell(), shots=100)
    for call in (job.cost, job.compiled_circuit, lambda: job.result(aggregation="dnl")):
        with pytest.raises(IonQAPIVersionError, match="IonQ API v0.4"):
            call()
    # average/voting exist on v0.3 (sharpen) and work.
    assert sum(job.result(aggregation="voting").get_counts().values()) == 100
    with pytest.raises(IonQAPIVersionError):
        provider.jobs(session="s-1")


def test_dynamic_circuit_keeps_its_v03_error_and_names_v04(emulator, provider):
    qc = QuantumCircuit(1, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.x(0)
    qc.measure(0, 1)
    with pytest.raises(IonQMidCircuitMeasurementError) as info:
        provider.get_backend("ionq_simulator").run(qc)
    assert "after a measurement" in str(info.value) and HINT in str(info.value)
    assert emulator.job_ids() == []


def test_job_listing_pages_on_v03(emulator, provider):
    sim = provider.get_backend("ionq_simulator")
    made = [sim.run(_bell(), shots=10).job_id() for _ in range(3)]
    qpu_job = provider.get_backend("ionq_qpu.aria-1").run(_bell(), shots=10).job_id()
    from qiskit_ionq import jobs_listing

    old = jobs_listing.PAGE_SIZE
    jobs_listing.PAGE_SIZE = 2  # force several pages (cursor paging)
    try:
        listed = [j.job_id() for j in provider.jobs(limit=None)]
        on_sim = [j.job_id() for j in provider.jobs(limit=None, backend="ionq_simulator")]
        two = provider.jobs(limit=2)
    finally:
        jobs_listing.PAGE_SIZE = old
    assert listed == [qpu_job, *reversed(made)]
    assert on_sim == list(reversed(made))
    assert len(two) == 2 and two[0].job_id() == qpu_job
