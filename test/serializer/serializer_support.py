"""Helpers shared by the serializer tests: run the walk, build controlled and renamed gates."""

from __future__ import annotations

from typing import Any, List

import pytest
from qiskit.circuit import Gate, QuantumCircuit

from qiskit_ionq.serializer import qiskit_circ_to_ionq_circ

# Qiskit's own internals warn about their deprecations (opflow on 0.46, MCX synthesis classes
# on 1.x) and scipy about sparse formats while the tests build reference states; warnings
# raised on behalf of qiskit_ionq are not filtered (their module is not `qiskit.`).
WARNING_FILTERS = [
    pytest.mark.filterwarnings(r"ignore::DeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings(r"ignore::PendingDeprecationWarning:qiskit\."),
    pytest.mark.filterwarnings("ignore:.*CSC"),
]


def gates_of(circuit: QuantumCircuit, gateset: str = "qis", **kwargs: Any) -> List[dict]:
    return qiskit_circ_to_ionq_circ(circuit, gateset, **kwargs)[0]


def one(build: Any, num_qubits: int, gateset: str = "qis") -> List[dict]:
    qc = QuantumCircuit(num_qubits)
    build(qc)
    return gates_of(qc, gateset)


def ctrl(gate: Gate, n: int, ctrl_state: Any = None) -> Gate:
    """``gate.control(n)`` as a ControlledGate on every Qiskit line (no annotated default)."""
    try:
        return gate.control(n, ctrl_state=ctrl_state, annotated=False)
    except TypeError:  # Qiskit 0.46: no `annotated` argument
        return gate.control(n, ctrl_state=ctrl_state)


def renamed(gate: Gate, name: str) -> Gate:
    """A gate called ``name`` defined as ``gate`` (Qiskit never emits these alias names)."""
    alias = Gate(name, gate.num_qubits, list(gate.params))
    definition = QuantumCircuit(gate.num_qubits)
    definition.append(gate, range(gate.num_qubits))
    alias.definition = definition
    return alias
