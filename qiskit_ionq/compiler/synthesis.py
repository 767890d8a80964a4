"""Two-qubit synthesis and rewrites on stand-in circuits (rz/sx/x + rxx or rzz).

* :func:`synthesize_2q`: any 4x4 unitary as K1 . exp(i(a XX + b YY + c ZZ)) . K2 (Weyl form)
  with one arbitrary-angle entangler per non-zero term, so CX, CZ, CP, CRZ, RZZ need one and a
  random unitary three. On MS systems XX is native and YY costs only Z frames (S X S^dag = Y);
  on ZZ systems ZZ is native.
* :class:`ResynthesizeBlocks`: replaces a run of gates on one pair by that synthesis when it
  needs fewer entanglers than the run has.
* :func:`fold_angles`: keeps ``rxx``/``rzz`` angles within +-pi/2 (MS 0..0.25 turns after the
  frame's sign flip); the half turn removed is X (x) X or Z (x) Z, merged into the neighbours.
* :func:`zz_to_xx`: on MS systems, turns each qubit's run of diagonal gates (rzz, rz) into
  XX gates by conjugating the run with H; the Z rotations of the run move to one end of it.
  Optimizing in ZZ form first and converting afterwards keeps diagonal runs (CP ladders of a
  QFT, CZ chains) at one H per run boundary.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from qiskit.circuit import QuantumCircuit
from qiskit.circuit.library import (
    HGate,
    RXXGate,
    RZGate,
    RZZGate,
    SdgGate,
    SGate,
    UnitaryGate,
    XGate,
)
from qiskit.converters import circuit_to_dag
from qiskit.dagcircuit import DAGCircuit
from qiskit.quantum_info import Operator
from qiskit.transpiler.basepasses import TransformationPass

from .. import _qiskit_compat as compat
from .frames import fast_append

__all__ = [
    "ENTANGLER",
    "ResynthesizeBlocks",
    "block_costs",
    "entangler_count",
    "fold_angles",
    "synthesize_2q",
    "zz_to_xx",
]

ENTANGLER = {"ms": "rxx", "zz": "rzz"}
_ZERO = 1e-10  # a Weyl coordinate this small is no interaction


def _one_qubit(circuit: QuantumCircuit, mat: np.ndarray, qubit: int) -> None:
    if not np.allclose(mat, mat[0, 0] * np.eye(2), atol=1e-12):
        circuit.append(UnitaryGate(mat, check_input=False), [qubit])
    else:
        circuit.global_phase += float(np.angle(mat[0, 0]))


def synthesize_2q(matrix: np.ndarray, family: str) -> QuantumCircuit:
    """A stand-in circuit equal to the 4x4 ``matrix`` (global phase included).

    Args:
        matrix: the unitary, Qiskit's little-endian order (qubit 0 is the low bit).
        family: ``"ms"`` (entangler rxx) or ``"zz"`` (entangler rzz).
    """
    weyl = compat.weyl_decomposition(np.asarray(matrix, dtype=complex))
    a, b, c = float(weyl.a), float(weyl.b), float(weyl.c)
    qc = QuantumCircuit(2, global_phase=float(weyl.global_phase))
    # Qiskit's convention: K1l, K2l act on qubit 1 (the high bit), K1r, K2r on qubit 0.
    _one_qubit(qc, weyl.K2r, 0)
    _one_qubit(qc, weyl.K2l, 1)
    # exp(i(aXX + bYY + cZZ)) = RXX(-2a) RYY(-2b) RZZ(-2c); the three commute.
    terms = [(axis, -2 * v) for axis, v in (("xx", a), ("yy", b), ("zz", c)) if abs(v) > _ZERO]
    native = "xx" if family == "ms" else "zz"
    for axis, angle in terms:
        basis = _basis_change(axis, native)
        for gate in basis[0]:
            qc.append(gate(), [0])
            qc.append(gate(), [1])
        qc.append(RXXGate(angle) if native == "xx" else RZZGate(angle), [0, 1])
        for gate in basis[1]:
            qc.append(gate(), [0])
            qc.append(gate(), [1])
    _one_qubit(qc, weyl.K1r, 0)
    _one_qubit(qc, weyl.K1l, 1)
    return qc


def _basis_change(axis: str, native: str) -> Tuple[List[Any], List[Any]]:
    """Gates before/after a ``native`` interaction that make it act as ``axis``."""
    if axis == native:
        return [], []
    if native == "xx":
        # YY = (S (x) S) XX (S^dag (x) S^dag); ZZ = (H (x) H) XX (H (x) H)
        return ([SdgGate], [SGate]) if axis == "yy" else ([HGate], [HGate])
    # native ZZ: XX = (H H) ZZ (H H); YY = (SH) ZZ (SH)^dag, i.e. before: sdg then h
    return ([HGate], [HGate]) if axis == "xx" else ([SdgGate, HGate], [HGate, SGate])


def entangler_count(circuit: QuantumCircuit) -> int:
    """Two-qubit gates in ``circuit``."""
    return sum(1 for inst in circuit.data if inst.operation.num_qubits == 2)


class ResynthesizeBlocks(TransformationPass):
    """Replace a run on one qubit pair by :func:`synthesize_2q` when that needs fewer entanglers."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.family = family

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        from qiskit.transpiler.passes import Collect2qBlocks

        collect = Collect2qBlocks()
        collect.run(dag)
        blocks = collect.property_set["block_list"] or []
        index = {q: i for i, q in enumerate(dag.qubits)}
        for block in blocks:
            n2q = sum(1 for node in block if len(node.qargs) == 2)
            if n2q < 2:  # one entangler is already the minimum for a 2q interaction
                continue
            qubits = sorted({q for node in block for q in node.qargs}, key=index.__getitem__)
            if len(qubits) != 2:
                continue
            local = {q: i for i, q in enumerate(qubits)}
            sub = QuantumCircuit(2)
            for node in block:
                sub.append(node.op, [local[q] for q in node.qargs])
            try:
                mat = Operator(sub).data
            except Exception:  # parameterized or non-unitary content: leave the block alone
                continue
            new = synthesize_2q(mat, self.family)
            if entangler_count(new) >= n2q:
                continue
            wire_map = {q: local[q] for q in qubits}
            node = dag.replace_block_with_op(
                block, UnitaryGate(mat, check_input=False), wire_map, cycle_check=False
            )
            dag.substitute_node_with_dag(node, circuit_to_dag(new))
        return dag


