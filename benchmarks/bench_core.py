"""Core client benchmarks against a local emulator: ours vs. a naive baseline, same run.

Figures (median of several repetitions; the baseline is implemented in this file):

a. submit: ``backend.run(qc)`` of a 100,000-gate, 25-qubit circuit until the job id is known.
   Baseline: a naive serializer (per-gate ``circuit.qubits.index(q)``, dicts built from name
   strings, ``json.dumps``) and a plain ``requests.post``. The server runs a stand-in
   simulator for this job (answers at once), so nothing 25-qubit is simulated.
b. counts: ``job.result().get_counts()`` of a job whose histogram has 2**20 outcomes (dense,
   random, served by a stand-in simulator), 20 qubits all measured, and half of them measured;
   1,000,000 shots, ideal simulator (counts sampled with a seed). Timed from the results
   fetch to counts in hand (the job is already complete), with the split HTTP+JSON / our
   remap (histogram -> IonQResult) / Qiskit-facing ``get_counts``. Baseline: per-key Python
   strings (``format(k, '020b')[::-1]``, pick the meas_map bits, dict accumulate), multinomial
   sampling, a plain Qiskit ``Result`` and its ``get_counts``.
c. latency: ``backend.run(qc).result()`` for a job the server completes 200 ms after it
   starts running. Baseline: the same job submitted and polled with a fixed 1-second sleep.
d. throughput: 200 tiny jobs (run -> result -> counts, real simulator) from 8 threads through
   one provider, in jobs/s (the median of the repetitions). Baseline: the same 200 jobs one
   after another from one thread.

The emulator runs in a child process by default (``--in-process`` to share this one), so the
client's CPU time is not inflated by the server's work under the GIL; the server's time still
counts in every figure (it answers the requests). The report always exits 0; the last line
counts the figures that meet their targets.

Run: ``python benchmarks/bench_core.py [--repeat N] [--quick] [--in-process] [--only abcd]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import qiskit
import requests
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.result import Result

STANDIN = "bench-standin"  # jobs whose name starts with this get canned results
SUBMIT_GATES, SUBMIT_QUBITS = 100_000, 25
DENSE_QUBITS, DENSE_SHOTS, DENSE_SEED = 20, 1_000_000, 11
LATENCY_RUNNING = 0.2
THROUGHPUT_JOBS, THROUGHPUT_THREADS = 200, 8
TOKEN = "bench-token"


# ============================================================================================
# Server side: the emulator with a stand-in simulator for the canned jobs
# ============================================================================================
class BenchSimulator:
    """The emulator's simulator, except for jobs named ``bench-standin*``.

    Those are not validated or simulated: ``*dense*`` jobs get a dense random histogram over
    all 2**qubits outcomes (decimal-string keys, little-endian, probabilities), every other
    canned job gets ``{"0": 1.0}`` at once.
    """

    def __init__(self) -> None:
        from qiskit_ionq.emulator.simulation import simulator

        self._real = simulator
        self.JobFailure = simulator.JobFailure
        self._dense: Dict[int, Dict[str, float]] = {}

    @staticmethod
    def _canned(body: Any) -> bool:
        name = body.get("name") if isinstance(body, dict) else None
        return isinstance(name, str) and name.startswith(STANDIN)

    def dense(self, qubits: int) -> Dict[str, float]:
        if qubits not in self._dense:
            probs = np.random.default_rng(0).random(1 << qubits)
            probs /= probs.sum()
            self._dense[qubits] = dict(zip(map(str, range(1 << qubits)), probs.tolist()))
        return self._dense[qubits]

    def validate_job(self, body: Dict[str, Any]) -> None:
        if not self._canned(body):
            self._real.validate_job(body)

    def predicted_execution_time_ms(self, body: Dict[str, Any]) -> int:
        return 1 if self._canned(body) else self._real.predicted_execution_time_ms(body)

    def execute(self, body: Dict[str, Any], *, seed: Optional[int] = None) -> List[Any]:
        if not self._canned(body):
            return self._real.execute(body, seed=seed)
        width = int(body["input"]["qubits"])
        hist = self.dense(width) if "dense" in body["name"] else {"0": 1.0}
        counts = {"1q": 0, "2q": 0}
        return [self._real.CircuitResult(body["name"], width, counts, hist, hist)]


def _serve(conn: Any) -> None:
    """Child process: run the emulator until told to stop; obey delay changes."""
    from qiskit_ionq.emulator import IonQEmulator

    emulator = IonQEmulator(simulator=BenchSimulator()).start()
    conn.send(emulator.url)
    while True:
        command, argument = conn.recv()
        if command == "delays":
            emulator.job_delays = argument
            conn.send("ok")
        elif command == "cpu":
            conn.send(time.process_time())
        else:
            break
    emulator.stop()
    conn.send("stopped")


class Server:
    """The emulator, in a child process (default) or in this one."""

    def __init__(self, in_process: bool) -> None:
        self.in_process = in_process
        self._emulator: Any = None
        self._conn: Any = None
        self._process: Any = None
        self.url = ""

    def start(self) -> Server:
        if self.in_process:
            from qiskit_ionq.emulator import IonQEmulator

            self._emulator = IonQEmulator(simulator=BenchSimulator()).start()
            self.url = self._emulator.url
        else:
            context = multiprocessing.get_context("spawn")
            self._conn, child = context.Pipe()
            self._process = context.Process(target=_serve, args=(child,), daemon=True)
            self._process.start()
            self.url = self._conn.recv()
        return self

    def set_delays(self, delays: Any) -> None:
        if self._emulator is not None:
            self._emulator.job_delays = delays
        else:
            self._conn.send(("delays", delays))
            self._conn.recv()

    def cpu_seconds(self) -> Optional[float]:
        """CPU time the server process has used (``None`` when it shares this process)."""
        if self._emulator is not None:
            return None
        self._conn.send(("cpu", None))
        return float(self._conn.recv())

    def stop(self) -> None:
        if self._emulator is not None:
            self._emulator.stop()
        elif self._process is not None:
            self._conn.send(("stop", None))
            self._conn.recv()
            self._process.join(timeout=10)


# ============================================================================================
# The naive baseline client
# ============================================================================================
def naive_headers() -> Dict[str, str]:
    return {"Authorization": f"apiKey {TOKEN}", "Content-Type": "application/json"}


def naive_serialize(circuit: QuantumCircuit, name: str, shots: int) -> str:
    """A straightforward serializer: per-gate list lookups and string-built gate dicts."""
    gates = []
    meas_map: List[Optional[int]] = [None] * circuit.num_clbits
    for instruction in circuit.data:
        op_name = instruction.operation.name
        if op_name == "measure":
            qubit = circuit.qubits.index(instruction.qubits[0])
            meas_map[circuit.clbits.index(instruction.clbits[0])] = qubit
            continue
        if op_name == "barrier":
            continue
        qubits = [circuit.qubits.index(q) for q in instruction.qubits]
        gate: Dict[str, Any] = {}
        if op_name.startswith("c") and len(qubits) > 1:
            gate["gate"] = op_name[1:]
            gate["controls"] = qubits[:-1]
            gate["targets"] = qubits[-1:]
        else:
            gate["gate"] = {"sdg": "si", "tdg": "ti", "sx": "v"}.get(op_name, op_name)
            gate["targets"] = qubits
        if instruction.operation.params:
            gate["rotation"] = float(instruction.operation.params[0])
        gates.append(gate)
    body = {
        "target": "simulator",
        "shots": shots,
        "name": name,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": circuit.num_qubits,
            "circuit": gates,
        },
        "registers": {"meas_mapped": meas_map},
        "metadata": {"shots": str(shots), "sampler_seed": "None"},
        "noise": {"model": "ideal", "seed": None},
    }
    return json.dumps(body)


def naive_submit(url: str, circuit: QuantumCircuit, name: str, shots: int) -> str:
    body = naive_serialize(circuit, name, shots)
    reply = requests.post(f"{url}/jobs", data=body, headers=naive_headers(), timeout=60)
    reply.raise_for_status()
    return reply.json()["id"]


def naive_counts(
    histogram: Dict[str, float],
    meas_map: Sequence[int],
    num_qubits: int,
    shots: int,
    seed: int,
    creg_sizes: List[List[Any]],
) -> Result:
    """Per-key string remapping, multinomial sampling, a plain Qiskit ``Result``."""
    probabilities: Dict[str, float] = {}
    for key, probability in histogram.items():
        qubits = format(int(key), f"0{num_qubits}b")[::-1]  # qubit k at index k
        bits = "".join(qubits[q] for q in meas_map)[::-1]  # clbit 0 right-most
        probabilities[bits] = probabilities.get(bits, 0.0) + probability
    keys = list(probabilities)
    values = np.array(list(probabilities.values()))
    drawn = np.random.RandomState(seed).multinomial(shots, values / values.sum())
    counts = {hex(int(k, 2)): int(c) for k, c in zip(keys, drawn.tolist()) if c}
    header = {"memory_slots": len(meas_map), "creg_sizes": creg_sizes, "name": "naive"}
    result = Result.from_dict(
        {
            "backend_name": "ionq_simulator",
            "backend_version": "0.3",
            "qobj_id": "naive",
            "job_id": "naive",
            "success": True,
            "results": [
                {"shots": shots, "success": True, "data": {"counts": counts}, "header": header}
            ],
        }
    )
    return result


def naive_wait(url: str, job_id: str, poll: float = 1.0) -> Dict[str, Any]:
    """Older clients: GET the job, sleep a fixed second while it is not final."""
    while True:
        job = requests.get(f"{url}/jobs/{job_id}", headers=naive_headers(), timeout=60).json()
        if job["status"] in ("completed", "failed", "canceled"):
            return job
        time.sleep(poll)


# ============================================================================================
# Circuits
# ============================================================================================
def big_circuit(gates: int, qubits: int, name: str) -> QuantumCircuit:
    """A random QIS circuit of ``gates`` gates plus a final measurement of every qubit."""
    rng = np.random.default_rng(5)
    qc = QuantumCircuit(qubits, qubits, name=name)
    kinds = rng.integers(0, 8, size=gates)
    a = rng.integers(0, qubits, size=gates)
    b = (a + rng.integers(1, qubits, size=gates)) % qubits
    angles = rng.uniform(-math.pi, math.pi, size=gates)
    for kind, q0, q1, angle in zip(kinds.tolist(), a.tolist(), b.tolist(), angles.tolist()):
        if kind == 0:
            qc.h(q0)
        elif kind == 1:
            qc.x(q0)
        elif kind == 2:
            qc.rz(angle, q0)
        elif kind == 3:
            qc.ry(angle, q0)
        elif kind == 4:
            qc.s(q0)
        elif kind == 5:
            qc.cz(q0, q1)
        else:
            qc.cx(q0, q1)
    qc.measure(range(qubits), range(qubits))
    return qc


def dense_circuit(measured: Sequence[int], name: str) -> QuantumCircuit:
    """20 qubits (the stand-in ignores the gates); ``measured`` qubits into one register."""
    qc = QuantumCircuit(QuantumRegister(DENSE_QUBITS, "q"), ClassicalRegister(len(measured), "c"))
    qc.name = name
    qc.h(range(DENSE_QUBITS))
    qc.measure(list(measured), range(len(measured)))
    return qc


def bell(name: str = "bell") -> QuantumCircuit:
    qc = QuantumCircuit(2, 2, name=name)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


# ============================================================================================
# Measurements
# ============================================================================================
@contextlib.contextmanager
def timing(owner: Any, *names: str) -> Iterator[List[float]]:
    """Accumulate the wall time spent in ``owner.<name>`` calls while the block runs.

    ``owner`` is an instance (the wrapper shadows the class method, then is removed) or a
    class (the original is put back). Yields a one-element list holding the seconds.
    """
    spent = [0.0]
    originals = {name: owner.__dict__.get(name) for name in names}
    for name in names:
        real = getattr(owner, name)

        def call(*args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        setattr(owner, name, call)
    try:
        yield spent
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # not available on this platform
        return "n/a"


def median_time(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Row:
    """One line of the report table."""

    def __init__(
        self,
        figure: str,
        ours: float,
        baseline: float,
        unit: str,
        target: float,
        higher_is_better: bool = False,
    ) -> None:
        self.figure, self.ours, self.baseline, self.unit = figure, ours, baseline, unit
        self.target, self.higher = target, higher_is_better

    @property
    def ratio(self) -> float:
        """How many times better ours is than the baseline."""
        if self.higher:
            return self.ours / self.baseline
        return self.baseline / self.ours

    @property
    def passed(self) -> bool:
        return self.ours >= self.target if self.higher else self.ours <= self.target

    def cells(self) -> List[str]:
        fmt = "{:.1f}" if self.unit == "jobs/s" else "{:.3f}"
        rel = ">=" if self.higher else "<="
        return [
            self.figure,
            f"{fmt.format(self.ours)} {self.unit}",
            f"{fmt.format(self.baseline)} {self.unit}",
            f"x{self.ratio:.1f}",
            f"{rel} {fmt.format(self.target)} {self.unit}",
            "PASS" if self.passed else "FAIL",
        ]


def print_table(rows: List[Row]) -> None:
    header = ["figure", "ours", "baseline", "ratio", "target", "result"]
    table = [header] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def bench_submit(provider: Any, url: str, repeat: int) -> Row:
    backend = provider.get_backend("ionq_simulator")
    client = backend.client
    name = f"{STANDIN}-submit"
    qc = big_circuit(SUBMIT_GATES, SUBMIT_QUBITS, name)
    ours_total: List[float] = []
    ours_post: List[float] = []
    for n in range(repeat + 1):  # the first run warms up (connection, caches)
        with timing(client, "submit_job") as post:
            start = time.perf_counter()
            job = backend.run(qc, shots=1024)
            assert job.job_id()
            elapsed = time.perf_counter() - start
        client.delete_job(job.job_id())  # keep the server's memory flat
        if n:
            ours_total.append(elapsed)
            ours_post.append(post[0])
    naive_total: List[float] = []
    naive_post: List[float] = []
    for _ in range(max(1, (repeat + 1) // 2)):
        start = time.perf_counter()
        body = naive_serialize(qc, name, 1024)
        serialized = time.perf_counter()
        reply = requests.post(f"{url}/jobs", data=body, headers=naive_headers(), timeout=60)
        job_id = reply.json()["id"]
        done = time.perf_counter()
        requests.delete(f"{url}/jobs/{job_id}", headers=naive_headers(), timeout=60)
        naive_total.append(done - start)
        naive_post.append(done - serialized)
    t_ours, t_naive = statistics.median(ours_total), statistics.median(naive_total)
    p_ours, p_naive = statistics.median(ours_post), statistics.median(naive_post)
    print(
        f"   a: split serialize / POST (body to JSON text, send, server parses and stores): "
        f"ours {t_ours - p_ours:.3f} / {p_ours:.3f} s, "
        f"baseline {t_naive - p_naive:.3f} / {p_naive:.3f} s"
    )
    return Row(
        f"a. submit {SUBMIT_GATES // 1000}k gates, {SUBMIT_QUBITS} q", t_ours, t_naive, "s", 0.3
    )


def _split_line(label: str, med: Dict[str, float]) -> str:
    return (
        f"{label} {med['server']:.3f} / {med['decode']:.3f} / {med['remap']:.3f} / "
        f"{med['counts']:.3f} s"
    )


def bench_counts(provider: Any, url: str, repeat: int) -> List[Row]:
    from qiskit_ionq.api.transport import Reply

    backend = provider.get_backend("ionq_simulator")
    client = backend.client
    rows = []
    cases = [
        ("all", list(range(DENSE_QUBITS))),
        ("half", list(range(0, DENSE_QUBITS, 2))),
    ]
    for label, measured in cases:
        qc = dense_circuit(measured, f"{STANDIN}-dense-{label}")
        job = backend.run(qc, shots=DENSE_SHOTS, sampler_seed=DENSE_SEED)
        job.result()  # wait for completion (and warm up)
        job_id = job.job_id()

        ours: Dict[str, List[float]] = {
            k: [] for k in ("total", "server", "decode", "remap", "counts")
        }
        keys = 0
        for _ in range(repeat):
            fresh = backend.retrieve_job(job_id)  # no cache: fetch and build again
            with (
                timing(client, "retrieve_job", "get_results") as http,
                timing(Reply, "json") as decode,
            ):
                start = time.perf_counter()
                result = fresh.result()
                built = time.perf_counter()
                counts = result.get_counts()
                done = time.perf_counter()
            keys = len(counts)
            assert sum(counts.values()) == DENSE_SHOTS
            ours["total"].append(done - start)
            ours["server"].append(http[0] - decode[0])
            ours["decode"].append(decode[0])
            ours["remap"].append(built - start - http[0])
            ours["counts"].append(done - built)

        naive: Dict[str, List[float]] = {
            k: [] for k in ("total", "server", "decode", "remap", "counts")
        }
        creg = [["c", len(measured)]]
        naive_keys = 0
        for _ in range(max(1, (repeat + 1) // 2)):
            start = time.perf_counter()
            job_reply = requests.get(f"{url}/jobs/{job_id}", headers=naive_headers(), timeout=60)
            results_reply = requests.get(
                f"{url}/jobs/{job_id}/results", headers=naive_headers(), timeout=60
            )
            fetched = time.perf_counter()
            # A job our client created on API v0.4 carries no `registers` (v0.4 stores
            # none): the baseline then uses the map the circuit was built with.
            meas_map = (job_reply.json().get("registers") or {}).get("meas_mapped") or measured
            histogram = results_reply.json()
            decoded = time.perf_counter()
            result = naive_counts(histogram, meas_map, DENSE_QUBITS, DENSE_SHOTS, DENSE_SEED, creg)
            built = time.perf_counter()
            naive_keys = len(result.get_counts())
            done = time.perf_counter()
            naive["total"].append(done - start)
            naive["server"].append(fetched - start)
            naive["decode"].append(decoded - fetched)
            naive["remap"].append(built - decoded)
            naive["counts"].append(done - built)

        client.delete_job(job_id)
        med = {k: statistics.median(v) for k, v in ours.items()}
        nmed = {k: statistics.median(v) for k, v in naive.items()}
        print(
            f"   b/{label}: {len(measured)} of {DENSE_QUBITS} qubits measured, {keys} count keys "
            f"(baseline {naive_keys}); split server+transfer / JSON decode / remap / get_counts:"
            f"{_split_line(' ours', med)};{_split_line(' baseline', nmed)}"
        )
        rows.append(
            Row(f"b. counts 2^20 outcomes, {label} measured", med["total"], nmed["total"], "s", 2.0)
        )
    return rows


def bench_latency(provider: Any, server: Server, url: str, repeat: int) -> Row:
    backend = provider.get_backend("ionq_simulator")
    server.set_delays({"running": LATENCY_RUNNING})
    try:

        def ours() -> None:
            backend.run(bell("latency"), shots=100).result().get_counts()

        def naive() -> None:
            job_id = naive_submit(url, bell("latency"), "latency", 100)
            naive_wait(url, job_id)
            requests.get(f"{url}/jobs/{job_id}/results", headers=naive_headers(), timeout=60)

        ours()
        t_ours = median_time(ours, max(repeat, 7))
        t_naive = median_time(naive, 3)
    finally:
        server.set_delays(None)
    return Row(f"c. run->result, job done after {LATENCY_RUNNING:.1f} s", t_ours, t_naive, "s", 0.3)


def bench_throughput(provider: Any, server: Server, repeat: int) -> Row:
    backend = provider.get_backend("ionq_simulator")
    circuits = [bell(f"tp-{i}") for i in range(THROUGHPUT_JOBS)]

    def one(qc: QuantumCircuit) -> int:
        return sum(backend.run(qc, shots=100).result().get_counts().values())

    runs: List[Tuple[float, float, Optional[float]]] = []  # (seconds, client CPU, server CPU)
    with ThreadPoolExecutor(THROUGHPUT_THREADS) as pool:
        list(pool.map(one, circuits[: 2 * THROUGHPUT_THREADS]))  # warm-up: open connections
        for _ in range(repeat):
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            start = time.perf_counter()
            totals = list(pool.map(one, circuits))
            elapsed = time.perf_counter() - start
            client_cpu = time.process_time() - client_cpu
            after = server.cpu_seconds()
            server_used = None if after is None or server_cpu is None else after - server_cpu
            runs.append((elapsed, client_cpu, server_used))
            assert totals == [100] * THROUGHPUT_JOBS
    threaded, client_cpu, server_used = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    start = time.perf_counter()
    for qc in circuits:
        one(qc)
    sequential = time.perf_counter() - start
    per_job = 1000 / THROUGHPUT_JOBS
    server_part = "" if server_used is None else f", server {server_used * per_job:.2f}"
    print(
        f"   d: CPU per job (threaded run): client {client_cpu * per_job:.2f}{server_part} ms "
        f"(each process runs Python on one core at a time: 300 jobs/s needs <= 3.3 ms each)"
    )
    return Row(
        f"d. {THROUGHPUT_JOBS} jobs, {THROUGHPUT_THREADS} threads",
        THROUGHPUT_JOBS / threaded,
        THROUGHPUT_JOBS / sequential,
        "jobs/s",
        300.0,
        higher_is_better=True,
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per figure (median)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument(
        "--in-process", action="store_true", help="run the emulator in this process"
    )
    parser.add_argument("--only", default="abcd", help="figures to run, e.g. 'ac' (default: abcd)")
    parser.add_argument(
        "--api",
        choices=["v0.3", "v0.4"],
        default="v0.3",
        help="IonQ API version our client speaks (the naive baseline always speaks v0.3)",
    )
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else max(1, args.repeat)
    only = set(args.only.lower())
    warnings.simplefilter("ignore", DeprecationWarning)  # Qobj-era Result headers on Qiskit 1.x

    from qiskit_ionq import IonQProvider

    print(
        f"bench_core: python {platform.python_version()}, qiskit {qiskit.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average {load_average()}; "
        f"emulator {'in this process' if args.in_process else 'in a child process'}; "
        f"median of {repeat} runs (baselines: fewer); our client on API {args.api}"
    )
    server = Server(args.in_process).start()
    try:
        # The emulator serves both versions from one store; the baseline keeps server.url.
        ours = server.url.rsplit("/", 1)[0] + "/" + args.api
        provider = IonQProvider(token=TOKEN, url=ours)
        rows: List[Row] = []
        if "a" in only:
            rows.append(bench_submit(provider, server.url, repeat))
        if "b" in only:
            rows += bench_counts(provider, server.url, repeat)
        if "c" in only:
            rows.append(bench_latency(provider, server, server.url, repeat))
        if "d" in only:
            rows.append(bench_throughput(provider, server, repeat))
    finally:
        server.stop()
    print(
        "ratio = how many times better ours is than the baseline "
        "(times: baseline/ours; jobs/s: ours/baseline)"
    )
    print_table(rows)
    passed = sum(r.passed for r in rows)
    print(f"bench_core: {passed}/{len(rows)} targets met (load average now {load_average()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
