"""What the API adapters cost per call: v0.3 (the view is the body) beside v0.4 (mapped).

Pure CPU figures, no HTTP: the job-view mapping of a completed job, of a list page of 25
jobs, and the create-body mapping of a 100k-gate payload (gate lists stay pre-encoded text).
Each is compared with work every request does anyway, measured in the same run: decoding the
same response's JSON (job views), or writing the body's JSON (create). Targets: the mapping
costs at most that much again for v0.4 (x1.0), and nothing measurable for v0.3 (x0.05).

End-to-end figures of both versions: ``python benchmarks/bench_core.py --api v0.4``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import timeit
from typing import Any, Callable, Dict, List, Optional

from qiskit import QuantumCircuit

from qiskit_ionq.api.v03 import V03Adapter
from qiskit_ionq.api.v04 import V04Adapter
from qiskit_ionq.serializer import build_job_payload

JOB = "6a1b0000-0000-0000-0000-000000000001"
V4_JOB: Dict[str, Any] = {
    "id": JOB,
    "status": "completed",
    "type": "ionq.circuit.v1",
    "backend": "simulator",
    "dry_run": False,
    "parent_job_id": None,
    "child_job_ids": None,
    "session_id": None,
    "metadata": {"shots": "1024", "sampler_seed": "None", "qiskit_header": "H4sI" + "A" * 200},
    "name": "bell",
    "submitted_at": "2026-06-01T12:00:00.000Z",
    "started_at": "2026-06-01T12:00:01.000Z",
    "completed_at": "2026-06-01T12:00:02.000Z",
    "predicted_execution_duration_ms": 4,
    "execution_duration_ms": 26,
    "shots": 1024,
    "failure": None,
    "settings": {},
    "stats": {"qubits": 2, "circuits": 1, "gate_counts": {"1q": 1, "2q": 1}},
    "output": {},
    "results": {"probabilities": {"url": f"/v0.4/jobs/{JOB}/results/probabilities"}},
}
V3_JOB: Dict[str, Any] = {
    "id": JOB,
    "status": "completed",
    "request": 1780000000,
    "start": 1780000001,
    "response": 1780000002,
    "target": "simulator",
    "name": "bell",
    "metadata": V4_JOB["metadata"],
    "qubits": 2,
    "circuits": 1,
    "gate_counts": {"1q": 1, "2q": 1},
    "execution_time": 26,
    "children": [],
    "results_url": f"/v0.3/jobs/{JOB}/results",
}


class _Conn:
    url = "http://127.0.0.1:1/v0.4"


def best(call: Callable[[], Any], number: int, repeat: int) -> float:
    """Best per-call seconds over ``repeat`` timings of ``number`` calls."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bench_api_versions: python {platform.python_version()}, load average {load:.2f}")
    v3, v4 = V03Adapter(_Conn()), V04Adapter(_Conn())  # type: ignore[arg-type]
    job3, job4 = json.dumps(V3_JOB), json.dumps(V4_JOB)
    page = [dict(V4_JOB) for _ in range(25)]
    page_text = json.dumps({"jobs": page, "next": None})
    qc = QuantumCircuit(25, 25)
    for i in range(100_000 // 2):
        qc.h(i % 25)
        qc.cx(i % 25, (i + 1) % 25)
    qc.measure(range(25), range(25))
    payload = build_job_payload([qc], target="simulator")
    n, r = 5000, args.repeat
    rows = [
        # (figure, ours, baseline, baseline name, target ratio ours/baseline)
        (
            "job view v0.3 (identity)",
            best(lambda: v3.job_view(V3_JOB), n, r),
            best(lambda: json.loads(job3), n, r),
            "decode the job",
            0.05,
        ),
        (
            "job view v0.4 (mapped)",
            best(lambda: v4.job_view(V4_JOB), n, r),
            best(lambda: json.loads(job4), n, r),
            "decode the job",
            1.0,
        ),
        (
            "list page v0.4, 25 jobs",
            best(lambda: [v4.job_view(j) for j in page], 200, r),
            best(lambda: json.loads(page_text), 200, r),
            "decode the page",
            1.0,
        ),
        (
            "create body v0.3, 100k gates",
            best(lambda: v3.create_body(payload), n, r),
            best(payload.to_json, 5, r),
            "write the body",
            0.05,
        ),
        (
            "create body v0.4, 100k gates",
            best(lambda: v4.create_body(payload), n, r),
            best(payload.to_json, 5, r),
            "write the body",
            0.05,
        ),
    ]
    print(f"{'figure':<30} {'ours':>10} {'baseline':>10} {'(what)':<16} {'ratio':>7} {'target':>8}")
    met = 0
    for name, ours, base, what, limit in rows:
        ratio = ours / base
        ok = ratio <= limit
        met += ok
        print(
            f"{name:<30} {ours * 1e6:>8.2f}us {base * 1e6:>8.1f}us {what:<16} "
            f"{ratio:>7.3f} {'<= ' + str(limit):>8}  {'PASS' if ok else 'FAIL'}"
        )
    print(f"bench_api_versions: {met}/{len(rows)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
