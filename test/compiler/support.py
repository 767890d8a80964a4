"""Helpers shared by the compiler tests: equivalence checks and small circuits."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from qiskit_ionq.compiler.frames import NATIVE_NAMES

NATIVE_OK = NATIVE_NAMES | {"measure", "barrier", "reset", "delay"}


def unitary_of(circuit: QuantumCircuit) -> np.ndarray:
    """The circuit's matrix with measurements and barriers removed, layout applied."""
    bare = circuit.remove_final_measurements(inplace=False)
    if getattr(bare, "layout", None) is not None:
        return Operator.from_circuit(bare).data
    return Operator(bare).data


def assert_equivalent(compiled: QuantumCircuit, original: QuantumCircuit) -> None:
    """Equal up to global phase; when ``original`` measures, up to a final Z per qubit too."""
    a, b = unitary_of(compiled), unitary_of(original)
    if original.count_ops().get("measure"):
        # compiled = D . original for a diagonal D (the dropped final frames)
        prod = a @ b.conj().T
        off = prod - np.diag(np.diag(prod))
        assert np.allclose(off, 0, atol=1e-7), "differs by more than a final Z frame"
        assert np.allclose(np.abs(np.diag(prod)), 1, atol=1e-7)
    else:
        overlap = np.trace(a @ b.conj().T) / a.shape[0]
        assert abs(abs(overlap) - 1) < 1e-7, f"not equivalent (|overlap| = {abs(overlap)})"


def assert_native(circuit: QuantumCircuit, family: str) -> None:
    """Only native gates of ``family`` (plus measure/barrier/reset), MS angles in range."""
    ops = set(circuit.count_ops())
    other = "zz" if family == "ms" else "ms"
    assert ops <= NATIVE_OK - {other}, f"non-native gates {ops - (NATIVE_OK - {other})}"
    for inst in circuit.data:
        op: Any = inst.operation
        if op.name == "ms":
            assert 0 < float(op.params[2]) <= 0.25 + 1e-12
        if op.name == "zz":
            assert abs(float(op.params[0])) <= 0.25 + 1e-12
        if op.name in ("gpi", "gpi2", "ms"):
            assert all(-1 <= float(p) <= 1 for p in op.params)
