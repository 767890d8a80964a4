"""Job bodies through the simulator: input forms, result keys, widths and preflight failures."""

from __future__ import annotations

import math
import pickle

import pytest

from qiskit_ionq.emulator.simulation.simulator import (
    MAX_ACTIVE_QUBITS,
    CircuitResult,
    JobFailure,
    execute,
    predicted_execution_time_ms,
    validate_job,
)

BELL = [{"gate": "h", "targets": [0]}, {"gate": "x", "controls": [0], "targets": [1]}]


def job(circuit=None, qubits=None, **top):
    inp = {"format": "ionq.circuit.v0", "gateset": top.pop("gateset", "qis"), "circuit": circuit}
    if qubits is not None:
        inp["qubits"] = qubits
    return {"target": "simulator", "shots": 100, "input": inp, **top}


def only(body, **kw) -> CircuitResult:
    (result,) = execute(body, **kw)
    return result


def approx(hist):
    return {k: pytest.approx(v, abs=1e-12) for k, v in hist.items()}


# ------------------------------------------------------------------------- results
def test_little_endian_keys():
    assert only(job([{"gate": "x", "targets": [0]}], 2)).histogram == {"1": 1.0}
    assert only(job([{"gate": "x", "targets": [1]}], 2)).histogram == {"2": 1.0}
    assert only(job(BELL, 2)).histogram == approx({"0": 0.5, "3": 0.5})


def test_bell_result_fields():
    r = only(job(BELL, 2, name="bell"))
    assert r.name == "bell" and r.qubits == 2
    assert r.gate_counts == {"1q": 1, "2q": 1}
    assert r.sharpened == r.histogram
    assert all(isinstance(k, str) and isinstance(v, float) for k, v in r.histogram.items())


def test_width_sparsity_and_idle_qubits():
    r = only(job([{"gate": "x", "targets": [3]}], 5))
    assert (r.qubits, r.histogram) == (5, {"8": 1.0})
    # Untouched qubits are not simulated but stay |0> at their place in the key.
    r = only(job([{"gate": "h", "targets": [2]}, {"gate": "x", "targets": [4]}]))
    assert r.qubits == 5
    assert r.histogram == approx({"16": 0.5, "20": 0.5})
    r = only(job([{"gate": "h", "targets": [q]} for q in range(3)], 3))
    assert len(r.histogram) == 8 and math.isclose(sum(r.histogram.values()), 1.0)
    assert list(r.histogram) == [str(i) for i in range(8)]  # ascending keys


def test_empty_circuit_and_tiny_probabilities_dropped():
    assert only(job([], 3)).histogram == {"0": 1.0}
    # rx(pi) leaves ~1e-33 on |0>: an ideal histogram omits states below 1e-12.
    assert list(only(job([{"gate": "rx", "rotation": math.pi, "targets": [0]}], 1)).histogram) == [
        "1"
    ]


def test_ideal_results_do_not_depend_on_shots_or_seed():
    a = only(job(BELL, 2, shots=7), seed=1)
    b = only(job(BELL, 2, shots=5000), seed=2)
    assert a.histogram == b.histogram


def test_z_with_rotation_is_a_phase_gate():
    # Two P(pi/2) make X between Hadamards; an ignored rotation (Z Z = I) would give "0".
    circ = [
        {"gate": "h", "targets": [0]},
        {"gate": "z", "rotation": math.pi / 2, "targets": [0]},
        {"gate": "z", "rotation": math.pi / 2, "targets": [0]},
        {"gate": "h", "targets": [0]},
    ]
    assert only(job(circ, 1)).histogram == approx({"1": 1.0})
    # Controlled, with the control in superposition: a controlled-RZ would differ here.
    qiskit = pytest.importorskip("qiskit")
    from qiskit.quantum_info import Statevector

    qc = qiskit.QuantumCircuit(2)
    qc.h([0, 1])
    qc.cp(0.9, 1, 0)
    qc.h(0)
    circ = [
        {"gate": "h", "targets": [0]},
        {"gate": "h", "targets": [1]},
        {"gate": "z", "rotation": 0.9, "controls": [1], "targets": [0]},
        {"gate": "h", "targets": [0]},
    ]
    want = {str(i): p for i, p in enumerate(Statevector(qc).probabilities()) if p > 1e-12}
    assert only(job(circ, 2)).histogram == approx(want)


def test_gate_counts_include_controls():
    circ = [
        {"gate": "h", "targets": [0]},
        {"gate": "rz", "rotation": 0.1, "targets": [1]},
        {"gate": "x", "controls": [0, 1], "targets": [2]},
        {"gate": "swap", "targets": [0, 2]},
        {"gate": "pauliexp", "targets": [1], "terms": ["Z"], "coefficients": [1.0], "time": 0.2},
    ]
    assert only(job(circ, 3)).gate_counts == {"1q": 3, "2q": 2}


