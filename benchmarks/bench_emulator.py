"""Emulator benchmarks: job latency, and ideal simulation speed against Qiskit's Statevector.

Figures (medians):

1. latency: ``backend.run(qc).result()`` of a 2-qubit job on an in-process emulator (the way
   tests and notebooks use it: ``with IonQEmulator() as emu``), over at least 50 jobs.
   Target <= 20 ms.
2. simulation: a random 20-qubit, 500-gate QIS circuit. The emulator's simulator
   (``qiskit_ionq.emulator.simulation.simulator.execute`` on the job body our serializer
   produces; it parses the gates, simulates and builds the full 2**20-entry histogram) against
   ``qiskit.quantum_info.Statevector.from_instruction`` of the same circuit without its
   measurements. Target: not slower (ratio Statevector / emulator >= 1). The two
   distributions are also checked to agree to 1e-9.

Run: ``python benchmarks/bench_emulator.py [--jobs N] [--repeat N]``. Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, List, Optional

import numpy as np
import qiskit
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

SIM_QUBITS, SIM_GATES = 20, 500
LATENCY_TARGET = 0.020


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def random_circuit(qubits: int, gates: int, seed: int = 1) -> QuantumCircuit:
    """A random QIS circuit (1q and 2q gates, about 40 % two-qubit) measured at the end."""
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(qubits, qubits, name="random")
    one = ["h", "x", "y", "z", "s", "t", "sx", "rx", "ry", "rz"]
    two = ["cx", "cz", "swap", "rzz", "rxx", "cp", "crx"]
    for _ in range(gates):
        angle = float(rng.uniform(-math.pi, math.pi))
        if rng.random() < 0.4:
            name = two[int(rng.integers(len(two)))]
            a, b = (int(q) for q in rng.choice(qubits, size=2, replace=False))
            if name in ("rzz", "rxx", "cp", "crx"):
                getattr(qc, name)(angle, a, b)
            else:
                getattr(qc, name)(a, b)
        else:
            name = one[int(rng.integers(len(one)))]
            q = int(rng.integers(qubits))
            if name in ("rx", "ry", "rz"):
                getattr(qc, name)(angle, q)
            else:
                getattr(qc, name)(q)
    qc.measure(range(qubits), range(qubits))
    return qc


def median_time(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_latency(jobs: int) -> float:
    from qiskit_ionq.emulator import IonQEmulator

    qc = QuantumCircuit(2, 2, name="bell")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    with IonQEmulator() as emulator:
        backend = emulator.provider().get_backend("ionq_simulator")

        def once() -> None:
            counts = backend.run(qc, shots=100).result().get_counts()
            assert sum(counts.values()) == 100

        for _ in range(5):  # warm-up: connection, imports
            once()
        return median_time(once, jobs)


def bench_simulation(repeat: int) -> tuple:
    from qiskit_ionq.emulator.simulation import simulator
    from qiskit_ionq.serializer import build_job_body

    qc = random_circuit(SIM_QUBITS, SIM_GATES)
    # The body exactly as it travels: our serializer's output, through JSON text and back.
    body = json.loads(json.dumps(build_job_body(qc, target="simulator")))
    unitary_part = qc.remove_final_measurements(inplace=False)

    results: List[Any] = []

    def emulator() -> None:
        results[:] = simulator.execute(body)

    states: List[Any] = []

    def statevector() -> None:
        states[:] = [Statevector.from_instruction(unitary_part)]

    emulator()  # warm-up (imports, buffers)
    statevector()
    t_emulator = median_time(emulator, repeat)
    t_statevector = median_time(statevector, repeat)

    probs = states[0].probabilities()
    hist = results[0].histogram
    got = np.zeros(len(probs))
    got[np.array([int(k) for k in hist])] = list(hist.values())
    error = float(np.max(np.abs(got - probs)))
    return t_emulator, t_statevector, error


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60, help="latency jobs (median; >= 50)")
    parser.add_argument("--repeat", type=int, default=5, help="simulation repetitions")
    args = parser.parse_args(argv)
    print(
        f"bench_emulator: python {platform.python_version()}, qiskit {qiskit.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load_average()}"
    )
    latency = bench_latency(max(50, args.jobs))
    t_emulator, t_statevector, error = bench_simulation(max(1, args.repeat))
    ratio = t_statevector / t_emulator
    rows = [
        (
            "run->result latency, 2-qubit job",
            f"{latency * 1000:.1f} ms",
            f"<= {LATENCY_TARGET * 1000:.0f} ms",
            latency <= LATENCY_TARGET,
        ),
        (
            f"ideal sim {SIM_QUBITS} q / {SIM_GATES} gates: emulator",
            f"{t_emulator:.3f} s",
            "",
            None,
        ),
        (
            f"ideal sim {SIM_QUBITS} q / {SIM_GATES} gates: Statevector",
            f"{t_statevector:.3f} s",
            "",
            None,
        ),
        (
            "ratio Statevector / emulator",
            f"x{ratio:.2f}",
            ">= x1.00 (not slower)",
            ratio >= 1.0,
        ),
        ("max |p_emulator - p_Statevector|", f"{error:.1e}", "<= 1e-09", error <= 1e-9),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'figure'.ljust(widths[0])}  {'value'.ljust(widths[1])}  {'target'.ljust(widths[2])}")
    for figure, value, target, passed in rows:
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        print(
            f"{figure.ljust(widths[0])}  {value.ljust(widths[1])}  "
            f"{target.ljust(widths[2])}  {verdict}".rstrip()
        )
    judged = [r for r in rows if r[3] is not None]
    print(
        f"bench_emulator: {sum(bool(r[3]) for r in judged)}/{len(judged)} targets met "
        f"(load average now {load_average()})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
