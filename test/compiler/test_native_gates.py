"""Native gate definitions, the equivalence library and QASM export of native circuits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm2, transpile
from qiskit.circuit import Parameter
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import CXGate, RXXGate, RZGate, RZZGate, SXGate, UGate, XGate
from qiskit.quantum_info import Operator, Statevector

import qiskit_ionq
from qiskit_ionq import GPI2Gate, GPIGate, MSGate, ZZGate, add_equivalences

GATES = [
    GPIGate(0.13),
    GPI2Gate(-0.37),
    MSGate(0.1, 0.27, 0.2),
    MSGate(0.4, -0.3, 0.25),
    ZZGate(-0.11),
]


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_definition_equals_matrix_with_phase(gate) -> None:
    assert np.allclose(Operator(gate.definition).data, gate.to_matrix())


def test_definitions_use_standard_gates_only() -> None:
    for gate in GATES:
        names = {inst.operation.name for inst in gate.definition.data}
        assert names <= {"ry", "rz", "rxx", "rzz"}


def _native_circuit() -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.append(GPIGate(0.1), [0])
    qc.append(GPI2Gate(0.7), [1])
    qc.append(MSGate(0.2, -0.4, 0.15), [0, 2])
    qc.append(ZZGate(0.05), [1, 2])
    return qc


def test_operator_and_statevector_work_on_native_circuits() -> None:
    qc = _native_circuit()
    expected = np.eye(8, dtype=complex)
    for inst in qc.data:
        local = QuantumCircuit(3)
        local.append(inst.operation, inst.qubits)
        expected = Operator(local).data @ expected
    assert np.allclose(Operator(qc).data, expected)
    assert np.isclose(Statevector(qc).probabilities().sum(), 1.0)


def test_qasm2_export_round_trips() -> None:
    qc = _native_circuit()
    text = qasm2.dumps(qc)
    assert "gpi" in text and "ms" in text
    # rxx/rzz are not in the legacy qelib1.inc; Qiskit's own exports load with its list.
    back = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    assert Operator(back).equiv(Operator(qc))


def test_qasm3_export_round_trips() -> None:
    from qiskit import qasm3

    from qiskit_ionq import _qiskit_compat as compat

    qc = _native_circuit()
    text = qasm3.dumps(qc)
    assert "gpi2" in text
    if compat.QISKIT_VERSION < (1, 0, 0):
        pytest.skip("Qiskit 0.46's OpenQASM 3 importer cannot read its exporter's gate definitions")
    back = qasm3.loads(text)
    assert Operator(back).equiv(Operator(qc))


def test_transpile_native_circuit_to_standard_basis() -> None:
    qc = _native_circuit()
    out = transpile(qc, basis_gates=["rz", "sx", "x", "cx"], optimization_level=1)
    assert set(out.count_ops()) <= {"rz", "sx", "x", "cx"}
    assert Operator(out).equiv(Operator(qc))


def test_add_equivalences_is_idempotent_and_exported() -> None:
    assert qiskit_ionq.add_equivalences is add_equivalences
    add_equivalences()
    before = len(SessionEquivalenceLibrary.get_entry(CXGate()))
    add_equivalences()
    assert len(SessionEquivalenceLibrary.get_entry(CXGate())) == before


def _check_rules(gate, rng) -> int:
    checked = 0
    for circuit in SessionEquivalenceLibrary.get_entry(gate):
        values = {p: float(rng.uniform(-3, 3)) for p in circuit.parameters}
        params = [values.get(p, p) if isinstance(p, Parameter) else p for p in gate.params]
        expected = type(gate)(*params).to_matrix() if gate.params else gate.to_matrix()
        assert np.allclose(Operator(circuit.assign_parameters(values)).data, expected)
        checked += 1
    return checked


def test_every_registered_rule_is_exact() -> None:
    add_equivalences()
    rng = np.random.default_rng(7)
    a, b, c = Parameter("a"), Parameter("b"), Parameter("c")
    native_rules = 0
    for gate in (GPIGate(a), GPI2Gate(a), MSGate(a, b, c), ZZGate(a)):
        native_rules += _check_rules(gate, rng)
    assert native_rules >= 4
    for gate in (CXGate(), UGate(a, b, c), RZGate(a), SXGate(), XGate(), RXXGate(a), RZZGate(a)):
        entries = SessionEquivalenceLibrary.get_entry(gate)
        assert any(
            {i.operation.name for i in e.data} <= {"gpi", "gpi2", "ms", "zz"} for e in entries
        ), f"no native rule for {gate.name}"
        _check_rules(gate, rng)


def test_ms_inverse_and_range() -> None:
    gate = MSGate(0.1, 0.2, 0.25)
    assert np.allclose(gate.inverse().to_matrix() @ gate.to_matrix(), np.eye(4))
    assert math.isclose(float(gate.params[2]), 0.25)