def _needs_fold(op: Any) -> bool:
    if op.name not in ("rxx", "rzz") or op.is_parameterized():
        return False
    return abs(float(op.params[0])) > math.pi / 2 + 1e-12


def fold_angles(circuit: QuantumCircuit) -> QuantumCircuit:
    """Keep every rxx/rzz angle in [-pi/2, pi/2] by splitting off X (x) X or Z (x) Z.

    rxx(t) = rxx(t - pi) . (-i X (x) X) and rzz(t) = rzz(t - pi) . (-i Z (x) Z).
    """
    if not any(_needs_fold(inst.operation) for inst in circuit.data):
        return circuit
    out = circuit.copy_empty_like()
    phase = circuit.global_phase
    for inst in circuit.data:
        op = inst.operation
        if op.name in ("rxx", "rzz") and not op.is_parameterized():
            angle = math.remainder(float(op.params[0]), 4 * math.pi)
            # rxx(t + 2 pi) = -rxx(t): reduce into (-pi, pi] first
            if angle > math.pi:
                angle -= 2 * math.pi
                phase += math.pi
            elif angle <= -math.pi:
                angle += 2 * math.pi
                phase += math.pi
            if abs(angle) > math.pi / 2 + 1e-12:
                step = math.pi if angle > 0 else -math.pi
                # e^{-i step/2 PP} = -i sign(step) PP
                phase += -math.pi / 2 if step > 0 else math.pi / 2
                angle -= step
                flip = XGate if op.name == "rxx" else None
                for q in inst.qubits:
                    if flip is not None:
                        fast_append(out, flip(), [q])
                    else:  # Z = e^{i pi/2} RZ(pi)
                        fast_append(out, RZGate(math.pi), [q])
                        phase += math.pi / 2
            gate = RXXGate(angle) if op.name == "rxx" else RZZGate(angle)
            fast_append(out, gate, inst.qubits)
        else:
            fast_append(out, op, inst.qubits, inst.clbits)
    out.global_phase = phase
    return out


