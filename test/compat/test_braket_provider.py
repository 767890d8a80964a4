"""A real downstream tool works with us installed: qiskit-braket-provider.

It imports ``qiskit_ionq.ionq_gates``, calls ``qiskit_ionq.add_equivalences()`` at import and
pins ``qiskit-ionq>=1.0,<2.0``. These tests convert circuits with IonQ native gates through it
(and back), and run what comes back on our emulator.

The package (and the Amazon Braket SDK it needs) is not a test dependency: the tests skip
cleanly when it is absent. CI installs it on the newest Qiskit line and sets
``QISKIT_IONQ_REQUIRE_BRAKET=1``, which turns that skip into a failure.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import re

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import Operator, Statevector

import qiskit_ionq
from qiskit_ionq import GPI2Gate, GPIGate, MSGate, ZZGate

if os.environ.get("QISKIT_IONQ_REQUIRE_BRAKET") == "1":
    import qiskit_braket_provider as braket_provider  # must be installed: fail if not
else:
    braket_provider = pytest.importorskip("qiskit_braket_provider")


def _native_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.append(GPI2Gate(0.125), [0])
    qc.append(GPIGate(0.3), [1])
    qc.append(MSGate(0.1, 0.35, 0.25), [0, 1])
    qc.append(GPI2Gate(0.6), [2])
    qc.append(MSGate(0.0, 0.5, 0.2), [1, 2])
    qc.append(GPIGate(0.05), [2])
    return qc


def _braket_unitary_as_qiskit(circuit) -> np.ndarray:
    """Braket orders qubits big-endian (qubit 0 most significant); Qiskit little-endian."""
    unitary = circuit.to_unitary()
    n = circuit.qubit_count
    return Operator(unitary).reverse_qargs().data if n > 1 else unitary


def test_its_version_pin_accepts_ours():
    requirements = importlib.metadata.requires("qiskit-braket-provider") or []
    pins = [r for r in requirements if re.match(r"qiskit-ionq\b", r, re.IGNORECASE)]
    assert pins, requirements
    from packaging.requirements import Requirement

    for pin in pins:
        assert Requirement(pin).specifier.contains(qiskit_ionq.__version__), pin


def test_importing_it_registered_our_equivalences():
    from qiskit.circuit import Parameter
    from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary

    assert SessionEquivalenceLibrary.has_entry(GPIGate(Parameter("phi")))
    assert SessionEquivalenceLibrary.has_entry(
        MSGate(Parameter("a"), Parameter("b"), Parameter("t"))
    )


def test_native_circuit_converts_to_braket_exactly():
    qc = _native_circuit()
    converted = braket_provider.to_braket(qc, add_measurements=False)
    names = {instruction.operator.name for instruction in converted.instructions}
    assert names == {"GPi", "GPi2", "MS"}
    assert Operator(_braket_unitary_as_qiskit(converted)).equiv(Operator(qc))


def test_standard_circuit_translates_to_native_through_our_equivalences():
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.rz(0.3, 1)
    converted = braket_provider.to_braket(
        qc, basis_gates={"gpi", "gpi2", "ms"}, add_measurements=False
    )
    names = {instruction.operator.name for instruction in converted.instructions}
    assert names <= {"GPi", "GPi2", "MS"} and "MS" in names
    assert Operator(_braket_unitary_as_qiskit(converted)).equiv(Operator(qc))


def test_round_trip_back_to_our_gates_runs_on_our_backend(provider):
    """Braket circuit -> Qiskit circuit made of our gate classes -> our emulator."""
    qc = _native_circuit()
    back = braket_provider.to_qiskit(braket_provider.to_braket(qc, add_measurements=False))
    ours = {type(i.operation) for i in back.data if i.operation.name in {"gpi", "gpi2", "ms"}}
    assert ours == {GPIGate, GPI2Gate, MSGate}
    assert Operator(back.remove_final_measurements(inplace=False)).equiv(Operator(qc))
    measured = back.remove_final_measurements(inplace=False)
    measured.measure_all()
    backend = provider.get_backend("ionq_simulator", gateset="native")
    probabilities = backend.run(measured, shots=100).get_probabilities()
    expected = Statevector(qc).probabilities_dict()
    for key, value in expected.items():
        assert probabilities.get(key, 0.0) == pytest.approx(value, abs=1e-9)


def test_zz_gate_goes_through_as_an_exact_zz():
    qc = QuantumCircuit(2)
    qc.append(GPI2Gate(0.25), [0])
    qc.append(ZZGate(0.15), [0, 1])
    converted = braket_provider.to_braket(qc, add_measurements=False)
    assert [i.operator.name for i in converted.instructions] == ["GPi2", "ZZ"]
    zz = converted.instructions[1].operator
    assert zz.angle == pytest.approx(2 * math.pi * 0.15)  # ZZ(θ turns) = RZZ(2πθ)
    assert Operator(_braket_unitary_as_qiskit(converted)).equiv(Operator(qc))


def test_transpile_for_our_native_backend_then_convert(provider):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    backend = provider.get_backend("ionq_qpu.aria-1", gateset="native")
    native = transpile(qc, backend)
    converted = braket_provider.to_braket(
        native.remove_final_measurements(inplace=False), add_measurements=False
    )
    names = {instruction.operator.name for instruction in converted.instructions}
    assert names <= {"GPi", "GPi2", "MS", "GPhase"} and "MS" in names
    unitary = Operator(_braket_unitary_as_qiskit(converted))
    assert unitary.equiv(Operator(native.remove_final_measurements(inplace=False)))
