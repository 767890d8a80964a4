"""Soak test: many jobs through a misbehaving API, none duplicated, none lost, none wrong.

Starts its own :class:`~qiskit_ionq.emulator.IonQEmulator` on 127.0.0.1 (port 0) and
injects rate-based faults on every route the client uses (``POST /jobs``, ``GET /jobs``,
``GET /jobs/{id}``, ``GET /jobs/{id}/results``) and of every kind: HTTP 429 with
``Retry-After``, 500, 502 (a CDN's HTML page), 503, 504, 520-529, 409 (GET only), connection
resets, answers slower than the client's read timeout, and, on ``POST /jobs``, "store then
fail" (the job is created, then a 5xx), "store then reset" and "slow accept" (the server
stores the job only after the client's read timeout fired, so for a while it is in no
listing). About ``--fault-rate`` of the requests to each route are faulted, split evenly
over the kinds.

Then ``--jobs`` jobs of small random circuits whose outcome is known exactly run from
``--threads`` threads sharing one client: most circuits prepare a basis state (their counts
must be exactly ``{expected: shots}``), the others are compared with ``Statevector`` (every
probability within 1e-9, counts summing to ``shots``); some jobs hold two circuits.

It prints, and checks:

* jobs completed with correct counts (required: all of them);
* duplicate jobs created (the emulator's own count of jobs per submission id; required: 0);
* lost jobs: jobs the server created that the client never learned of, or jobs the client
  could not submit or read back (required: 0);
* the longest wait of any single call (``submit``, ``result``) against its bound (required:
  within ``--wait-bound``, by default derived from the retry policy, see :func:`call_bounds`).

HTTP 500 on a read is retried by the client like a 502. A submission that ends in an
``IonQAPIError`` was proven not to exist (the client looked in the job list first), so the
soak's "user" simply calls again. A submission that ends in ``IonQSubmissionUnknownError``
(no answer, and the job did not appear within the reconciliation window) is handled as its
message says: the user looks for it with ``client.find_job(submission_id)``, adopts it if it
is there, and submits again only if it is not. Such caller-level actions are counted and
printed. Any other error is a failure.

Run: ``python benchmarks/soak.py [--jobs 300] [--fault-rate 0.2] [--seed 1] [--threads 8]
[--read-timeout 0.5] [--wait-bound S] [--time-limit 600]``. Exit status 0 when every
requirement holds, 1 otherwise. ``test/reliability/test_soak_reduced.py`` runs a short
version in CI through :func:`run_soak`.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import math
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qiskit_ionq import IonQProvider
from qiskit_ionq.api.retry import RetryPolicy
from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.exceptions import IonQAPIError, IonQError, IonQSubmissionUnknownError
from qiskit_ionq.ionq_client import IonQClient
from qiskit_ionq.ionq_job import IonQJob

TOKEN = "soak-token-0f3e9a"
ROUTES = ("POST /jobs", "GET /jobs", "GET /jobs/{id}", "GET /jobs/{id}/results")
CDN_STATUSES = tuple(range(520, 530))
CALLER_ATTEMPTS = 6  # caller-level calls per operation (after a surfaced IonQAPIError)
PROB_TOLERANCE = 1e-9


# ------------------------------------------------------------------------------ faults
def fault_mix(route: str, read_timeout: float) -> List[Tuple[Dict[str, Any], float]]:
    """The ``(FaultInjector.add kwargs, weight)`` pairs for ``route``; weights sum to the
    number of fault "kinds" so that each kind gets an equal share of the faulted requests."""
    slow_delay = read_timeout + max(0.3, read_timeout)  # always beyond the read timeout
    mix: List[Tuple[Dict[str, Any], float]] = [
        ({"kind": "status", "status": 429, "retry_after": 1}, 1.0),
        ({"kind": "status", "status": 500}, 1.0),
        ({"kind": "status", "status": 502}, 1.0),  # a CDN's HTML page
        ({"kind": "status", "status": 503}, 1.0),  # Retry-After: 1
        ({"kind": "status", "status": 504}, 1.0),
        *(({"kind": "status", "status": s}, 1.0 / len(CDN_STATUSES)) for s in CDN_STATUSES),
        ({"kind": "reset"}, 1.0),
        ({"kind": "slow", "delay": slow_delay}, 1.0),
    ]
    if route.startswith("GET "):
        mix.append(({"kind": "status", "status": 409}, 1.0))  # Cloudflare's DNS-error 409
    if route == "POST /jobs":
        mix += [
            # Stored only once the client's read timeout has fired, but well within the
            # reconciliation window: the job must be found, not created twice.
            ({"kind": "slow_accept", "delay": slow_delay + 0.5}, 1.0),
            # The duplicate-maker: stored, then a 5xx (weighted up: the hazard that matters).
            ({"kind": "store_then_fail", "status": 502}, 1.0),
            ({"kind": "store_then_fail", "status": 500}, 0.5),
            ({"kind": "store_then_fail", "status": 503}, 0.5),
            ({"kind": "store_then_fail", "status": 504}, 0.5),
            *(
                ({"kind": "store_then_fail", "status": s}, 0.5 / len(CDN_STATUSES))
                for s in CDN_STATUSES
            ),
            ({"kind": "store_then_reset"}, 1.0),
            ({"kind": "slow", "delay": slow_delay}, 0.5),  # slow create = stored, then timeout
        ]
    return mix


def install_faults(emu: IonQEmulator, fault_rate: float, read_timeout: float) -> None:
    """Fault about ``fault_rate`` of the requests of every route, all kinds equally.

    The injector tries rules in order and the first that fires wins, so rule ``i`` gets the
    conditional rate ``p_i / (1 - sum of p_j for j < i)``: then each rule fires for ``p_i`` of
    the requests and the route as a whole for ``fault_rate`` of them.
    """
    for route in ROUTES:
        mix = fault_mix(route, read_timeout)
        total_weight = sum(weight for _, weight in mix)
        used = 0.0
        for options, weight in mix:
            share = fault_rate * weight / total_weight
            rate = min(1.0, share / (1.0 - used)) if used < 1.0 else 1.0
            emu.faults.add(route=route, rate=rate, times=None, **options)
            used += share


def fault_summary(stats: Dict[str, Any]) -> Tuple[int, int, Dict[str, int]]:
    """``(requests to API routes, faulted requests, {kind: fired})`` from emulator stats."""
    requests = sum(
        sum(codes.values())
        for route, codes in stats["requests"].items()
        if not route.split(" ", 1)[-1].startswith("/_emulator")
    )
    by_kind: Dict[str, int] = {}
    for rule in stats["faults"]:
        kind = rule["kind"] if rule["kind"] != "status" else str(rule["status"])
        if kind.startswith("52"):
            kind = "520-529"
        if rule["kind"] == "store_then_fail":
            kind = "store_then_fail"
        by_kind[kind] = by_kind.get(kind, 0) + int(rule["fired"])
    return requests, sum(by_kind.values()), by_kind


# ------------------------------------------------------------------------------ circuits
@dataclass
class Case:
    """A circuit and what its result must be."""

    circuit: QuantumCircuit
    counts: Optional[Dict[str, int]] = None  # exact counts (basis-state circuits)
    probabilities: Optional[Dict[str, float]] = None  # exact distribution (others)


def basis_state_case(rng: random.Random, shots: int, name: str) -> Case:
    """A random reversible circuit (with phases and self-cancelling pairs) on a basis state.

    The final state is a computational basis state computed classically alongside, so the
    ideal counts are exactly ``{key: shots}``; the measurement order is a random permutation.
    """
    n = rng.randint(1, 5)
    qc = QuantumCircuit(n, n, name=name)
    bits = [0] * n
    for _ in range(rng.randint(1, 12)):
        move = rng.choice(["x", "cx", "ccx", "swap", "phase", "hzh", "sxsx", "rxpi", "hh"])
        q = rng.sample(range(n), min(n, 3))
        if move == "x":
            qc.x(q[0])
            bits[q[0]] ^= 1
        elif move == "cx" and n >= 2:
            qc.cx(q[0], q[1])
            bits[q[1]] ^= bits[q[0]]
        elif move == "ccx" and n >= 3:
            qc.ccx(q[0], q[1], q[2])
            bits[q[2]] ^= bits[q[0]] & bits[q[1]]
        elif move == "swap" and n >= 2:
            qc.swap(q[0], q[1])
            bits[q[0]], bits[q[1]] = bits[q[1]], bits[q[0]]
        elif move == "phase":
            getattr(qc, rng.choice(["z", "s", "t", "sdg", "tdg"]))(q[0])
            qc.rz(rng.uniform(-math.pi, math.pi), q[0])
        elif move == "hzh":  # H Z H = X
            qc.h(q[0])
            qc.z(q[0])
            qc.h(q[0])
            bits[q[0]] ^= 1
        elif move == "sxsx":  # SX SX = X
            qc.sx(q[0])
            qc.sx(q[0])
            bits[q[0]] ^= 1
        elif move == "rxpi":  # RX(pi) = -iX
            qc.rx(math.pi, q[0])
            bits[q[0]] ^= 1
        elif move == "hh":
            qc.h(q[0])
            qc.h(q[0])
    order = list(range(n))
    rng.shuffle(order)  # qubit i -> clbit order[i]
    for qubit, clbit in enumerate(order):
        qc.measure(qubit, clbit)
    clbits = [0] * n
    for qubit, clbit in enumerate(order):
        clbits[clbit] = bits[qubit]
    key = "".join(str(b) for b in reversed(clbits))  # clbit 0 right-most
    return Case(qc, counts={key: shots})


def superposition_case(rng: random.Random, name: str) -> Case:
    """A random entangling circuit; its distribution comes from ``Statevector``."""
    n = rng.randint(1, 4)
    qc = QuantumCircuit(n, n, name=name)
    for _ in range(rng.randint(1, 10)):
        move = rng.choice(["h", "ry", "rz", "cx", "rx"])
        q = rng.sample(range(n), min(n, 2))
        if move == "h":
            qc.h(q[0])
        elif move == "cx" and n >= 2:
            qc.cx(q[0], q[1])
        elif move in ("ry", "rz", "rx"):
            getattr(qc, move)(rng.uniform(-math.pi, math.pi), q[0])
    probs = Statevector(qc).probabilities()  # index: qubit 0 least significant
    order = list(range(n))
    rng.shuffle(order)
    for qubit, clbit in enumerate(order):
        qc.measure(qubit, clbit)
    expected: Dict[str, float] = {}
    for index, p in enumerate(probs):
        if p < 1e-15:
            continue
        clbits = [0] * n
        for qubit, clbit in enumerate(order):
            clbits[clbit] = (index >> qubit) & 1
        key = "".join(str(b) for b in reversed(clbits))
        expected[key] = expected.get(key, 0.0) + float(p)
    return Case(qc, probabilities=expected)


def make_cases(index: int, seed: int, shots: int) -> List[Case]:
    """The circuit(s) of job ``index``: reproducible from ``seed``; 1 in 8 has two circuits."""
    rng = random.Random(seed * 1_000_003 + index)
    count = 2 if rng.random() < 0.125 else 1
    cases = []
    for k in range(count):
        name = f"soak-{index}-{k}"
        if rng.random() < 0.75:
            cases.append(basis_state_case(rng, shots, name))
        else:
            cases.append(superposition_case(rng, name))
    return cases


def check_result(result: Any, cases: Sequence[Case], shots: int) -> Optional[str]:
    """None when ``result`` matches the cases exactly, else what is wrong."""
    for k, case in enumerate(cases):
        counts = dict(result.get_counts(k))
        if case.counts is not None and counts != case.counts:
            return f"circuit {k}: counts {counts} != expected {case.counts}"
        if case.probabilities is not None:
            probs = result.get_probabilities(k)
            keys = set(probs) | set(case.probabilities)
            worst = max(abs(probs.get(key, 0.0) - case.probabilities.get(key, 0.0)) for key in keys)
            if worst > PROB_TOLERANCE:
                return f"circuit {k}: probabilities off by {worst:.3g}"
            if sum(counts.values()) != shots or not set(counts) <= set(case.probabilities):
                return f"circuit {k}: counts {counts} do not fit the distribution"
    return None


# ------------------------------------------------------------------------------ the soak
@dataclass
class SoakConfig:
    """Knobs of one soak run (the command line's options)."""

    jobs: int = 300
    fault_rate: float = 0.2
    seed: int = 1
    threads: int = 8
    shots: int = 100
    connect_timeout: float = 1.0
    read_timeout: float = 0.5
    retry_budget: float = 8.0  # RetryPolicy.total_timeout
    reconcile_timeout: float = 5.0
    result_timeout: float = 8.0  # job.result(timeout=...)
    poll: float = 0.5  # job.result(wait=...): longest pause between polls
    wait_bound: Optional[float] = None  # None: derived from the policy (call_bounds)
    time_limit: float = 600.0
    #: ``FaultInjector.add`` kwargs of rules installed before the rate-based ones (so they
    #: fire first): CI uses them to make sure each hazard happens at least once.
    extra_faults: Tuple[Dict[str, Any], ...] = ()

    def policy(self) -> RetryPolicy:
        """The client's retry policy: fast backoff, bounded attempts and time."""
        return RetryPolicy(
            max_attempts=10,
            base_delay=0.05,
            max_delay=1.0,
            total_timeout=self.retry_budget,
            reconcile_delay=0.05,
            reconcile_timeout=self.reconcile_timeout,
        )


def call_bounds(config: SoakConfig) -> Dict[str, float]:
    """The longest each call may take, from the client's documented bounds.

    One request: no attempt starts after ``total_timeout`` and an attempt lasts at most a
    connect plus a read timeout. ``submit``: its POSTs (same budget) plus one reconciliation
    (``reconcile_delay`` + ``reconcile_timeout`` + one attempt). ``result``: waiting
    (``timeout``, checked after each status request) plus one status and one results request.
    """
    policy = config.policy()
    attempt = config.connect_timeout + config.read_timeout
    request = policy.total_timeout + attempt
    submit = request + policy.reconcile_delay + policy.reconcile_timeout + attempt
    result = config.result_timeout + config.poll + 2 * request
    # find_job: a few pages of the job list, each one request.
    return {"submit": submit, "result": result, "find": 8 * request}


@dataclass
class SoakReport:
    """What a soak run measured; :attr:`ok` says whether every requirement holds."""

    jobs: int
    correct: int = 0
    duplicates: int = 0
    lost: int = 0
    longest: Dict[str, float] = field(
        default_factory=lambda: {"submit": 0.0, "result": 0.0, "find": 0.0}
    )
    bounds: Dict[str, float] = field(default_factory=dict)
    caller_retries: Dict[str, int] = field(default_factory=dict)
    failures: List[str] = field(default_factory=list)
    requests: int = 0
    faulted: int = 0
    faults_by_kind: Dict[str, int] = field(default_factory=dict)
    rules: List[Dict[str, Any]] = field(default_factory=list)  # every fault rule, as fired
    server_jobs: int = 0
    elapsed: float = 0.0
    submitted_via: str = ""

    @property
    def ok(self) -> bool:
        """300/300 correct, 0 duplicates, 0 lost, every wait within its bound."""
        within = all(self.longest[k] <= self.bounds[k] for k in self.longest)
        return (
            self.correct == self.jobs
            and self.duplicates == 0
            and self.lost == 0
            and within
            and not self.failures
        )

    def lines(self) -> List[str]:
        """The human-readable report."""
        pct = 100.0 * self.faulted / self.requests if self.requests else 0.0
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.faults_by_kind.items()))
        retries = ", ".join(f"{k} {v}" for k, v in sorted(self.caller_retries.items())) or "none"
        out = [
            f"requests to the API: {self.requests}, faulted: {self.faulted} ({pct:.1f}%)",
            f"  faults by kind: {kinds}",
            f"  caller-level actions (after IonQAPIError / IonQSubmissionUnknownError): {retries}",
            f"  submitted via: {self.submitted_via}",
            f"jobs completed with correct counts: {self.correct}/{self.jobs}",
            f"duplicate jobs created (emulator's count): {self.duplicates}",
            f"lost jobs: {self.lost} (server jobs: {self.server_jobs})",
            "longest wait: "
            + ", ".join(
                f"{k} {self.longest[k]:.2f} s (bound {self.bounds[k]:.2f} s)" for k in self.longest
            ),
            f"total time: {self.elapsed:.1f} s",
        ]
        out += [f"FAILURE: {f}" for f in self.failures[:20]]
        if len(self.failures) > 20:
            out.append(f"... and {len(self.failures) - 20} more failures")
        out.append("RESULT: " + ("PASS" if self.ok else "FAIL"))
        return out


