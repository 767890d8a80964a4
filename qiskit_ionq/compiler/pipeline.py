"""The compilation pipeline: translate to stand-ins, optimize per level, convert to native.

Levels (each level also keeps the previous level's result when that is cheaper, so a higher
level is never worse):

* 0: translate to stand-ins (rz, sx, x + rxx or rzz), fold entangler angles, convert.
* 1: + merge single-qubit runs (Qiskit's ``Optimize1qGatesDecomposition`` on rz/sx/x).
* 2: + commutation-based cancellation and re-synthesis of two-qubit blocks that need fewer
  entanglers (:class:`~.synthesis.ResynthesizeBlocks`), repeated until nothing improves.
* 3: several strategies, the best by (two-qubit gates, pulses) kept. MS systems also try
  "optimize in ZZ form, then turn diagonal runs into XX" (:func:`~.synthesis.zz_to_xx`) with
  the runs' Z rotations placed before or after them.

Cost is counted on the native result (GPI+GPI2 pulses, MS/ZZ gates), so the final-frame
policy is part of the comparison.
"""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

from qiskit.circuit import QuantumCircuit
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.converters import circuit_to_dag
from qiskit.transpiler import PassManager
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.passes import (
    BasisTranslator,
    CommutativeCancellation,
    HighLevelSynthesis,
    Optimize1qGatesDecomposition,
    UnitarySynthesis,
)

from ..ionq_equivalence_library import add_equivalences
from .frames import NATIVE_NAMES, native_counts, to_native, to_standins
from .synthesis import ENTANGLER, ResynthesizeBlocks, fold_angles, synthesize_2q, zz_to_xx

__all__ = ["FAMILIES", "compile_native", "optimize_standins", "translate_to_standins"]

FAMILIES = ("ms", "zz")
_ONE_Q = ["rz", "sx", "x"]
_NON_GATES = ["measure", "reset", "barrier", "delay", "id"]
Cost = Tuple[int, int]


class _SynthesizeTwoQubitUnitaries(TransformationPass):
    """Two-qubit ``unitary`` gates straight to the Weyl form (one entangler per term)."""

    def __init__(self, family: str) -> None:
        super().__init__()
        self.family = family

    def run(self, dag: Any) -> Any:
        for node in dag.op_nodes():
            if node.op.name == "unitary" and len(node.qargs) == 2:
                new = synthesize_2q(node.op.to_matrix(), self.family)
                dag.substitute_node_with_dag(node, circuit_to_dag(new))
        return dag


def _basis(family: str) -> List[str]:
    return _ONE_Q + [ENTANGLER[family]] + _NON_GATES


def translate_to_standins(circuit: QuantumCircuit, family: str) -> QuantumCircuit:
    """Any circuit (standard, custom or native gates) in rz/sx/x and the family's entangler."""
    add_equivalences()
    if any(inst.operation.name in NATIVE_NAMES for inst in circuit.data):
        circuit = to_standins(circuit)
    basis = _basis(family)
    pm = PassManager(
        [
            _SynthesizeTwoQubitUnitaries(family),
            UnitarySynthesis(basis_gates=_ONE_Q + ["cx"]),
            HighLevelSynthesis(
                basis_gates=basis + ["cx"], equivalence_library=SessionEquivalenceLibrary
            ),
            BasisTranslator(SessionEquivalenceLibrary, basis),
        ]
    )
    return pm.run(circuit)


def _optimize_1q() -> Optimize1qGatesDecomposition:
    return Optimize1qGatesDecomposition(basis=_ONE_Q)


def _run(circuit: QuantumCircuit, passes: List[Any]) -> QuantumCircuit:
    return PassManager(passes).run(circuit)


def optimize_standins(circuit: QuantumCircuit, family: str, level: int) -> QuantumCircuit:
    """Level 1 or 2 optimization of a stand-in circuit (level 0 returns it unchanged)."""
    if level <= 0:
        return circuit
    if level == 1:
        return _run(circuit, [_optimize_1q()])
    best = _run(circuit, [_optimize_1q()])
    for _ in range(4):  # to a fixed point; each round can only lower the entangler count
        nxt = _run(
            best,
            [
                CommutativeCancellation(basis_gates=_basis(family)),
                ResynthesizeBlocks(family),
                _optimize_1q(),
            ],
        )
        if _standin_cost(nxt) >= _standin_cost(best):
            break
        best = nxt
    return best


