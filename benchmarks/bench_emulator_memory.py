"""Emulator memory and fairness under a big job, against a baseline version in the same run.

For each width N, a fresh emulator *process* (``python -m qiskit_ionq.emulator``) gets an
ideal job of ``h`` on N qubits (a dense histogram of 2**N entries), or with ``--circuit ghz``
a GHZ state on N qubits (a 2**N state, a 2-entry histogram: how the widest jobs, up to the
29 qubits IonQ's simulator advertises, are measured), then:

* ``complete``: seconds until the big job is ``completed``;
* ``bell``: seconds a 2-qubit job submitted right after the big one takes to complete
  (fair CPU: a small job must not wait for the big one);
* ``results``: seconds and MB of ``GET /jobs/{id}/results`` (read as a stream);
* ``/backends max``: the slowest of the ``GET /backends`` calls made every 50 ms while the
  results download (a big body must not stall other requests);
* ``peak RSS`` (``VmHWM``) and ``held RSS`` (``VmRSS`` after the download, 1 s later) of the
  emulator process, from ``/proc`` (Linux).

The baseline is the emulator of a git ref (default ``HEAD~0`` of the current checkout is
*not* used: pass ``--baseline REF``, e.g. the commit before the memory work), extracted with
``git archive`` into a temporary directory and run with ``PYTHONPATH`` pointing there.

A job the emulator refuses at submission (over its memory budget) shows as ``refused``; one
it accepts and then fails, as ``failed``; the message is printed under the row.

Run: ``python benchmarks/bench_emulator_memory.py --qubits 20 22 24 [--baseline REF]``,
``python benchmarks/bench_emulator_memory.py --circuit ghz --qubits 26 28 29 --baseline REF``.
Prints a table; always exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADERS = {"Authorization": "apiKey bench", "Content-Type": "application/json"}
PREFIX = "qiskit-ionq emulator serving at "


def simulator_job(qubits: int, gates: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "target": "simulator",
        "shots": 100,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": qubits,
            "circuit": gates,
        },
    }


def h_job(qubits: int) -> Dict[str, Any]:
    return simulator_job(qubits, [{"gate": "h", "targets": [q]} for q in range(qubits)])


def ghz_job(qubits: int) -> Dict[str, Any]:
    gates = [{"gate": "h", "targets": [0]}]
    gates += [{"gate": "cnot", "control": q, "targets": [q + 1]} for q in range(qubits - 1)]
    return simulator_job(qubits, gates)


CIRCUITS = {"h": h_job, "ghz": ghz_job}


def bell_job() -> Dict[str, Any]:
    gates = [{"gate": "h", "targets": [0]}, {"gate": "cnot", "control": 0, "targets": [1]}]
    return {
        "target": "simulator",
        "shots": 100,
        "input": {"format": "ionq.circuit.v0", "gateset": "qis", "qubits": 2, "circuit": gates},
    }


def proc_status(pid: int) -> Dict[str, int]:
    """``VmHWM``/``VmRSS`` of a process in bytes (0 when /proc is not there)."""
    out = {"VmHWM": 0, "VmRSS": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key = line.split(":")[0]
                if key in out:
                    out[key] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


def start(src: Optional[str], extra: List[str]) -> tuple:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if src is not None:
        env["PYTHONPATH"] = src
    proc = subprocess.Popen(
        [sys.executable, "-m", "qiskit_ionq.emulator", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=src or ROOT,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith(PREFIX):
        proc.kill()
        raise RuntimeError(f"emulator did not start: {line!r}")
    return proc, line[len(PREFIX) :].strip()


def wait_done(http: requests.Session, url: str, timeout: float = 1800) -> Dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            job = http.get(url, timeout=600).json()
        except requests.RequestException:  # a stalled server (the baseline's GIL) : ask again
            continue
        if job["status"] in ("completed", "failed", "canceled") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def measure(
    qubits: int, src: Optional[str], extra: List[str], circuit: str = "h"
) -> Dict[str, Any]:
    proc, url = start(src, extra)
    out: Dict[str, Any] = {}
    try:
        http = requests.Session()
        http.headers.update(HEADERS)
        began = time.monotonic()
        answer = http.post(f"{url}/jobs", json=CIRCUITS[circuit](qubits), timeout=600)
        if answer.status_code != 200:  # refused at submission: no job to time
            status = proc_status(proc.pid)
            out.update(status="refused", failure=answer.json().get("message"), bell=0.0)
            out.update(complete=time.monotonic() - began, results_s=0.0, results_mb=0.0)
            out.update(backends_max=float("nan"), peak_rss=status["VmHWM"])
            out["held_rss"] = status["VmRSS"]
            return out
        big = answer.json()["id"]
        bell = http.post(f"{url}/jobs", json=bell_job(), timeout=60).json()["id"]
        bell_session = requests.Session()
        bell_session.headers.update(HEADERS)
        bell_job_done = wait_done(bell_session, f"{url}/jobs/{bell}")
        out["bell"] = time.monotonic() - began
        job = wait_done(http, f"{url}/jobs/{big}")
        out["complete"] = time.monotonic() - began
        out["status"] = job["status"] + ("" if bell_job_done["status"] == "completed" else "?")
        if job["status"] != "completed":
            out["failure"] = job.get("failure")
        latencies: List[float] = []
        stop = threading.Event()

        def probe() -> None:
            with requests.Session() as other:
                while not stop.is_set():
                    t0 = time.monotonic()
                    try:
                        other.get(f"{url}/backends", timeout=120)
                    except requests.RequestException:
                        pass  # counted below as at least the timeout: the server stalled
                    latencies.append(time.monotonic() - t0)
                    stop.wait(0.05)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        size = 0
        t0 = time.monotonic()
        if job["status"] == "completed":
            with http.get(f"{url}/jobs/{big}/results", stream=True, timeout=600) as response:
                for chunk in response.iter_content(1 << 20):
                    size += len(chunk)
        out["results_s"] = time.monotonic() - t0
        out["results_mb"] = size / 1e6
        stop.set()
        prober.join(130)
        out["backends_max"] = max(latencies) if latencies else float("nan")
        time.sleep(1)
        status = proc_status(proc.pid)
        out["peak_rss"], out["held_rss"] = status["VmHWM"], status["VmRSS"]
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def extract(ref: str, into: str) -> str:
    archive = os.path.join(into, "src.tar")
    with open(archive, "wb") as handle:
        subprocess.run(["git", "archive", ref, "qiskit_ionq"], cwd=ROOT, stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into)
    return into


def row(label: str, figures: Dict[str, Any]) -> str:
    gib = 1024**3
    return (
        f"{label:<10} {figures['status']:<10} {figures['complete']:8.2f} {figures['bell']:8.2f} "
        f"{figures['results_s']:9.2f} {figures['results_mb']:9.1f} "
        f"{figures['backends_max']:9.3f} {figures['peak_rss'] / gib:9.2f} "
        f"{figures['held_rss'] / gib:9.2f}"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[20, 22, 24])
    parser.add_argument("--baseline", help="git ref of the baseline emulator (optional)")
    parser.add_argument("--arg", action="append", default=[], help="extra emulator argument")
    parser.add_argument("--circuit", choices=sorted(CIRCUITS), default="h", help="the big job")
    args = parser.parse_args(argv)
    print(f"bench_emulator_memory: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    header = (
        f"{'version':<10} {'status':<10} {'complete':>8} {'bell':>8} {'results s':>9} "
        f"{'results MB':>9} {'/backends':>9} {'peak GiB':>9} {'held GiB':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        baseline = extract(args.baseline, tmp) if args.baseline else None
        for qubits in args.qubits:
            if args.circuit == "h":
                print(f"\n-- h on {qubits} qubits (2**{qubits} = {1 << qubits} histogram entries)")
            else:
                print(f"\n-- GHZ on {qubits} qubits (2**{qubits} amplitudes, 2 histogram entries)")
            print(header)
            figures = {}
            if baseline is not None:
                figures["baseline"] = measure(qubits, baseline, [], args.circuit)
                print(row("baseline", figures["baseline"]), flush=True)
                if "failure" in figures["baseline"]:
                    print(f"   baseline failure: {figures['baseline']['failure']}")
            figures["current"] = measure(qubits, None, args.arg, args.circuit)
            print(row("current", figures["current"]), flush=True)
            if "failure" in figures["current"]:
                print(f"   current failure: {figures['current']['failure']}")
            if baseline is not None and figures["baseline"]["status"] != "completed":
                print("   baseline / current: no ratio (the baseline did not run this job)")
            elif baseline is not None and figures["current"]["status"] == "completed":
                base, cur = figures["baseline"], figures["current"]
                ratios = {
                    "peak RSS": base["peak_rss"] / max(1, cur["peak_rss"]),
                    "held RSS": base["held_rss"] / max(1, cur["held_rss"]),
                    "/backends max": base["backends_max"] / max(1e-6, cur["backends_max"]),
                    "bell": base["bell"] / max(1e-6, cur["bell"]),
                }
                print(
                    "   baseline / current: "
                    + ", ".join(f"{k} x{v:.1f}" for k, v in ratios.items())
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
