"""The public API end to end, through a real socket, against the emulator."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.providers.jobstatus import JobStatus
from qiskit.quantum_info import Statevector

from qiskit_ionq import ErrorMitigation, GPI2Gate, GPIGate, IonQProvider, MSGate
from qiskit_ionq.constants import AggregationType
from qiskit_ionq.exceptions import (
    IonQJobFailureError,
    IonQJobStateError,
)
from qiskit_ionq.ionq_result import IonQResult

TEST_TOKEN = "tok-SECRET-8c1f2b7e-do-not-leak"  # the conftest's provider token


def bell() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


def test_bell_counts_and_probabilities(provider):
    backend = provider.get_backend("ionq_simulator")
    job = backend.run(bell(), shots=1000, sampler_seed=7)
    result = job.result()
    assert isinstance(result, IonQResult)
    counts = result.get_counts()
    assert set(counts) == {"00", "11"}
    assert sum(counts.values()) == 1000
    assert 400 < counts["00"] < 600
    probs = result.get_probabilities()
    assert probs == pytest.approx({"00": 0.5, "11": 0.5}, abs=1e-9)
    assert result.success and result.job_id == job.job_id()
    assert job.status() is JobStatus.DONE and job.done() and job.in_final_state()
    assert result.time_taken is not None


def test_sampler_seed_makes_counts_repeatable(provider):
    backend = provider.get_backend("ionq_simulator")
    qc = QuantumCircuit(3, 3)
    qc.h([0, 1, 2])
    qc.measure([0, 1, 2], [0, 1, 2])
    first = backend.run(qc, shots=500, sampler_seed=42).get_counts()
    second = backend.run(qc, shots=500, sampler_seed=42).get_counts()
    assert first == second
    assert sum(first.values()) == 500


def test_qiskit_bit_order_and_registers(provider):
    backend = provider.get_backend("ionq_simulator")
    from qiskit import ClassicalRegister, QuantumRegister

    q = QuantumRegister(3, "q")
    a = ClassicalRegister(2, "a")
    b = ClassicalRegister(1, "b")
    qc = QuantumCircuit(q, a, b)
    qc.x(q[0])  # only qubit 0 is 1
    qc.measure(q[0], b[0])  # -> register b (left-most group)
    qc.measure(q[1], a[0])
    qc.measure(q[0], a[1])  # one qubit into two clbits
    counts = backend.run(qc, shots=100).get_counts()
    # Qiskit: registers separated by a space, first register right-most, bit 0 right-most.
    assert counts == {"1 10": 100}


def test_multi_circuit_job_by_index_name_and_object(provider):
    backend = provider.get_backend("ionq_simulator")
    one = QuantumCircuit(1, 1, name="one")
    one.x(0)
    one.measure(0, 0)
    zero = QuantumCircuit(2, 2, name="zero")
    zero.measure([0, 1], [0, 1])
    job = backend.run([one, zero], shots=50)
    assert job.get_counts(0) == {"1": 50}
    assert job.get_counts("zero") == {"00": 50}
    assert job.get_counts(one) == {"1": 50}
    assert job.get_probabilities(1) == pytest.approx({"00": 1.0}, abs=1e-12)
    detailed = job.status(detailed=True)
    assert detailed["statuses"] == [JobStatus.DONE, JobStatus.DONE]
    assert (detailed["total"], detailed["completed"], detailed["failed"]) == (2, 2, 0)


def test_retrieve_job_in_a_fresh_provider(provider, emulator):
    job = provider.get_backend("ionq_simulator").run(bell(), shots=200, sampler_seed=3)
    counts = job.get_counts()
    fresh = IonQProvider(token=TEST_TOKEN, url=emulator.url)
    again = fresh.get_backend("ionq_simulator").retrieve_job(job.job_id())
    assert again.get_counts() == counts  # same seed stored in metadata -> same sample


def test_retrieve_multi_circuit_job_uses_children_registers(provider, emulator):
    a = QuantumCircuit(2, 2, name="a")
    a.x(1)
    a.measure([1, 0], [0, 1])  # meas_mapped [1, 0]
    b = QuantumCircuit(2, 1, name="b")
    b.x(0)
    b.measure(0, 0)
    job = provider.get_backend("ionq_simulator").run([a, b], shots=10)
    job.result()
    fresh = IonQProvider(token=TEST_TOKEN, url=emulator.url).get_backend("ionq_simulator")
    again = fresh.retrieve_job(job.job_id())
    assert again.get_counts(0) == {"01": 10}
    assert again.get_counts(1) == {"1": 10}


def test_noisy_simulator_counts_sum_to_shots(provider):
    backend = provider.get_backend("ionq_simulator", noise_model="aria-1")
    counts = backend.run(bell(), shots=1000).get_counts()
    assert sum(counts.values()) == 1000
    assert counts.get("00", 0) + counts.get("11", 0) > 900


def test_qpu_backend_with_debiasing_and_aggregation(provider):
    backend = provider.get_backend("ionq_qpu.aria-1")
    job = backend.run(bell(), shots=1000, error_mitigation=ErrorMitigation.DEBIASING)
    average = job.result()
    plurality = job.result(AggregationType.PLURALITY)
    assert sum(average.get_counts().values()) == 1000
    assert sum(plurality.get_counts().values()) == 1000
    assert job.result(sharpen=True) is plurality  # cached per aggregation
    assert set(plurality.get_counts()) <= {"00", "11", "01", "10"}


def test_native_gateset_end_to_end(provider):
    backend = provider.get_backend("ionq_simulator", gateset="native")
    qc = QuantumCircuit(2, 2)
    qc.append(GPI2Gate(0.25), [0])
    qc.append(MSGate(0, 0), [0, 1])
    qc.append(GPIGate(0.1), [1])
    expected = Statevector(qc.remove_final_measurements(inplace=False)).probabilities_dict()
    qc.measure([0, 1], [0, 1])
    probs = backend.run(qc, shots=100).get_probabilities()
    for key, value in expected.items():
        assert probs.get(key, 0.0) == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("gateset", ["qis", "native"])
def test_transpile_then_run(provider, gateset):
    backend = provider.get_backend("ionq_simulator", gateset=gateset)
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.u(0.3, 0.2, 0.1, 1)
    qc.ccx(0, 1, 2)
    qc.rzz(0.7, 0, 2)
    expected = Statevector(qc).probabilities_dict()
    qc.measure([0, 1, 2], [0, 1, 2])
    compiled = transpile(qc, backend, optimization_level=1)
    probs = backend.run(compiled, shots=100).get_probabilities()
    for key, value in expected.items():
        assert probs.get(key, 0.0) == pytest.approx(value, abs=1e-9)


def test_failed_job_raises_with_vendor_code(provider):
    backend = provider.get_backend("ionq_simulator")
    body = {
        "target": "simulator",
        "shots": 10,
        "input": {"format": "ionq.circuit.v0", "gateset": "qis", "qubits": 1,
                  "circuit": [{"gate": "nonsense", "targets": [0]}]},
    }  # fmt: skip
    job_id = provider.client.submit_job(body)["id"]
    job = backend.retrieve_job(job_id)
    with pytest.raises(IonQJobFailureError) as info:
        job.result(timeout=10)
    assert info.value.error_code == "PreflightError"


def test_cancelled_job_result_raises_state_error(provider, emulator):
    emulator.job_delays = 5.0  # keep the job queued long enough to cancel it
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    assert job.cancel()
    assert job.status() is JobStatus.CANCELLED and job.cancelled()
    with pytest.raises(IonQJobStateError):
        job.result(timeout=5)


def test_wait_for_final_state_callback_sees_progress(provider, emulator):
    emulator.job_delays = 0.05
    seen = []
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    job.wait_for_final_state(timeout=10, wait=0.05, callback=lambda i, s, j: seen.append(s))
    assert seen[-1] is JobStatus.DONE
    assert len(seen) >= 2


def test_provider_and_backend_pickles_hold_no_token(provider):
    backend = provider.get_backend("ionq_simulator")
    blob = pickle.dumps(provider) + pickle.dumps(backend.configuration())
    assert TEST_TOKEN.encode() not in blob
    assert TEST_TOKEN not in repr(provider) + repr(backend)


def test_unmeasured_qubits_never_appear(provider):
    qc = QuantumCircuit(3, 1)
    qc.h([0, 1, 2])
    qc.measure(2, 0)
    probs = provider.get_backend("ionq_simulator").run(qc, shots=10).get_probabilities()
    assert probs == pytest.approx({"0": 0.5, "1": 0.5}, abs=1e-9)
    assert math.isclose(sum(probs.values()), 1.0, abs_tol=1e-9)
    assert np.isfinite(list(probs.values())).all()


def test_vendor_warnings_are_reemitted_end_to_end(provider, emulator):
    emulator.set_job_warnings(["Debiasing was disabled for this job"])
    job = provider.get_backend("ionq_simulator").run(bell(), shots=10)
    with pytest.warns(UserWarning, match="Debiasing was disabled for this job"):
        job.result()


def test_backend_status_and_calibration_end_to_end(provider):
    status = provider.get_backend("ionq_simulator").status()
    assert getattr(status, "operational", status) is True  # a bool from Qiskit 2 on
    cal = provider.get_backend("ionq_qpu.aria-1").calibration()
    assert cal.num_qubits == 25 and cal.target == "qpu.aria-1"
    assert len(cal.connectivity) == 25 * 24 // 2
    assert cal.calibration_time.tzinfo is not None


def test_transpile_for_ms_backend_with_large_angles_runs_exactly(provider):
    """transpile's rxx -> MS rule yields MS angles beyond 0.25 turns; run must accept them
    and keep the circuit's meaning (found by the fidelity run)."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.rxx(2.5, 0, 1)
    qc.ryy(-1.9, 1, 2)
    qc.cx(2, 0)
    expected = Statevector(qc).probabilities_dict()
    qc.measure([0, 1, 2], [0, 1, 2])
    aria = provider.get_backend("ionq_qpu.aria-1", gateset="native")
    compiled = transpile(qc, aria, optimization_level=1)
    assert {inst.operation.name for inst in compiled.data} <= {"gpi", "gpi2", "ms", "measure"}
    aria.run(compiled, shots=100).result()  # accepted by the QPU backend
    sim = provider.get_backend("ionq_simulator", gateset="native")
    probs = sim.run(compiled, shots=100).get_probabilities()
    for key, value in expected.items():
        assert probs.get(key, 0.0) == pytest.approx(value, abs=1e-9)