# ---------------------------------------------------------------------- input forms
def test_multi_circuit_order_names_and_overrides():
    body = {
        "target": "simulator",
        "shots": 10,
        "input": {
            "gateset": "qis",
            "qubits": 3,
            "circuits": [
                {"name": "c0", "circuit": [{"gate": "x", "targets": [2]}]},
                {"name": "c1", "circuit": [{"gate": "x", "targets": [0]}]},
                {
                    "name": "c2",
                    "gateset": "native",
                    "qubits": 4,
                    "circuit": [{"gate": "gpi", "target": 3, "phase": 0}],
                    "registers": {"meas_mapped": [3]},
                },
            ],
        },
    }
    results = execute(body)
    assert [r.name for r in results] == ["c0", "c1", "c2"]
    assert [r.qubits for r in results] == [3, 3, 4]
    assert [r.histogram for r in results] == [{"4": 1.0}, {"1": 1.0}, {"8": 1.0}]


def test_legacy_cirq_form_and_string_shots():
    body = {
        "target": "simulator",
        "shots": "200",
        "lang": "json",
        "body": {
            "gateset": "qis",
            "qubits": 2,
            "circuit": [{"gate": "cnot", "control": 0, "target": 1}, *BELL[:1]],
        },
    }
    assert only(body).histogram == approx({"0": 0.5, "1": 0.5})
    body["body"] = {"qubits": 1, "circuits": [{"circuit": [{"gate": "x", "targets": [0]}]}]}
    assert only(body).histogram == {"1": 1.0}


def test_input_as_array_of_circuit_objects():
    body = {
        "target": "simulator",
        "input": [
            {"format": "ionq.circuit.v0", "qubits": 2, "circuit": BELL, "name": "a"},
            {
                "gateset": "native",
                "qubits": 1,
                "circuit": [{"gate": "gpi", "target": 0, "phase": 0.25}],
            },
        ],
    }
    a, b = execute(body)
    assert (a.name, a.histogram) == ("a", approx({"0": 0.5, "3": 0.5}))
    assert (b.name, b.histogram) == (None, approx({"1": 1.0}))


def test_defaults_target_and_shots():
    body = {"input": {"circuit": [{"gate": "x", "targets": [1]}]}}
    validate_job(body)
    assert only(body).histogram == {"2": 1.0}


# ------------------------------------------------------------------------ failures
def failure(body) -> JobFailure:
    with pytest.raises(JobFailure) as err:
        validate_job(body)
    with pytest.raises(JobFailure) as err2:
        execute(body)
    assert (err.value.code, err.value.message) == (err2.value.code, err2.value.message)
    return err.value


PREFLIGHT = {
    "unknown gate": job([{"gate": "u3", "targets": [0]}]),
    "upper-case gate": job([{"gate": "H", "targets": [0]}]),
    "no gate name": job([{"targets": [0]}]),
    "gate not an object": job(["h"]),
    "missing targets": job([{"gate": "h"}]),
    "empty targets": job([{"gate": "h", "targets": []}]),
    "negative target": job([{"gate": "h", "targets": [-1]}]),
    "bool target": job([{"gate": "h", "targets": [True]}]),
    "float target": job([{"gate": "h", "targets": [1.0]}]),
    "targets not a list": job([{"gate": "h", "targets": 0}]),
    "target and targets": job([{"gate": "h", "target": 0, "targets": [0]}]),
    "two targets on 1q gate": job([{"gate": "h", "targets": [0, 1]}]),
    "one target on swap": job([{"gate": "swap", "targets": [0]}]),
    "duplicate qubit": job([{"gate": "x", "controls": [1], "targets": [1]}]),
    "duplicate targets": job([{"gate": "swap", "targets": [2, 2]}]),
    "out of range": job([{"gate": "x", "targets": [2]}], 2),
    "eight controls": job([{"gate": "x", "controls": list(range(8)), "targets": [8]}], 9),
    "controlled swap": job([{"gate": "swap", "controls": [0], "targets": [1, 2]}]),
    "cnot without control": job([{"gate": "cnot", "targets": [0]}]),
    "missing rotation": job([{"gate": "rx", "targets": [0]}]),
    "string rotation": job([{"gate": "rx", "rotation": "0.5", "targets": [0]}]),
    "nan rotation": job([{"gate": "rz", "rotation": float("nan"), "targets": [0]}]),
    "rotation on h": job([{"gate": "h", "rotation": 0.5, "targets": [0]}]),
    "native gate in qis": job([{"gate": "gpi", "target": 0, "phase": 0.1}]),
    "qis gate in native": job([{"gate": "h", "targets": [0]}], gateset="native"),
    "controlled native": job(
        [{"gate": "gpi", "target": 0, "control": 1, "phase": 0}], gateset="native"
    ),
    "ms one phase": job([{"gate": "ms", "targets": [0, 1], "phases": [0.1]}], gateset="native"),
    "ms bad angle": job(
        [{"gate": "ms", "targets": [0, 1], "phases": [0, 0], "angle": "x"}], gateset="native"
    ),
    "gpi no phase": job([{"gate": "gpi", "target": 0}], gateset="native"),
    "zz no angle": job([{"gate": "zz", "targets": [0, 1]}], gateset="native"),
    "pauliexp short term": job(
        [{"gate": "pauliexp", "targets": [0, 1], "terms": ["X"], "coefficients": [1], "time": 1}]
    ),
    "pauliexp bad char": job(
        [{"gate": "pauliexp", "targets": [0], "terms": ["A"], "coefficients": [1], "time": 1}]
    ),
    "pauliexp coeff count": job(
        [{"gate": "pauliexp", "targets": [0], "terms": ["X"], "coefficients": [], "time": 1}]
    ),
    "pauliexp negative time": job(
        [{"gate": "pauliexp", "targets": [0], "terms": ["X"], "coefficients": [1], "time": -1}]
    ),
    "unknown gateset": job([], gateset="cirq"),
    "bad format": {"target": "simulator", "input": {"format": "openqasm", "circuit": []}},
    "circuit and circuits": {"input": {"circuit": [], "circuits": [{"circuit": []}]}},
    "neither": {"input": {"qubits": 2}},
    "empty circuits": {"input": {"circuits": []}},
    "entry without circuit": {"input": {"circuits": [{"name": "x"}]}},
    "circuit not a list": {"input": {"circuit": {"gate": "h"}}},
    "no input": {"target": "simulator"},
    "bad qubits": job([], -1),
    "legacy lang": {"lang": "qasm", "body": {"circuit": []}},
    "unknown target": {**job([]), "target": "qpu.zeus"},
    "unknown noise model": {**job([]), "noise": {"model": "aria-9"}},
    "zero shots": {**job([]), "shots": 0},
    "bad shots": {**job([]), "shots": "lots"},
    "bool shots": {**job([]), "shots": True},
    "bad error mitigation": {**job([]), "error_mitigation": {"debias": "yes"}},
    "body not an object": [],
}


