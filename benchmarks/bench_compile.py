"""Native compilation counts and times: ours (``transpile`` on a native backend) vs a naive
baseline (Qiskit's own ``transpile`` to the native basis names, no ionq plugin), beside the
targets of docs/compilation.md.

Counts are single-qubit pulses (GPI + GPI2) / two-qubit gates (MS or ZZ) at
``optimization_level=3``; every circuit ends in ``measure_all`` (the final Z frames are
dropped, see the docs). Run on each Qiskit line you care about::

    python benchmarks/bench_compile.py            # table + random circuits + QFT-10 time
    python benchmarks/bench_compile.py --quick    # the table only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import random_unitary

import qiskit_ionq._qiskit_compat as compat
from qiskit_ionq.compiler import native_counts
from qiskit_ionq.ionq_backend import IonQQPUBackend

warnings.simplefilter("ignore", DeprecationWarning)

Counts = Tuple[int, int]
# (pulses, two-qubit gates) targets; None = "at most" bound given separately.
TARGETS: Dict[str, Dict[str, Counts]] = {
    "bell": {"ms": (2, 1), "zz": (3, 1)},
    "ghz5": {"ms": (8, 4), "zz": (9, 4)},
    "ghz12": {"ms": (22, 11), "zz": (23, 11)},
    "qft5": {"ms": (15, 10), "zz": (5, 10)},
    "qft10": {"ms": (30, 45), "zz": (10, 45)},
    "unitary2q": {"ms": (10, 3), "zz": (12, 3)},  # at most
    "h": {"ms": (1, 0), "zz": (1, 0)},
    "t": {"ms": (0, 0), "zz": (0, 0)},
    "rx(0.3)": {"ms": (2, 0), "zz": (2, 0)},
    "u(0.1,0.2,0.3)": {"ms": (2, 0), "zz": (2, 0)},
}
AT_MOST = {"unitary2q"}


def _qft(n: int) -> QuantumCircuit:
    try:
        from qiskit.circuit.library import QFTGate

        qc = QuantumCircuit(n)
        qc.append(QFTGate(n), range(n))
        return qc
    except ImportError:  # Qiskit < 1.2
        from qiskit.circuit.library import QFT

        return QFT(n).decompose()


def circuits() -> Dict[str, QuantumCircuit]:
    out: Dict[str, QuantumCircuit] = {}
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    out["bell"] = qc
    for n in (5, 12):
        qc = QuantumCircuit(n)
        qc.h(0)
        for i in range(n - 1):
            qc.cx(i, i + 1)
        out[f"ghz{n}"] = qc
    out["qft5"], out["qft10"] = _qft(5), _qft(10)
    qc = QuantumCircuit(2)
    qc.append(UnitaryGate(random_unitary(4, seed=42)), [0, 1])
    out["unitary2q"] = qc
    for name, build in (
        ("h", lambda c: c.h(0)),
        ("t", lambda c: c.t(0)),
        ("rx(0.3)", lambda c: c.rx(0.3, 0)),
        ("u(0.1,0.2,0.3)", lambda c: c.u(0.1, 0.2, 0.3, 0)),
    ):
        qc = QuantumCircuit(1)
        build(qc)
        out[name] = qc
    for qc in out.values():
        qc.measure_all()
    return out


def random_circuit(seed: int, n: int = 6, gates: int = 60) -> QuantumCircuit:
    """Seeded random circuit from {h, x, y, z, s, t, rx, ry, rz, cx, cz, swap, cp}."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    names = ["h", "x", "y", "z", "s", "t", "rx", "ry", "rz", "cx", "cz", "swap", "cp"]
    for _ in range(gates):
        name = names[rng.integers(len(names))]
        if name in ("cx", "cz", "swap", "cp"):
            a, b = (int(v) for v in rng.choice(n, 2, replace=False))
            if name == "cp":
                qc.cp(float(rng.uniform(-np.pi, np.pi)), a, b)
            else:
                getattr(qc, name)(a, b)
        elif name in ("rx", "ry", "rz"):
            getattr(qc, name)(float(rng.uniform(-np.pi, np.pi)), int(rng.integers(n)))
        else:
            getattr(qc, name)(int(rng.integers(n)))
    qc.measure_all()
    return qc


def backends() -> Dict[str, IonQQPUBackend]:
    return {
        "ms": IonQQPUBackend(name="ionq_qpu.aria-1", gateset="native"),
        "zz": IonQQPUBackend(name="ionq_qpu.forte-1", gateset="native"),
    }


def ours(qc: QuantumCircuit, family: str, level: int = 3) -> QuantumCircuit:
    backend = backends()[family]
    return transpile(qc, backend, optimization_level=level, seed_transpiler=11)


def naive(qc: QuantumCircuit, family: str, level: int = 3) -> QuantumCircuit:
    """Qiskit's own pipeline to the native basis (our equivalence rules, no ionq plugin)."""
    if compat.QISKIT_2:  # custom basis names need a Target on 2.x
        target = backends()[family].target
        return transpile(qc, target=target, optimization_level=level, seed_transpiler=11)
    basis = ["gpi", "gpi2", "ms" if family == "ms" else "zz", "measure"]
    return transpile(qc, basis_gates=basis, optimization_level=level, seed_transpiler=11)


