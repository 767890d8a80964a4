"""Benchmark: a 2**20-outcome vendor histogram -> ``result.get_counts()``.

Compares our path (``build_experiment`` + ``IonQResult``) with a naive baseline written
here the way a straightforward client would do it: per key, ``format(k, '020b')``,
reverse, index by the measurement map, accumulate in a dict, round, store hex counts in a
plain Qiskit ``Result`` and let Qiskit's ``get_counts`` format them.

Run: ``python benchmarks/bench_results.py [--repeat N] [--qubits N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from qiskit.result import Result

from qiskit_ionq.ionq_result import IonQResult
from qiskit_ionq.results import build_experiment, default_header

SHOTS = 1_000_000  # constants.MAX_SHOTS: the most outcomes a counts dict can have


def histogram_of(num_qubits: int) -> Dict[str, float]:
    """A dense random distribution over every basis state, as the API would send it."""
    probs = np.random.default_rng(0).random(2**num_qubits)
    probs /= probs.sum()
    return dict(zip(map(str, range(2**num_qubits)), probs.tolist()))


def ours(histogram: Dict[str, float], meas_map: List[Optional[int]], num_qubits: int) -> Any:
    """Vendor histogram -> IonQResult -> get_counts(), as IonQJob does it."""
    experiment = build_experiment(
        histogram,
        header=default_header(num_qubits, len(meas_map)),
        meas_map=meas_map,
        num_qubits=num_qubits,
        shots=SHOTS,
        sample=False,
        seed=None,
    )
    result = IonQResult.from_experiments(
        backend_name="ionq_qpu",
        backend_version="0.3",
        job_id="bench",
        experiments=[experiment],
        time_taken=None,
    )
    return result.get_counts()


def naive(histogram: Dict[str, float], meas_map: List[Optional[int]], num_qubits: int) -> Any:
    """Per-key string building, then Qiskit's own Result.get_counts."""
    probabilities: Dict[str, float] = {}
    for key, probability in histogram.items():
        qubits = format(int(key), f"0{num_qubits}b")[::-1]  # qubit k at index k
        clbits = "".join("0" if q is None else qubits[q] for q in meas_map)
        bitstring = clbits[::-1]  # clbit 0 right-most
        probabilities[bitstring] = probabilities.get(bitstring, 0.0) + probability
    counts = {}
    for bitstring, probability in probabilities.items():
        count = round(probability * SHOTS)
        if count:
            counts[hex(int(bitstring, 2))] = count
    header = default_header(num_qubits, len(meas_map))
    result = Result.from_dict(
        {
            "backend_name": "ionq_qpu",
            "backend_version": "0.3",
            "qobj_id": "bench",
            "job_id": "bench",
            "success": True,
            "results": [
                {"shots": SHOTS, "success": True, "data": {"counts": counts}, "header": header}
            ],
        }
    )
    return result.get_counts()


def median_time(function: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print median times of both paths and their ratio, all and half of the qubits measured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.qubits
    histogram = histogram_of(n)
    warnings.simplefilter("ignore", DeprecationWarning)  # Qobj headers on Qiskit 1.x
    print(f"{2**n} outcomes, {SHOTS} shots, median of {args.repeat} runs")
    for label, meas_map in (
        ("all measured ", list(range(n))),
        ("half measured", list(range(0, n, 2))),
    ):
        t_ours = median_time(lambda m=meas_map: ours(histogram, m, n), args.repeat)
        t_naive = median_time(lambda m=meas_map: naive(histogram, m, n), max(1, args.repeat // 2))
        print(
            f"{label}: ours {t_ours:6.3f} s   naive {t_naive:6.3f} s   "
            f"speed-up x{t_naive / t_ours:5.1f}"
        )


if __name__ == "__main__":
    main()
