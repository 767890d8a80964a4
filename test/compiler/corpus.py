"""A seeded random corpus of small circuits for the compiler's equivalence tests."""

from __future__ import annotations

import warnings
from typing import Any, List, Tuple

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import random_unitary

from qiskit_ionq.ionq_backend import IonQQPUBackend

ONE_Q = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u"]
TWO_Q = ["cx", "cz", "cy", "ch", "swap", "cp", "crz", "crx", "rzz", "rxx", "ryy", "iswap"]


def random_circuit(seed: int) -> QuantumCircuit:
    """1-6 qubits, 3-24 gates: standard gates, a few 2q unitaries and 3q gates; half measured."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    qc = QuantumCircuit(n)
    for _ in range(int(rng.integers(3, 25))):
        roll = rng.random()
        if n >= 3 and roll < 0.05:
            a, b, c = (int(v) for v in rng.choice(n, 3, replace=False))
            qc.ccx(a, b, c) if rng.random() < 0.5 else qc.cswap(a, b, c)
        elif n >= 2 and roll < 0.10:
            a, b = (int(v) for v in rng.choice(n, 2, replace=False))
            qc.append(UnitaryGate(random_unitary(4, seed=int(rng.integers(1 << 30)))), [a, b])
        elif n >= 2 and roll < 0.45:
            name = TWO_Q[int(rng.integers(len(TWO_Q)))]
            a, b = (int(v) for v in rng.choice(n, 2, replace=False))
            method = getattr(qc, name)
            if name in ("cp", "crz", "crx", "rzz", "rxx", "ryy"):
                method(float(rng.uniform(-2 * np.pi, 2 * np.pi)), a, b)
            else:
                method(a, b)
        else:
            name = ONE_Q[int(rng.integers(len(ONE_Q)))]
            q = int(rng.integers(n))
            method = getattr(qc, name)
            if name == "u":
                method(*(float(v) for v in rng.uniform(-np.pi, np.pi, 3)), q)
            elif name in ("rx", "ry", "rz", "p"):
                method(float(rng.uniform(-2 * np.pi, 2 * np.pi)), q)
            else:
                method(q)
    if rng.random() < 0.5:
        qc.measure_all()
    return qc


def corpus(count: int) -> List[Tuple[int, QuantumCircuit, str, int]]:
    """``(seed, circuit, family, level)``: families and levels take turns across seeds."""
    return [
        (seed, random_circuit(seed), ("ms", "zz")[seed % 2], (seed // 2) % 4)
        for seed in range(count)
    ]


def native_backend(family: str) -> Any:
    name = "ionq_qpu.aria-1" if family == "ms" else "ionq_qpu.forte-1"
    return IonQQPUBackend(name=name, gateset="native")


def transpile_native(circuit: QuantumCircuit, family: str, level: int) -> QuantumCircuit:
    """``qiskit.transpile`` to a native backend of ``family`` (the same call on every line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # BackendV1 on Qiskit 1.x
        return transpile(
            circuit, native_backend(family), optimization_level=level, seed_transpiler=5
        )