def _timed(
    fn: Callable[[QuantumCircuit, str], QuantumCircuit],
    qc: QuantumCircuit,
    family: str,
    repeat: int = 1,
) -> Tuple[QuantumCircuit, float]:
    """``fn(qc, family)`` and its median wall time over ``repeat`` runs."""
    times: List[float] = []
    out: Optional[QuantumCircuit] = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(qc, family)
        times.append(time.perf_counter() - start)
    assert out is not None
    return out, statistics.median(times)


def _fmt(c: Dict[str, int]) -> str:
    return f"{c['1q']}/{c['2q']}"


def table() -> int:
    print(f"Qiskit {compat.qiskit_version_string()}, optimization_level=3, pulses/2q")
    print(f"{'circuit':16} {'fam':3} {'ours':>8} {'target':>8} {'naive':>9} {'t ours':>8}"
          f" {'t naive':>8}  ok")  # fmt: skip
    failures = 0
    qft_times = {}
    for name, qc in circuits().items():
        for family in ("ms", "zz"):
            out, t_ours = _timed(ours, qc, family, repeat=5 if "qft10" in name else 1)
            try:
                base, t_naive = _timed(naive, qc, family)
                naive_txt = _fmt(native_counts(base))
            except Exception as exc:  # the baseline may fail on some lines
                naive_txt, t_naive = type(exc).__name__[:9], float("nan")
            c = native_counts(out)
            want = TARGETS[name][family]
            got = (c["1q"], c["2q"])
            if name in AT_MOST:
                ok = got[1] <= want[1] and got[0] <= want[0]
            else:
                ok = (got[1], got[0]) <= (want[1], want[0])
            failures += not ok
            if name == "qft10":
                qft_times[family] = (t_ours, t_naive)
            print(f"{name:16} {family:3} {_fmt(c):>8} {want[0]}/{want[1]:<6} {naive_txt:>9}"
                  f" {t_ours:8.3f} {t_naive:8.3f}  {'yes' if ok else 'NO'}")  # fmt: skip
    limit = 0.2 if compat.QISKIT_2 else 1.5
    for family, (t_ours, t_naive) in qft_times.items():
        ok = t_ours <= limit
        failures += not ok
        print(
            f"QFT-10 {family} compile time at level 3: {t_ours:.3f} s (median of 5; target "
            f"<= {limit} s on this line; {t_ours / t_naive:.2f}x Qiskit alone)"
            f"  {'yes' if ok else 'NO'}"
        )
    return failures


def _interactions(qc: QuantumCircuit) -> Tuple[int, int, int]:
    """(two-qubit gates, two-qubit blocks, distinct pairs) after swaps become relabelling.

    A block is a maximal run of gates on one qubit pair (Qiskit's ``Collect2qBlocks``).
    """
    from qiskit.converters import circuit_to_dag
    from qiskit.transpiler import PassManager
    from qiskit.transpiler.passes import Collect2qBlocks

    try:
        from qiskit.transpiler.passes import ElidePermutations

        qc = PassManager([ElidePermutations()]).run(qc)
    except ImportError:  # Qiskit < 1.1: count swaps as interactions too
        pass
    gates, pairs = 0, set()
    for inst in qc.data:
        if inst.operation.num_qubits == 2 and inst.operation.name != "barrier":
            gates += 1
            pairs.add(frozenset(qc.find_bit(q).index for q in inst.qubits))
    collect = Collect2qBlocks()
    collect.run(circuit_to_dag(qc.remove_final_measurements(inplace=False)))
    blocks = sum(
        1
        for block in collect.property_set["block_list"]
        if any(len(node.qargs) == 2 for node in block)
    )
    return gates, blocks, len(pairs)


def random_corpus(count: int = 10) -> int:
    print("\nRandom 6-qubit, 60-gate circuits (level 3), swaps elided:")
    failures = 0
    for family in ("ms", "zz"):
        per_2q: List[float] = []
        rows = []
        for seed in range(count):
            qc = random_circuit(seed)
            gates, blocks, pairs = _interactions(qc)
            c = native_counts(ours(qc, family))
            rows.append((c["2q"], gates, blocks, pairs))
            per_2q.append(c["1q"] / max(1, c["2q"]))
        over = sum(1 for ours_2q, gates, _, _ in rows if ours_2q > gates)
        at_blocks = sum(1 for ours_2q, _, blocks, _ in rows if ours_2q <= blocks)
        mean = statistics.mean(per_2q)
        failures += over > 0 or mean > 4.5
        print(
            f"  {family}: 2q ours/input gates/input blocks/distinct pairs: "
            + " ".join(f"{a}/{b}/{k}/{p}" for a, b, k, p in rows)
        )
        print(
            f"      more 2q than input gates: {over}/{count}; at most the input blocks: "
            f"{at_blocks}/{count}; pulses per 2q gate mean {mean:.2f}, max {max(per_2q):.2f}"
        )
    return failures


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the count table only")
    args = parser.parse_args(argv)
    failures = table()
    if not args.quick:
        failures += random_corpus()
    print(f"\n{'all targets met' if not failures else f'{failures} target(s) missed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
