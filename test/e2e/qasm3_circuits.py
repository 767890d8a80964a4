"""Random dynamic circuits and an exact reference for them (used by the qasm3 semantic tests).

The generator writes small circuits (1-3 qubits, one or two classical registers) with
mid-circuit measurements, resets, qubit reuse and, optionally, feed-forward (``if_test`` on a
measured bit or a register value).

The reference, :func:`exact_distribution`, needs no sampling: it follows every measurement
branch with ``qiskit.quantum_info.Statevector`` (Qiskit evolves the gates, we only project on
measurement outcomes) and returns the exact probability of every classical outcome. It knows
nothing of OpenQASM 3, of our exporter or of the emulator's executor.

:func:`chi_square_pvalue` is the statistical test the semantic tests state: Pearson's
chi-square goodness of fit of observed counts against the exact distribution, outcomes whose
expected count is below 5 pooled into one bin; an observed outcome of probability zero fails
outright (p = 0).
"""

from __future__ import annotations

import random
from typing import Dict, List, Sequence, Tuple

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import XGate
from qiskit.quantum_info import Statevector
from scipy.stats import chi2

ONE_QUBIT = ("h", "x", "sx", "s", "t", "rx", "ry", "rz")
TWO_QUBIT = ("cx", "cz", "swap", "rzz")


def random_dynamic_circuit(rng: random.Random, index: int, feed_forward: bool) -> QuantumCircuit:
    """One random circuit with mid-circuit measurements and resets (see module docstring)."""
    n = rng.randint(1, 3)
    sizes = [rng.randint(1, 3)] + ([rng.randint(1, 2)] if rng.random() < 0.5 else [])
    regs = [ClassicalRegister(size, f"m{i}") for i, size in enumerate(sizes)]
    qc = QuantumCircuit(QuantumRegister(n, "q"), *regs, name=f"dyn{index}")
    clbits = list(qc.clbits)
    measured = False
    for _ in range(rng.randint(4, 12)):
        roll = rng.random()
        if roll < 0.45 or (n == 1 and roll < 0.6):
            name = rng.choice(ONE_QUBIT)
            q = rng.randrange(n)
            if name in ("rx", "ry", "rz"):
                getattr(qc, name)(rng.uniform(0, 2 * np.pi), q)
            else:
                getattr(qc, name)(q)
        elif roll < 0.6 and n > 1:
            a, b = rng.sample(range(n), 2)
            name = rng.choice(TWO_QUBIT)
            if name == "rzz":
                qc.rzz(rng.uniform(0, 2 * np.pi), a, b)
            else:
                getattr(qc, name)(a, b)
        elif roll < 0.8:
            qc.measure(rng.randrange(n), rng.choice(clbits))
            measured = True
        elif roll < 0.9:
            qc.reset(rng.randrange(n))
        elif feed_forward and measured:
            q = rng.randrange(n)
            if rng.random() < 0.6:
                with qc.if_test((rng.choice(clbits), rng.randint(0, 1))):
                    qc.x(q)
            else:
                reg = rng.choice(regs)
                with qc.if_test((reg, rng.randrange(1 << reg.size))) as orelse:
                    qc.h(q)
                with orelse:
                    qc.x(q)
    for clbit in clbits:  # every bit ends measured at least once, some qubits reused
        qc.measure(rng.randrange(n), clbit)
    return qc


def generate(count: int, seed: int, feed_forward: bool = False) -> List[QuantumCircuit]:
    """``count`` seeded random circuits."""
    rng = random.Random(seed)
    return [random_dynamic_circuit(rng, i, feed_forward) for i in range(count)]


def _project(state: Statevector, qubit: int, value: int) -> Tuple[float, Statevector]:
    n = state.num_qubits
    probs = state.probabilities([qubit])
    p = float(probs[value])
    if p < 1e-14:
        return 0.0, state
    data = np.asarray(state.data).copy()
    mask = ((np.arange(1 << n) >> qubit) & 1) != value
    data[mask] = 0
    return p, Statevector(data / np.sqrt(p))


Branch = Tuple[float, Statevector, int]  # probability, state, classical value (bit j = clbit j)


def _run(circuit: QuantumCircuit, data: Sequence, branches: List[Branch]) -> List[Branch]:
    qindex = {b: i for i, b in enumerate(circuit.qubits)}
    cindex = {b: i for i, b in enumerate(circuit.clbits)}
    for instruction in data:
        op = instruction.operation
        qubits = [qindex[q] for q in instruction.qubits]
        if op.name == "barrier":
            continue
        new: List[Branch] = []
        if op.name in ("measure", "reset"):
            for prob, state, value in branches:
                for outcome in (0, 1):
                    p, projected = _project(state, qubits[0], outcome)
                    if p == 0.0:
                        continue
                    if op.name == "reset":
                        if outcome:
                            projected = projected.evolve(XGate(), [qubits[0]])
                        new.append((prob * p, projected, value))
                    else:
                        j = cindex[instruction.clbits[0]]
                        new.append((prob * p, projected, (value & ~(1 << j)) | (outcome << j)))
        elif op.name == "if_else":
            target, expected = op.condition
            if isinstance(target, ClassicalRegister):
                bits = [cindex[b] for b in target]
            else:
                bits = [cindex[target]]
                expected = int(bool(expected))
            for branch in branches:
                reg_value = sum(((branch[2] >> j) & 1) << i for i, j in enumerate(bits))
                block = op.blocks[0] if reg_value == expected else (
                    op.blocks[1] if len(op.blocks) > 1 else None
                )  # fmt: skip
                if block is None:
                    new.append(branch)
                    continue
                mapping = dict(zip(block.qubits, instruction.qubits))
                mapping.update(zip(block.clbits, instruction.clbits))
                inner = [
                    i.replace(
                        qubits=[mapping.get(q, q) for q in i.qubits],
                        clbits=[mapping.get(c, c) for c in i.clbits],
                    )
                    for i in block.data
                ]
                new.extend(_run(circuit, inner, [branch]))
        else:
            new = [(p, s.evolve(op, qubits), v) for p, s, v in branches]
        branches = new
    return branches


def exact_distribution(circuit: QuantumCircuit) -> Dict[int, float]:
    """The exact probability of every classical value (bit j = clbit j) of ``circuit``."""
    start = Statevector.from_int(0, 1 << circuit.num_qubits)
    out: Dict[int, float] = {}
    for prob, _, value in _run(circuit, circuit.data, [(1.0, start, 0)]):
        out[value] = out.get(value, 0.0) + prob
    return out


def chi_square_pvalue(observed: Dict[int, int], expected: Dict[int, float]) -> float:
    """Pearson chi-square goodness-of-fit p-value (pooling rule in the module docstring)."""
    shots = sum(observed.values())
    if any(expected.get(k, 0.0) < 1e-12 for k, c in observed.items() if c):
        return 0.0
    big = [k for k, p in expected.items() if p * shots >= 5]
    small = [k for k, p in expected.items() if p * shots < 5]
    obs = [observed.get(k, 0) for k in big]
    exp = [expected[k] * shots for k in big]
    if small:
        obs.append(sum(observed.get(k, 0) for k in small))
        exp.append(sum(expected[k] for k in small) * shots)
    if len(obs) < 2:
        return 1.0
    stat = sum((o - e) ** 2 / e for o, e in zip(obs, exp) if e > 0)
    return float(chi2.sf(stat, len(obs) - 1))
