"""The features only IonQ API v0.4 has, end to end through the emulator's ``/v0.4`` tree.

OpenQASM 3 jobs (mid-circuit measurement, reset, feed-forward), per-shot results with leakage
exclusion, dry runs and compiled circuits, cost and estimates (both 2026 body shapes, and
``max_cost``), sessions with limits, v0.4 error mitigation and aggregations, and job listing
with cursor paging. Their refusal on v0.3 is in ``test_v04_features_on_v03.py``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import requests
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.quantum_info import Statevector

from qiskit_ionq import jobs_listing
from qiskit_ionq.cost import Cost
from qiskit_ionq.emulator.cost_model import price
from qiskit_ionq.exceptions import (
    IonQAPIError,
    IonQCircuitError,
    IonQCostLimitError,
    IonQInvalidOptionError,
    IonQJobFailureError,
    IonQJobStateError,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:qiskit.*")


@pytest.fixture
def api_version() -> str:
    return "v0.4"


def _bell(name: str = "bell") -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name=name)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def _teleport_like() -> QuantumCircuit:
    """Two registers, a mid-circuit measurement, a reset and qubit reuse."""
    qc = QuantumCircuit(
        QuantumRegister(2, "q"), ClassicalRegister(1, "mid"), ClassicalRegister(2, "out")
    )
    qc.x(0)
    qc.measure(0, 0)  # mid = 1
    qc.reset(0)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 1)
    qc.measure(1, 2)  # out is 00 or 11
    return qc


# ---------------------------------------------------------------- OpenQASM 3 jobs
def test_mid_circuit_measurement_and_reset_per_register(provider, emulator):
    backend = provider.get_backend("ionq_simulator", noise_model="forte-1")
    job = backend.run(_teleport_like(), shots=500, memory=True)
    assert emulator.get_job(job.job_id()) is not None
    result = job.result()
    counts = result.get_counts()
    assert sum(counts.values()) == 500
    assert counts.get("00 1", 0) + counts.get("11 1", 0) >= 480  # noise flips a few
    assert abs(counts.get("00 1", 0) - counts.get("11 1", 0)) < 100
    memory = result.get_memory()
    assert Counter(memory) == Counter(counts)  # counts and memory agree exactly
    assert job.leakage()[0].leaked_shots == 0


def test_feed_forward_runs_where_the_backend_allows_it(provider, emulator):
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.measure(1, 1)  # clbit 1 always equals clbit 0
    backend = provider.get_backend("ionq_simulator", noise_model="forte-1")
    with pytest.raises(IonQJobFailureError, match="feed-forward") as info:
        backend.run(qc, shots=100).result()
    assert info.value.error_code == "PreflightError"  # accepted, then failed, as IonQ does
    emulator.v04_settings.feed_forward = True
    counts = backend.run(qc, shots=400).result().get_counts()
    assert counts.get("00", 0) + counts.get("11", 0) >= 390


def test_qasm3_limits_are_clear_errors_before_submit(provider, emulator):
    ideal = provider.get_backend("ionq_simulator")
    with pytest.raises(IonQCircuitError, match="ideal simulator returns no per-shot"):
        ideal.run(_teleport_like())
    noisy = provider.get_backend("ionq_simulator", noise_model="aria-1")
    with pytest.raises(IonQCircuitError, match="one OpenQASM 3 program per job"):
        noisy.run([_teleport_like(), _teleport_like()])
    assert emulator.job_ids() == []


# ---------------------------------------------------------------- per-shot results
def test_memory_comes_from_the_api_shots_and_agrees_with_counts(provider):
    job = provider.get_backend("ionq_qpu.aria-1").run(_bell(), shots=300, memory=True)
    result = job.result()
    memory, counts = result.get_memory(), result.get_counts()
    assert len(memory) == 300 and Counter(memory) == Counter(counts)
    assert job.leakage()[0].total_shots == 300


def test_leaked_shots_are_excluded_and_reported(provider, emulator):
    emulator.v04_settings.leakage_rate = 0.05  # Tempo-class systems leak (emulator default)
    backend = provider.get_backend("ionq_qpu.tempo-1")  # known from the API's catalogue
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    job = backend.run(qc, shots=1000, memory=True)
    result = job.result()
    (report,) = job.leakage()
    assert 30 < report.leaked_shots < 200  # two 2q gates at 5%
    kept = sum(result.get_counts().values())
    assert kept == len(result.get_memory()) == 1000 - report.leaked_shots
    header = result.results[0].header
    header = header if isinstance(header, dict) else header.to_dict()
    assert header["leakage"]["leaked_shots"] == report.leaked_shots
    # an OpenQASM 3 job on the same system: leakage tags come with the register shots
    dyn = backend.run(_teleport_like(), shots=1000)
    dyn_report = dyn.leakage()[0]
    assert dyn_report.leaked_shots > 0
    assert sum(dyn.result().get_counts().values()) == 1000 - dyn_report.leaked_shots


# ---------------------------------------------------------------- dry runs
@pytest.mark.parametrize("system", ["ionq_qpu.aria-1", "ionq_qpu.forte-1"])
def test_dry_run_compiles_without_running(provider, system):
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ry(0.7, 2)
    qc.cz(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    job = provider.get_backend(system).run(qc, shots=100, dry_run=True)
    with pytest.raises(IonQJobStateError, match="dry run"):
        job.result()
    native = job.compiled_circuit("native")
    names = set(native.count_ops())
    assert names <= {"gpi", "gpi2", "ms", "zz"} and names & {"ms", "zz"}
    expected = Statevector(qc.remove_final_measurements(inplace=False)).probabilities()
    np.testing.assert_allclose(Statevector(native).probabilities(), expected, atol=1e-9)
    assert job.compiled_circuit("qasm3").startswith("OPENQASM 3")
    cost = job.cost()
    assert cost.dry_run and cost.actual is None and cost.estimated.unit == "usd"


# ---------------------------------------------------------------- cost
@pytest.mark.parametrize("shape", ["2609", "2605"])
def test_estimate_counts_the_serialized_gates(provider, emulator, shape):
    emulator.v04_settings.estimate_shape = shape
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    estimate = provider.get_backend("ionq_qpu.forte-1").estimate_cost(qc, shots=10_000)
    assert estimate.cost == Cost(price("qpu.forte-1", 10_000, 1, 2), "usd")
    assert estimate.execution_time_ms and estimate.execution_time_ms > 0
    assert emulator.job_ids() == []  # nothing ran


def test_job_cost_and_max_cost(provider, emulator):
    backend = provider.get_backend("ionq_qpu.aria-1")
    with pytest.raises(IonQCostLimitError, match="over max_cost=50"):
        backend.run(_bell(), shots=100, max_cost=50)
    assert emulator.job_ids() == []
    job = backend.run(_bell(), shots=100, max_cost=Cost(200, "usd"))
    assert job.estimate.cost.value == 97.5
    job.result()
    cost = job.cost()
    assert not cost.dry_run and cost.actual == cost.estimated == Cost(97.5, "usd")
    with pytest.raises(IonQInvalidOptionError):
        backend.run(_bell(), max_cost="cheap")


# ---------------------------------------------------------------- sessions
def test_session_carries_jobs_and_ends_on_exit(provider):
    backend = provider.get_backend("ionq_qpu.forte-1")
    with backend.session(max_jobs=3, max_minutes=10) as session:
        first = backend.run(_bell(), shots=20)
        second = session.run(_bell(), shots=20)
        assert session.status() == "started" and session.active
    assert session.status() == "ended"
    assert first.result().get_counts() and second.result().get_counts()
    assert {j.job_id() for j in session.jobs()} == {first.job_id(), second.job_id()}
    assert first._refresh()["session_id"] == session.id
    reopened = backend.session(session.id)
    assert reopened.status() == "ended" and reopened.id == session.id
    assert backend.run(_bell(), shots=20)._refresh()["session_id"] is None  # outside: none


def test_session_ends_on_error_and_enforces_its_limits(provider, emulator):
    backend = provider.get_backend("ionq_qpu.aria-1")
    with pytest.raises(RuntimeError, match="boom"):
        with backend.session() as session:
            raise RuntimeError("boom")
    assert session.status() == "ended"
    with backend.session(max_jobs=1) as limited:
        backend.run(_bell(), shots=10)
        before = len(emulator.job_ids())
        with pytest.raises(IonQAPIError, match="ended|job_count_limit") as info:
            backend.run(_bell(), shots=10)
        assert info.value.status_code == 400 and len(emulator.job_ids()) == before
    with backend.session(max_cost=150) as capped:
        backend.run(_bell(), shots=10)  # 97.5 of 150
        with pytest.raises(IonQAPIError, match="cost_limit"):
            backend.run(_bell(), shots=10)
    assert limited.status() == capped.status() == "ended"


def test_sessions_are_separate_per_api_key():
    from qiskit_ionq import IonQProvider
    from qiskit_ionq.emulator import IonQEmulator

    with IonQEmulator(api_keys=["alice-key", "bob-key"], api_version="v0.4", seed=3) as emu:
        alice = IonQProvider(token="alice-key", url=emu.url).get_backend("ionq_qpu.aria-1")
        bob = IonQProvider(token="bob-key", url=emu.url).get_backend("ionq_qpu.aria-1")
        with alice.session(max_jobs=5) as mine, bob.session() as theirs:
            alice.run(_bell(), shots=10)
            foreign = bob.session(mine.id)  # Alice's id, read and used with Bob's key
            for call in (foreign.status, foreign.end):
                with pytest.raises(IonQAPIError) as info:
                    call()
                assert info.value.status_code == 404
            before = len(emu.job_ids())
            with pytest.raises(IonQAPIError, match="does not exist") as info:
                bob.run(_bell(), shots=10, session_id=mine.id)
            assert info.value.status_code == 400 and len(emu.job_ids()) == before
            with pytest.raises(IonQAPIError):
                foreign.jobs()
            assert mine.status() == "started" and mine.active  # untouched by Bob
            assert theirs.status() == "created" and len(mine.jobs()) == 1
            for key, own in (("alice-key", mine.id), ("bob-key", theirs.id)):
                listed = requests.get(
                    f"{emu.url}/sessions", headers={"Authorization": f"apiKey {key}"}, timeout=10
                ).json()["sessions"]
                assert [s["id"] for s in listed] == [own]
        assert mine.status() == "ended" and theirs.status() == "ended"


# ---------------------------------------------------------------- error mitigation
def test_v04_debiasing_and_aggregations(provider, emulator):
    backend = provider.get_backend("ionq_qpu.aria-1")
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    job = backend.run(qc, shots=1000, debiasing=True)
    assert job._refresh()["settings"]["error_mitigation"] == {"debiasing": True}
    average = job.result(aggregation="average").get_probabilities()
    voting = job.result(aggregation="voting").get_probabilities()
    assert voting != average  # two aggregations of the debiased variants
    assert job.result(sharpen=True).get_probabilities() == voting  # sharpen = voting
    # dnl: the average without the outcomes fewer than half of the 25 variants saw (the
    # emulator's definition, docs/reference/ionq-api.md section 9.6), renormalised.
    dnl = job.result(aggregation="dnl").get_probabilities()
    assert sum(dnl.values()) == pytest.approx(1.0)
    assert {"000", "111"} <= set(dnl) < set(average)  # some noise outcome was dropped
    kept = sum(average[k] for k in dnl)
    assert all(dnl[k] == pytest.approx(average[k] / kept) for k in dnl)
    for key, p in average.items():
        if round(p * 1000) < 13:  # in at most 12 of the 25 variants: noise
            assert key not in dnl
    # Without debiasing every aggregation is the plain frequencies.
    plain = backend.run(qc, shots=1000, debiasing=False)
    freqs = plain.result().get_probabilities()
    for name in ("voting", "dnl", "majority"):
        assert plain.result(aggregation=name).get_probabilities() == freqs
    with pytest.raises(IonQInvalidOptionError, match="does not support symmetry_verification"):
        backend.run(qc, shots=1000, symmetry_verification=True)
    with pytest.raises(IonQInvalidOptionError, match="at least 500 shots"):
        backend.run(qc, shots=100, debiasing=True)


def test_v04_majority_votes_bit_by_bit_where_voting_takes_whole_strings(provider):
    # P(000) = 0.36 and P(001) = P(011) = P(101) = P(111) = 0.16 (Qiskit order, q2 q1 q0):
    # the most frequent string is 000, but q0 reads 1 in 64% of the shots and q1, q2 in
    # 32%, so bit by bit the majority is 001.
    qc = QuantumCircuit(3, 3)
    qc.ry(2 * np.arcsin(np.sqrt(0.64)), 0)
    qc.cry(np.pi / 2, 0, 1)
    qc.cry(np.pi / 2, 0, 2)
    qc.measure([0, 1, 2], [0, 1, 2])
    job = provider.get_backend("ionq_qpu.aria-1").run(qc, shots=10_000, debiasing=True)
    average = job.result(aggregation="average").get_probabilities()
    assert average["000"] == pytest.approx(0.36, abs=0.03)
    assert average["001"] == pytest.approx(0.16, abs=0.03)
    # 400 shots per variant: every variant's plurality is 000, its bitwise majority 001.
    assert job.result(aggregation="voting").get_probabilities() == {"000": 1.0}
    assert job.result(aggregation="majority").get_probabilities() == {"001": 1.0}
    with pytest.raises(IonQInvalidOptionError, match="Unknown aggregation"):
        job.result(aggregation="median")


# ---------------------------------------------------------------- listing
def test_job_listing_with_filters_and_cursor_paging(provider, monkeypatch):
    monkeypatch.setattr(jobs_listing, "PAGE_SIZE", 2)
    sim = provider.get_backend("ionq_simulator")
    qpu = provider.get_backend("ionq_qpu.forte-1")
    sims = [sim.run(_bell(), shots=10).job_id() for _ in range(3)]
    with qpu.session() as session:
        in_session = qpu.run(_bell(), shots=10).job_id()
    listed = [j.job_id() for j in provider.jobs(limit=None)]
    assert listed == [in_session, *reversed(sims)]
    assert [j.job_id() for j in provider.jobs(backend=sim, limit=None)] == list(reversed(sims))
    assert [j.job_id() for j in provider.jobs(session=session.id)] == [in_session]
    done = provider.jobs(status="completed", limit=2)
    assert len(done) == 2 and all(j.status().name == "DONE" for j in done)


def test_v04_job_extras_survive_a_restart_on_the_sqlite_store(tmp_path):
    """Type, dry run, session and estimated cost are kept in the job's record."""
    from qiskit_ionq.emulator import IonQEmulator

    path = str(tmp_path / "jobs.db")
    with IonQEmulator(api_version="v0.4", store=path, seed=5) as emu:
        qpu = emu.provider().get_backend("ionq_qpu.aria-1")
        dry = qpu.run(_bell(), shots=100, dry_run=True)
        with qpu.session() as session:
            ran = qpu.run(_bell(), shots=300)
        ran.result()
        before = {job.job_id(): (job._refresh(), job.cost()) for job in (dry, ran)}
    with IonQEmulator(api_version="v0.4", store=path, seed=5) as emu:
        qpu = emu.provider().get_backend("ionq_qpu.aria-1")
        for job_id, (view, cost) in before.items():
            again = qpu.retrieve_job(job_id)
            after = again._refresh()
            for field in ("type", "dry_run", "session_id"):
                assert after[field] == view[field], field
            assert again.cost() == cost
        assert before[dry.job_id()][0]["dry_run"] is True
        assert before[ran.job_id()][0]["session_id"] == session.id
        assert before[ran.job_id()][1].actual == before[ran.job_id()][1].estimated


def test_artifacts_survive_the_sqlite_store(tmp_path):
    """The SQLite store keeps artifacts with the heavy fields; job objects still list them."""
    from qiskit_ionq.emulator import IonQEmulator

    with IonQEmulator(api_version="v0.4", store=str(tmp_path / "jobs.db"), seed=5) as emu:
        provider = emu.provider()
        noisy = provider.get_backend("ionq_simulator", noise_model="aria-1")
        counts = noisy.run(_teleport_like(), shots=200).result().get_counts()
        assert sum(counts.values()) == 200
        dry = provider.get_backend("ionq_qpu.aria-1").run(_bell(), dry_run=True)
        assert set(dry.compiled_circuit("native").count_ops()) <= {"gpi", "gpi2", "ms"}