@pytest.mark.parametrize("body", PREFLIGHT.values(), ids=PREFLIGHT.keys())
def test_preflight_errors(body):
    assert failure(body).code == "PreflightError"


def test_failure_message_names_the_gate_position():
    err = failure(job([{"gate": "h", "targets": [0]}, {"gate": "rx", "targets": [0]}]))
    assert "gate 1" in err.message and "rotation" in err.message


@pytest.mark.parametrize(
    "target,noise,limit",
    [
        ("simulator", None, 29),
        ("simulator", {"model": "ideal"}, 29),
        ("simulator", {"model": "harmony"}, 11),
        ("simulator", {"model": "aria-1"}, 25),
        ("simulator", {"model": "aria-2"}, 25),
        ("simulator", {"model": "forte-1"}, 29),
        ("simulator", {"model": "forte-enterprise-1"}, 29),
        ("qpu.harmony", None, 11),
        ("qpu.aria-1", None, 25),
        ("qpu.aria-2", {"model": "harmony"}, 25),  # noise is ignored for QPUs
        ("qpu.forte-1", None, 36),
        ("qpu.forte-enterprise-1", None, 36),
        ("qpu", None, 25),
    ],
)
def test_not_enough_qubits(target, noise, limit):
    body = {"target": target, "shots": 10, "noise": noise}
    body["input"] = {"qubits": limit, "circuit": [{"gate": "x", "targets": [0]}]}
    if limit <= MAX_ACTIVE_QUBITS:
        validate_job(body)
    body["input"]["qubits"] = limit + 1
    assert failure(body).code == "NotEnoughQubits"
    body["input"] = {"circuit": [{"gate": "x", "targets": [limit]}]}  # width from the index
    assert failure(body).code == "NotEnoughQubits"


def test_emulator_cap_is_a_simulation_error():
    # 29 touched qubits are allowed (the memory budget decides); 30 only exist on QPU targets
    assert MAX_ACTIVE_QUBITS == 29
    wide = [{"gate": "x", "targets": [q]} for q in range(MAX_ACTIVE_QUBITS + 1)]
    assert failure(job(wide, 36, target="qpu.forte-1")).code == "SimulationError"
    # A wide register is fine as long as few qubits are touched.
    r = only(job([{"gate": "x", "targets": [28]}], 29))
    assert r.histogram == {str(1 << 28): 1.0}


def test_job_failure_is_picklable():
    err = pickle.loads(pickle.dumps(JobFailure("PreflightError", "bad gate")))
    assert (err.code, err.message) == ("PreflightError", "bad gate")
    assert "bad gate" in str(err)


def test_predicted_execution_time():
    sim = predicted_execution_time_ms(job(BELL, 2))
    qpu = predicted_execution_time_ms({**job(BELL, 2), "target": "qpu.aria-1", "shots": 1000})
    assert isinstance(sim, int) and sim >= 1
    assert qpu > sim
    assert predicted_execution_time_ms({"input": "nonsense"}) == 0