class _Runner:
    """Runs the jobs; shared state is guarded by one lock."""

    def __init__(self, config: SoakConfig, backend: Any, client: IonQClient, direct: bool):
        self.config = config
        self.backend = backend
        self.client = client
        self.direct = direct  # submit through IonQJob with our client (no provider knobs)
        self.lock = threading.Lock()
        self.known_ids: List[str] = []
        self.correct = 0
        self.longest = {"submit": 0.0, "result": 0.0, "find": 0.0}
        self.retries: Dict[str, int] = {}
        self.failures: List[str] = []
        self.stop_at = time.monotonic() + config.time_limit

    def _timed(self, kind: str, call: Any) -> Any:
        start = time.monotonic()
        try:
            return call()
        finally:
            took = time.monotonic() - start
            with self.lock:
                self.longest[kind] = max(self.longest[kind], took)

    def _count(self, key: str) -> None:
        with self.lock:
            self.retries[key] = self.retries.get(key, 0) + 1

    def _with_caller_retries(self, kind: str, call: Any) -> Any:
        for attempt in range(1, CALLER_ATTEMPTS + 1):
            try:
                return self._timed(kind, call)
            except IonQAPIError as err:
                # submit: the client proved no job exists before raising; result: a read.
                self._count(f"{kind} HTTP {err.status_code}")
                if attempt == CALLER_ATTEMPTS:
                    raise
            except IonQSubmissionUnknownError as err:
                # What the message tells a user to do: look for the job, then decide.
                sid = err.submission_id
                found = self._timed("find", functools.partial(self.client.find_job, sid))
                if found is not None:
                    self._count("submit unknown -> found by find_job")
                    return self.backend.retrieve_job(found["id"])
                self._count("submit unknown -> not found, submitted again")
                if attempt == CALLER_ATTEMPTS:
                    raise

    def _submit(self, circuits: Any, sampler_seed: int) -> IonQJob:
        options = {"shots": self.config.shots, "sampler_seed": sampler_seed}
        if not self.direct:
            return self.backend.run(circuits, **options)
        passed = dict(self.backend.options.items())
        passed.update(options)
        job = IonQJob(self.backend, None, self.client, circuit=circuits, passed_args=passed)
        job.submit()
        return job

    def run_one(self, index: int) -> None:
        if time.monotonic() > self.stop_at:
            with self.lock:
                self.failures.append(f"job {index}: not run, the time limit ran out")
            return
        cases = make_cases(index, self.config.seed, self.config.shots)
        circuits: Any = [c.circuit for c in cases] if len(cases) > 1 else cases[0].circuit
        try:
            job = self._with_caller_retries(
                "submit", lambda: self._submit(circuits, self.config.seed + index)
            )
        except IonQError as err:
            with self.lock:
                self.failures.append(f"job {index}: submit failed: {type(err).__name__}: {err}")
            return
        with self.lock:
            self.known_ids.append(str(job.job_id()))
        try:
            result = self._with_caller_retries(
                "result",
                lambda: job.result(timeout=self.config.result_timeout, wait=self.config.poll),
            )
        except IonQError as err:
            with self.lock:
                self.failures.append(f"job {index}: result failed: {type(err).__name__}: {err}")
            return
        problem = check_result(result, cases, self.config.shots)
        with self.lock:
            if problem is None:
                self.correct += 1
            else:
                self.failures.append(f"job {index} ({job.job_id()}): {problem}")


