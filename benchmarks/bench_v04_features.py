"""Costs of the v0.4 features, each against a baseline measured in the same run.

a. Submit path: ``build_run_payload`` (the serializer plus the v0.4 checks, e.g. whether a
   circuit needs OpenQASM 3) vs the serializer alone, on a 100k-gate, 25-qubit circuit with
   a final read-out. Target: ratio <= 1.05 (the v0.3 path must not get slower).
b. Per-shot results: a v2 shots payload of 100,000 shots over two registers, JSON text ->
   Qiskit counts and memory, vs ``json.loads`` of the same text alone. Target: <= 3x.
c. The emulator's OpenQASM 3 executor: shots per second on a 4-qubit program with two
   mid-circuit measurements and a reset (noiseless: branching, not shot-by-shot replays),
   vs the JSON-circuit simulator running the same gates without the dynamic part.
   Reported, no target (the emulator is a test tool).

Prints figures and ratios; always exits 0 (a report). Runs in-process, no network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from typing import Callable, List

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3

from qiskit_ionq.emulator.simulation import simulator
from qiskit_ionq.emulator.simulation.qasm3_exec import parse_program, run_program
from qiskit_ionq.qasm3_input import program_clbit_labels
from qiskit_ionq.serializer import build_header, build_job_payload, qiskit_circ_to_ionq_circ
from qiskit_ionq.shot_results import build_shot_experiment, parse_shots, register_sources
from qiskit_ionq.v04_run import build_run_payload


def _median(fn: Callable[[], object], repeat: int) -> float:
    times: List[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _interleaved(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple:
    ta: List[float] = []
    tb: List[float] = []
    for _ in range(repeat):
        for fn, out in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def bench_submit(repeat: int) -> bool:
    rng = random.Random(1)
    qc = QuantumCircuit(25, 25)
    for _ in range(50_000):
        a, b = rng.sample(range(25), 2)
        qc.cx(a, b)
        qc.rz(0.1, a)
    qc.measure(range(25), range(25))

    class V03Client:
        api_version = "v0.3"

    base, new = _interleaved(
        lambda: build_job_payload([qc], target="simulator", gateset="qis", shots=1000),
        lambda: build_run_payload(
            [qc], target="simulator", gateset="qis", args={"shots": 1000}, client=V03Client()
        ),
        repeat,
    )
    ratio = new / base
    print(f"a. submit 100k gates: serializer {base * 1e3:.1f} ms, with v0.4 checks "
          f"{new * 1e3:.1f} ms, ratio {ratio:.3f} (target <= 1.05)")  # fmt: skip
    return ratio <= 1.05


def bench_shots(repeat: int) -> bool:
    qc = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "a"), ClassicalRegister(3, "b"))
    header = build_header(qc)
    rng = np.random.default_rng(2)
    a = rng.integers(0, 2, size=(100_000, 2)).tolist()
    b = rng.integers(0, 2, size=(100_000, 3)).tolist()
    shots = [
        {"registers": {"a": x, "b": y, "output_all": [0, 0, 0]}, "leakage_bits": 0}
        for x, y in zip(a, b)
    ]
    text = json.dumps({"shots": shots})
    sources = register_sources(program_clbit_labels(header))

    def decode() -> None:
        data, _ = build_shot_experiment(
            parse_shots(json.loads(text)), header=header, sources=sources
        )
        _ = data.counts, data.memory

    base = _median(lambda: json.loads(text), repeat)
    full = _median(decode, repeat)
    ratio = full / base
    print(f"b. 100k v2 shots -> counts+memory: {full * 1e3:.0f} ms, json.loads alone "
          f"{base * 1e3:.0f} ms, ratio {ratio:.2f} (target <= 3)")  # fmt: skip
    return ratio <= 3


def bench_executor(repeat: int) -> None:
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.reset(0)
    qc.h(0)
    qc.cx(1, 2)
    qc.measure(1, 1)
    qc.cx(2, 3)
    qc.measure([2, 3], [2, 3])
    program = parse_program(qasm3.dumps(qc))
    shots = 100_000
    dyn = _median(lambda: run_program(program, shots, seed=1), repeat)
    static = qc.copy_empty_like()
    for instruction in qc.data:
        if instruction.operation.name not in ("measure", "reset"):
            static.append(instruction)
    gates, _, _ = qiskit_circ_to_ionq_circ(static)
    body = {"target": "simulator", "shots": shots, "noise": {"model": "aria-1", "seed": 1},
            "input": {"gateset": "qis", "qubits": 4, "circuit": gates}}  # fmt: skip
    json_sim = _median(lambda: simulator.execute(body, seed=1), repeat)
    print(f"c. executor, 100k shots: OpenQASM 3 {shots / dyn:,.0f} shots/s; JSON simulator "
          f"(noisy, same gates, no dynamics) {shots / json_sim:,.0f} shots/s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    met = [bench_submit(args.repeat), bench_shots(args.repeat)]
    bench_executor(args.repeat)
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
    print(f"{sum(met)}/{len(met)} targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