def _standin_cost(circuit: QuantumCircuit) -> Cost:
    ops = circuit.count_ops()
    two = int(ops.get("rxx", 0) + ops.get("rzz", 0))
    return two, int(ops.get("sx", 0) + ops.get("sxdg", 0) + ops.get("x", 0))


def _finish(circuit: QuantumCircuit, level: int) -> QuantumCircuit:
    """Entangler angles folded into range, then (level >= 1) single-qubit runs merged again."""
    folded = fold_angles(circuit)
    if level >= 1:
        folded = _run(folded, [_optimize_1q()])
    return folded


def _cost(standin: QuantumCircuit) -> Cost:
    """(two-qubit gates, pulses) of the native circuit a finished stand-in circuit becomes.

    With a measurement the final frames are dropped, so every sx/x is one pulse and every
    entangler one gate: the stand-in counts are the native counts, without converting. Without
    one, the exact final corrections add pulses, so the circuit is converted and counted.
    """
    if standin.count_ops().get("measure"):
        return _standin_cost(standin)
    counts = native_counts(to_native(standin))
    return counts["2q"], counts["1q"]


def compile_native(circuit: QuantumCircuit, family: str, level: int = 2) -> QuantumCircuit:
    """Compile ``circuit`` to the native gates of ``family`` (``"ms"`` or ``"zz"``).

    Args:
        circuit: any circuit Qiskit can translate (standard, custom, unitary or native gates).
        family: ``"ms"`` (GPI, GPI2, MS) or ``"zz"`` (GPI, GPI2, ZZ).
        level: 0-3, as ``optimization_level``.

    Returns:
        A native circuit over the same registers (see :mod:`.frames` for the final frames).
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be 'ms' or 'zz', got {family!r}")
    level = max(0, min(3, int(level)))
    base = translate_to_standins(circuit, family)
    best = _finish(base, 0)
    stand = base
    candidates: List[Tuple[str, Callable[[], QuantumCircuit]]] = []
    if level >= 1:
        candidates.append(("l1", lambda: _finish(optimize_standins(base, family, 1), 1)))
    if level >= 2:

        def level2() -> QuantumCircuit:
            nonlocal stand
            stand = optimize_standins(base, family, 2)
            return _finish(stand, 2)

        candidates.append(("l2", level2))
    if level >= 3 and family == "ms":
        candidates.extend(_ms_strategies(circuit))
    best_cost = _cost(best)
    for _name, make in candidates:
        result = make()
        cost = _cost(result)
        if cost < best_cost:
            best, best_cost = result, cost
    return to_native(best)


def _pulses_per_qubit(standin: QuantumCircuit) -> List[int]:
    counts = [0] * standin.num_qubits
    index = {q: i for i, q in enumerate(standin.qubits)}
    for inst in standin.data:
        if inst.operation.name in ("sx", "sxdg", "x"):
            counts[index[inst.qubits[0]]] += 1
    return counts


def _ms_strategies(circuit: QuantumCircuit) -> List[Tuple[str, Callable[[], QuantumCircuit]]]:
    """MS-system strategy: optimize as if ZZ were native, then conjugate diagonal runs to XX.

    Where each qubit's Z rotations go (before or after its runs) only changes that qubit's
    single-qubit runs, so both placements are compiled once and each qubit keeps its better
    one; the mixed circuit is compiled last.
    """

    def via_zz() -> QuantumCircuit:
        zz = optimize_standins(translate_to_standins(circuit, "zz"), "zz", 2)
        n = zz.num_qubits

        def build(choice: List[bool]) -> QuantumCircuit:
            return _finish(_run(zz_to_xx(zz, choice), [_optimize_1q()]), 3)

        first, last = build([True] * n), build([False] * n)
        per_first, per_last = _pulses_per_qubit(first), _pulses_per_qubit(last)
        choice = [per_first[q] <= per_last[q] for q in range(n)]
        if all(choice):
            return first
        if not any(choice):
            return last
        mixed = build(choice)
        return min((first, last, mixed), key=_cost)

    return [("zz_runs", via_zz)]
