"""Every compiled circuit of a seeded corpus is native, as wide as its input and equivalent.

300 circuits of 1-6 qubits, both gate families and levels 0-3, through ``qiskit.transpile``
(so through the ``ionq`` stage plugins), on every Qiskit line. Equivalence is checked with
``Operator`` up to global phase, and for measured circuits up to one final Z rotation per
qubit (the dropped frames, which cannot change any outcome).
"""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGOutNode

from qiskit_ionq import _qiskit_compat as compat
from qiskit_ionq.compiler import compile_native, native_counts

from .corpus import corpus, random_circuit, transpile_native
from .support import assert_equivalent, assert_native

CORPUS = corpus(300)


def _reference(circuit: QuantumCircuit, level: int) -> QuantumCircuit:
    """What Qiskit's own stages promise to keep of ``circuit``.

    Qiskit 0.46's level-3 init stage (``OptimizeSwapBeforeMeasure``) deletes swaps that end
    the circuit even when nothing is measured; that pass is Qiskit's, not ours, so on that line
    the reference loses them too.
    """
    if compat.QISKIT_VERSION >= (1, 0, 0) or level < 3 or circuit.count_ops().get("measure"):
        return circuit
    dag = circuit_to_dag(circuit)
    changed = True
    while changed:
        changed = False
        for node in dag.op_nodes():
            if node.op.name == "swap" and all(
                isinstance(succ, DAGOutNode) for succ in dag.successors(node)
            ):
                dag.remove_op_node(node)
                changed = True
    return dag_to_circuit(dag)


@pytest.mark.parametrize("chunk", range(10))
def test_corpus_compiles_to_equivalent_native_circuits(chunk: int) -> None:
    for seed, circuit, family, level in CORPUS[chunk::10]:
        out = transpile_native(circuit, family, level)
        context = f"seed {seed}, family {family}, level {level}"
        assert out.num_qubits == circuit.num_qubits, context
        assert_native(out, family)
        try:
            assert_equivalent(out, _reference(circuit, level))
        except AssertionError as exc:  # pragma: no cover - message only
            raise AssertionError(f"{context}: {exc}") from exc


def _assert_monotone(family: str, seeds: range) -> None:
    for seed in seeds:
        circuit = random_circuit(1000 + seed)
        costs = []
        for level in range(4):
            c = native_counts(compile_native(circuit, family, level))
            costs.append((c["2q"], c["1q"]))
        assert costs == sorted(costs, reverse=True), f"seed {1000 + seed}: {costs}"


@pytest.mark.parametrize("family", ["ms", "zz"])
def test_a_higher_level_is_never_worse(family: str) -> None:
    _assert_monotone(family, range(12))


@pytest.mark.slow
@pytest.mark.parametrize("family", ["ms", "zz"])
def test_a_higher_level_is_never_worse_more_circuits(family: str) -> None:
    _assert_monotone(family, range(12, 60))


def test_corpus_covers_what_it_claims() -> None:
    widths = {c.num_qubits for _, c, _, _ in CORPUS}
    assert widths == {1, 2, 3, 4, 5, 6}
    assert {(f, lv) for _, _, f, lv in CORPUS} == {(f, lv) for f in ("ms", "zz") for lv in range(4)}
    measured = sum(1 for _, c, _, _ in CORPUS if c.count_ops().get("measure"))
    assert 0.3 < measured / len(CORPUS) < 0.7