def _number(value: Any) -> Any:
    """A bound angle as a float; a parameter expression unchanged."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


_DIAGONAL_1Q = frozenset({"rz", "z", "s", "sdg", "t", "tdg", "p", "u1"})


def zz_to_xx(circuit: QuantumCircuit, rz_first: Sequence[bool]) -> QuantumCircuit:
    """Rewrite rzz gates as rxx by conjugating each qubit's diagonal runs with H.

    A *run* of qubit q is a maximal stretch of its operations that are all diagonal (rzz,
    rz). A run that holds an rzz gets H at its start and H at its end, so every rzz inside
    becomes rxx (H Z H = X). Its Z rotations commute with everything in the run and are moved
    out: before the first H when ``rz_first[q]`` is true, after the last H otherwise.

    Args:
        circuit: stand-in circuit with rzz as entangler.
        rz_first: per qubit, where the run's Z rotations go.
    """
    out: List[Optional[Tuple[Any, Sequence[Any], Sequence[Any]]]] = []
    idx = {q: i for i, q in enumerate(circuit.qubits)}
    n = circuit.num_qubits
    in_x = [False] * n
    slot: List[Optional[int]] = [None] * n  # output index of the rz placed before a run's H
    deferred: List[Any] = [0.0] * n  # radians, or an expression for parameterized circuits

    def close(q: int) -> None:
        if in_x[q]:
            qubit = circuit.qubits[q]
            out.append((HGate(), [qubit], []))
            at = slot[q]
            if not (isinstance(deferred[q], float) and deferred[q] == 0.0):
                if rz_first[q] and at is not None:
                    out[at] = (RZGate(deferred[q]), [qubit], [])
                else:
                    out.append((RZGate(deferred[q]), [qubit], []))
        in_x[q], slot[q], deferred[q] = False, None, 0.0

    for inst in circuit.data:
        op, qargs, cargs = inst.operation, inst.qubits, inst.clbits
        name = op.name
        if name == "rzz":
            for qubit in qargs:
                q = idx[qubit]
                if not in_x[q]:
                    out.append(None)
                    slot[q] = len(out) - 1
                    out.append((HGate(), [qubit], []))
                    in_x[q] = True
            out.append((RXXGate(op.params[0]), qargs, cargs))
        elif name == "rz" and in_x[idx[qargs[0]]]:
            deferred[idx[qargs[0]]] = deferred[idx[qargs[0]]] + _number(op.params[0])
        elif name in _DIAGONAL_1Q and len(qargs) == 1 and not in_x[idx[qargs[0]]]:
            out.append((op, qargs, cargs))
        else:
            for qubit in qargs:
                close(idx[qubit])
            out.append((op, qargs, cargs))
    for q in range(n):
        close(q)
    result = circuit.copy_empty_like()
    for entry in out:
        if entry is not None:
            fast_append(result, *entry)
    return result


def block_costs(circuit: QuantumCircuit) -> Dict[str, int]:
    """``{"2q": entanglers, "1q": sx/sxdg/x pulses}`` of a stand-in circuit."""
    ops = circuit.count_ops()
    return {
        "2q": int(ops.get("rxx", 0) + ops.get("rzz", 0)),
        "1q": int(ops.get("sx", 0) + ops.get("sxdg", 0) + ops.get("x", 0)),
    }
