"""Property test: our counts/probabilities agree with Qiskit on random circuits and layouts.

For a random circuit (1-6 qubits, random 1- and 2-qubit gates), a random classical layout
(1-3 registers, sometimes registerless clbits, qubits measured into several clbits, clbits
measured twice or never, qubits never measured) we feed ``build_experiment`` what IonQ's
ideal simulator would return (full-register probabilities of the circuit without its
measurements) and check:

* the probabilities equal, to 1e-9 and with exactly the same keys, a reference computed in
  a different way: ``Statevector.probabilities_dict(qargs=measured qubits)`` mapped to the
  clbits character by character and formatted by Qiskit's own ``format_counts_memory``;
* the keys Qiskit's ``BasicSimulator`` reports for the measured circuit all appear among
  ours (same strings, same spacing);
* counts sum to shots, and ``get_counts`` equals Qiskit's own ``Result.get_counts`` on the
  stored data (keys, values, ``int_outcomes``).
"""

from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit
from qiskit.providers.basic_provider import BasicSimulator
from qiskit.quantum_info import Statevector
from qiskit.result import Result
from qiskit.result.postprocess import format_counts_memory
from results_support import (
    header_from_circuit,
    meas_map_from_circuit,
    vendor_histogram,
    without_measurements,
)

from qiskit_ionq.ionq_result import IonQResult
from qiskit_ionq.results import build_experiment

ONE_QUBIT = ["h", "x", "sx", "rz", "u"]  # BasicSimulator supports these on 0.46, 1.x and 2.x
ANGLES = st.floats(-3.2, 3.2, allow_nan=False)


@st.composite
def circuits(draw: Any) -> QuantumCircuit:
    n = draw(st.integers(1, 6))
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    loose = draw(st.integers(0, 2))
    slots = draw(st.integers(0, len(sizes)))  # where the registerless clbits go
    parts: List[Any] = [QuantumRegister(n, "q")]
    for index, size in enumerate(sizes):
        if index == slots and loose:
            parts.append([Clbit() for _ in range(loose)])
        parts.append(ClassicalRegister(size, f"c{index}"))
    if slots == len(sizes) and loose:
        parts.append([Clbit() for _ in range(loose)])
    circuit = QuantumCircuit(*parts, name="random")
    for _ in range(draw(st.integers(0, 12))):
        if n > 1 and draw(st.booleans()):
            a, b = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
            circuit.cx(a, b)
            continue
        gate, qubit = draw(st.sampled_from(ONE_QUBIT)), draw(st.integers(0, n - 1))
        if gate == "rz":
            circuit.rz(draw(ANGLES), qubit)
        elif gate == "u":
            circuit.u(draw(ANGLES), draw(ANGLES), draw(ANGLES), qubit)
        else:
            getattr(circuit, gate)(qubit)
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n - 1), st.integers(0, circuit.num_clbits - 1)),
            min_size=1,
            max_size=2 * circuit.num_clbits,
        )
    )
    for qubit, clbit in pairs:  # repeats: one qubit -> several clbits, a clbit written twice
        circuit.measure(qubit, clbit)
    return circuit


def reference_probabilities(circuit: QuantumCircuit) -> Dict[str, float]:
    """Marginal over the measured qubits, mapped to clbits one character at a time."""
    meas_map = meas_map_from_circuit(circuit)
    header = header_from_circuit(circuit)
    measured = sorted({q for q in meas_map if q is not None})
    state = Statevector(without_measurements(circuit))
    marginal = state.probabilities_dict(qargs=measured) if measured else {"": 1.0}
    out: Dict[str, float] = {}
    for label, probability in marginal.items():
        # probabilities_dict labels: qargs[0] is the right-most character.
        bit_of = {q: label[len(label) - 1 - i] for i, q in enumerate(measured)}
        clbits = ["0" if q is None else bit_of[q] for q in meas_map]
        bitstring = "".join(reversed(clbits))  # clbit 0 right-most
        key = format_counts_memory(bitstring, header)
        out[key] = out.get(key, 0.0) + probability
    total = sum(out.values())
    return {key: p / total for key, p in out.items() if p > 0}


def _has_registerless_clbits(circuit: QuantumCircuit) -> bool:
    return any(not circuit.find_bit(bit).registers for bit in circuit.clbits)


def _run(circuit: QuantumCircuit, sample: bool, seed: Optional[int]) -> IonQResult:
    experiment = build_experiment(
        vendor_histogram(circuit),
        header=header_from_circuit(circuit),
        meas_map=meas_map_from_circuit(circuit),
        num_qubits=circuit.num_qubits,
        shots=1000,
        sample=sample,
        seed=seed,
    )
    return IonQResult.from_experiments(
        backend_name="ionq_simulator",
        backend_version="0.3",
        job_id="prop",
        experiments=[experiment],
        time_taken=None,
    )


@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(circuit=circuits(), seed=st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_agrees_with_qiskit(circuit: QuantumCircuit, seed: Optional[int]) -> None:
    expected = reference_probabilities(circuit)
    result = _run(circuit, sample=False, seed=None)
    probabilities = result.get_probabilities()
    assert set(probabilities) == set(expected)
    for key, probability in expected.items():
        assert probabilities[key] == pytest.approx(probability, abs=1e-9)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-9)

    counts = result.get_counts()
    assert sum(counts.values()) == 1000
    assert set(counts) <= set(probabilities)
    qiskit_counts = Result.get_counts(result, 0)
    assert counts == qiskit_counts
    assert counts.int_outcomes() == qiskit_counts.int_outcomes()
    assert counts.hex_outcomes() == qiskit_counts.hex_outcomes()

    sampled = _run(circuit, sample=True, seed=seed)
    assert sum(sampled.get_counts().values()) == 1000
    assert set(sampled.get_counts()) <= set(probabilities)
    if seed is not None:
        assert _run(circuit, sample=True, seed=seed).get_counts() == sampled.get_counts()

    if not _has_registerless_clbits(circuit):
        # Qiskit < 2 leaves registerless clbits out of BasicSimulator's header (so its keys
        # differ there by design); with registers only, every line formats like we do.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            simulated = BasicSimulator().run(circuit, shots=200, seed_simulator=11).result()
        assert set(simulated.get_counts()) <= set(probabilities)
