"""The emulator's v0.4 job kinds without HTTP: OpenQASM 3 execution, dry-run compilation, shots."""

from __future__ import annotations

import random

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm3
from qiskit.quantum_info import Statevector

from qiskit_ionq.emulator.simulation import simulator
from qiskit_ionq.emulator.simulation.compile import compile_circuit
from qiskit_ionq.emulator.simulation.gates import JobFailure
from qiskit_ionq.emulator.simulation.qasm3_exec import TEMPO_LIKE, parse_program, run_program
from qiskit_ionq.emulator.v04_jobs import (
    FeatureSettings,
    FeatureSimulator,
    json_job_shots,
    stored_qasm3_input,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:qiskit.*")


def _dynamic() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.reset(0)
    qc.cx(0, 1)  # q0 is |0> after the reset: q1 stays |0>
    qc.x(0)
    qc.measure([0, 1], [0, 1])
    return qc


def _qasm3_body(qc, **extra):
    body = {"target": "simulator", "shots": 400, "noise": {"model": "aria-1", "seed": 3}}
    body["input"] = stored_qasm3_input({"input": {"data": qasm3.dumps(qc), "qubits": 2}})
    body.update(extra)
    return body


def test_qasm3_job_runs_shot_by_shot_with_artifacts():
    sim = FeatureSimulator(simulator)
    sim.validate_job(_qasm3_body(_dynamic()))
    (result,) = sim.execute(_qasm3_body(_dynamic()), seed=1)
    shots = result.artifacts["shots-v2"]["shots"]
    assert len(shots) == 400
    # clbit 0 was last written by the final measure of q0 (= 1 after x), clbit 1 by q1 (= 0)
    ones = sum(s["registers"]["c"] == [1, 0] for s in shots)
    assert ones >= 390  # noise flips a few
    assert result.histogram and abs(sum(result.histogram.values()) - 1) < 1e-9
    assert result.gate_counts == {"1q": 2, "2q": 1}
    assert set(result.artifacts) == {"shots-v2", "histogram-v2", "probabilities-v2"}


def test_qasm3_preflight_failures_fail_the_job_not_the_request():
    sim = FeatureSimulator(simulator)
    with pytest.raises(JobFailure) as info:
        sim.validate_job({"target": "simulator", "input": {"qasm3": "OPENQASM 3; nonsense"}})
    assert info.value.code == "PreflightError"
    qc = QuantumCircuit(1, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    with pytest.raises(JobFailure, match="feed-forward"):
        sim.validate_job(_qasm3_body(qc))
    FeatureSimulator(simulator, FeatureSettings(feed_forward=True)).validate_job(_qasm3_body(qc))
    wide = QuantumCircuit(12, 1)
    wide.measure(11, 0)
    wide.reset(11)
    with pytest.raises(JobFailure) as info:
        sim.validate_job({**_qasm3_body(wide), "target": "qpu.harmony"})
    assert info.value.code == "NotEnoughQubits"


def test_leakage_on_tempo_like_model():
    program = parse_program(qasm3.dumps(_dynamic()))
    record = run_program(program, 2000, seed=5, noise=TEMPO_LIKE.with_leakage(0.05))
    leaked = record.leakage != 0
    assert 40 < leaked.sum() < 200  # one 2q gate at 5%: ~100 of 2000
    assert set(np.unique(record.leakage[leaked]).tolist()) <= {1, 2}  # qubit 0 or 1
    clean = run_program(program, 2000, seed=5, noise=TEMPO_LIKE)
    assert not clean.leakage.any()


def test_dry_run_compiles_and_never_simulates():
    class Exploding:
        JobFailure = JobFailure

        def validate_job(self, body):
            simulator.validate_job(body)

        def execute(self, body, seed=None):
            raise AssertionError("a dry run must not be simulated")

    body = {
        "target": "qpu.forte-1",
        "shots": 100,
        "dry_run": True,
        "input": {"gateset": "qis", "qubits": 2, "circuit": [
            {"gate": "h", "targets": [0]}, {"gate": "x", "controls": [0], "targets": [1]}]},
    }  # fmt: skip
    (result,) = FeatureSimulator(Exploding()).execute(body)
    assert result.histogram == {}
    native = result.artifacts["compiled-native"]
    assert {g["gate"] for g in native["circuit"]} <= {"gpi", "gpi2", "zz"}
    assert any(g["gate"] == "zz" for g in native["circuit"])  # Forte-class entangler
    assert result.artifacts["compiled-qasm3"].startswith("OPENQASM 3")


@pytest.mark.parametrize("entangler", ["ms", "zz"])
def test_compiled_native_circuits_keep_the_probabilities(entangler):
    rng = random.Random(7)
    for _ in range(10):
        qc = QuantumCircuit(3)
        for _ in range(8):
            name = rng.choice(["h", "cx", "rx", "ry", "t", "cz", "swap", "s"])
            if name in ("cx", "cz", "swap"):
                getattr(qc, name)(*rng.sample(range(3), 2))
            elif name in ("rx", "ry"):
                getattr(qc, name)(rng.uniform(-3, 3), rng.randrange(3))
            else:
                getattr(qc, name)(rng.randrange(3))
        native = compile_circuit(qc, entangler)["ionq.native.v1"]
        (run,) = simulator.execute({"target": "simulator", "input": native})
        got = np.zeros(8)
        for key, p in run.histogram.items():
            got[int(key)] = p
        np.testing.assert_allclose(got, Statevector(qc).probabilities(), atol=1e-9)


def test_json_job_shots_agree_with_the_histogram():
    histogram = {"0": 0.25, "3": 0.75}
    data = json_job_shots("job-1", histogram, 400)
    assert sorted(set(data["values"])) == [0, 3]
    assert data["values"].count(3) == 300 and data["values"].count(0) == 100
    assert json_job_shots("job-1", histogram, 400) == data  # same answer every time
    leaky = json_job_shots("job-1", histogram, 400, leakage_rate=0.1, two_qubit_gates=2)
    assert 40 < sum(1 for v in leaky["leakage"] if v) < 120