def _provider_takes_client_options() -> bool:
    params = inspect.signature(IonQProvider).parameters
    return "timeout" in params and "retry_policy" in params


def run_soak(config: SoakConfig) -> SoakReport:
    """Run one soak and return its report (nothing is printed)."""
    bounds = call_bounds(config)
    if config.wait_bound is not None:
        bounds = {k: min(v, config.wait_bound) for k, v in bounds.items()}
    report = SoakReport(jobs=config.jobs, bounds=bounds)
    started = time.monotonic()
    timeout = (config.connect_timeout, config.read_timeout)
    with IonQEmulator(seed=config.seed, workers=4) as emu:
        if _provider_takes_client_options():
            provider: Any = IonQProvider(
                token=TOKEN, url=emu.url, timeout=timeout, retry_policy=config.policy()
            )
            client = provider.client
            direct = False
            report.submitted_via = "backend.run (provider built with timeout/retry_policy)"
        else:
            # The provider has no way to pass timeouts or a retry policy yet: build the
            # client ourselves and submit through IonQJob (the public job seam) with it.
            provider = IonQProvider(token=TOKEN, url=emu.url)
            client = IonQClient(TOKEN, emu.url, timeout=timeout, retry_policy=config.policy())
            direct = True
            report.submitted_via = "IonQJob(backend, None, client, circuit).submit()"
        backend = provider.get_backend("ionq_simulator")
        for options in config.extra_faults:
            emu.faults.add(**options)
        install_faults(emu, config.fault_rate, config.read_timeout)
        runner = _Runner(config, backend, client, direct)
        with ThreadPoolExecutor(max_workers=config.threads) as pool:
            list(pool.map(runner.run_one, range(config.jobs)))
        stats = emu.stats()
        emu.faults.clear()
        server_ids = set(emu.job_ids())
        unfinished = [i for i in server_ids if (emu.get_job(i) or {}).get("status") != "completed"]
    known = set(runner.known_ids)
    report.correct = runner.correct
    report.duplicates = int(stats["duplicate_jobs"])
    report.server_jobs = len(server_ids)
    # Lost: created on the server but unknown to the client, or never run/read back.
    report.lost = len(server_ids - known) + (config.jobs - len(known))
    report.longest = dict(runner.longest)
    report.caller_retries = dict(runner.retries)
    report.failures = list(runner.failures)
    if known - server_ids:
        report.failures.append(f"client holds ids the server never created: {known - server_ids}")
    if unfinished:
        report.failures.append(f"{len(unfinished)} server jobs did not complete")
    report.requests, report.faulted, report.faults_by_kind = fault_summary(stats)
    report.rules = list(stats["faults"])
    report.elapsed = time.monotonic() - started
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry: run the soak, print the figures, exit 1 if a requirement fails."""
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=defaults.jobs)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--shots", type=int, default=defaults.shots)
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=defaults.read_timeout,
        help="the client's read timeout (slow faults answer later than this)",
    )
    parser.add_argument("--retry-budget", type=float, default=defaults.retry_budget)
    parser.add_argument(
        "--wait-bound",
        type=float,
        default=None,
        help="longest any one submit/result call may take (default: derived from the policy)",
    )
    parser.add_argument("--time-limit", type=float, default=defaults.time_limit)
    args = parser.parse_args(argv)
    if not 0.0 <= args.fault_rate < 1.0 or args.jobs < 1 or args.threads < 1:
        parser.error("need 0 <= --fault-rate < 1, --jobs >= 1 and --threads >= 1")
    config = SoakConfig(
        jobs=args.jobs,
        fault_rate=args.fault_rate,
        seed=args.seed,
        threads=args.threads,
        shots=args.shots,
        read_timeout=args.read_timeout,
        retry_budget=args.retry_budget,
        wait_bound=args.wait_bound,
        time_limit=args.time_limit,
    )
    print(
        f"soak: {config.jobs} jobs, {config.threads} threads, fault rate {config.fault_rate:.2f}"
        f" on {len(ROUTES)} routes, seed {config.seed}, read timeout {config.read_timeout} s",
        flush=True,
    )
    report = run_soak(config)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
