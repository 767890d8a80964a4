"""Full fidelity run: random circuits through the public path vs. Qiskit's Statevector.

Generates ``--circuits`` random circuits (QIS and native gatesets, 1-12 qubits, every gate
kind the serializer accepts, random measurements), runs them on ``ionq_simulator`` of a local
emulator through ``backend.run`` (batches of ``--batch`` circuits per multi-circuit job) and
compares each ``get_probabilities()`` with the distribution computed from
``qiskit.quantum_info.Statevector`` of the original circuit, to 1e-9.

The generator and the reference live in ``test/e2e/fidelity_circuits.py`` (shared with the CI
subset in ``test/e2e/test_fidelity.py``).

Usage::

    python scripts/fidelity.py --circuits 1000 --seed 0

Prints pass/fail counts per gateset, the worst error and the time taken; exits 1 if any
circuit fails (its index, gateset, width, kinds and error are printed; ``--show-circuits``
also draws it), 0 otherwise.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "e2e"))

import qiskit
from fidelity_circuits import (
    NATIVE_KINDS,
    QIS_KINDS,
    TOLERANCE,
    generate_suite,
    kinds_used,
    run_suite,
)

from qiskit_ionq.emulator import IonQEmulator


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--circuits", type=int, default=1000, help="number of circuits")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--batch", type=int, default=20, help="circuits per job")
    parser.add_argument(
        "--gatesets", default="qis,native", help="comma-separated: qis, native (default both)"
    )
    parser.add_argument("--show", type=int, default=10, help="failures to describe")
    parser.add_argument("--show-circuits", action="store_true", help="draw failing circuits")
    args = parser.parse_args(argv)
    gatesets = tuple(g.strip() for g in args.gatesets.split(",") if g.strip())
    if not gatesets or set(gatesets) - {"qis", "native"}:
        parser.error("--gatesets takes qis and/or native")

    # Qiskit's own synthesis of PauliEvolutionGate (reference side) emits scipy sparse-format
    # hints on some versions; they are noise here.
    warnings.filterwarnings("ignore", module=r"scipy\..*")

    print(
        f"fidelity: {args.circuits} circuits, seed {args.seed}, gatesets {'+'.join(gatesets)}, "
        f"{args.batch} per job, tolerance {TOLERANCE:g}; python {platform.python_version()}, "
        f"qiskit {qiskit.__version__}"
    )
    began = time.perf_counter()
    cases = generate_suite(args.circuits, args.seed, gatesets)
    generated = time.perf_counter() - began
    for gateset in gatesets:
        every = {k.name for k in (QIS_KINDS if gateset == "qis" else NATIVE_KINDS)}
        missing = every - kinds_used(cases, gateset)
        if missing:
            print(f"note: {gateset} kinds not used (too few circuits): {sorted(missing)}")

    with IonQEmulator() as emulator:
        report = run_suite(emulator.provider(), cases, batch=args.batch)

    widths = Counter(c.circuit.num_qubits for c in cases)
    print(f"widths: {dict(sorted(widths.items()))}")
    for gateset in gatesets:
        mine = [o for o in report.outcomes if o.case.gateset == gateset]
        passed = sum(o.passed for o in mine)
        worst = max((o.error for o in mine), default=0.0)
        print(f"{gateset:>6}: {passed}/{len(mine)} passed, worst error {worst:.3e}")
    failures = report.failures
    worst = report.worst
    total = len(report.outcomes)
    print(
        f" total: {total - len(failures)}/{total} passed, {len(failures)} failed, worst error "
        f"{worst.error if worst else 0.0:.3e}"
        + (f" (circuit {worst.case.index}, {worst.case.gateset})" if worst else "")
    )
    print(
        f"  time: {generated + report.seconds:.1f} s (generate {generated:.1f} s, "
        f"run + compare {report.seconds:.1f} s)"
    )
    for outcome in failures[: args.show]:
        case = outcome.case
        print(
            f"FAIL circuit {case.index} ({case.gateset}, {case.circuit.num_qubits} qubits, "
            f"{case.circuit.num_clbits} clbits): error {outcome.error:.3e} {outcome.message}"
        )
        print(f"     kinds: {' '.join(case.kinds)}")
        if args.show_circuits:
            print(case.circuit.draw(output="text", fold=-1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
