"""The soak of ``benchmarks/soak.py``, reduced for CI: 40 jobs, the same fault mix.

About 20% of the requests of every route are faulted (429 with Retry-After, 500, 502 HTML,
503, 504, 520-529, 409 on GET, resets, answers slower than the read timeout, store-then-fail
and store-then-reset on POST); on top of that, one-shot rules make sure each hazard that
can duplicate or lose a job happens at least once in this short run. Required: every job
correct, no duplicate (the emulator's count), none lost, every call within its bound.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

SOAK_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.fixture(scope="module")
def soak():
    spec = importlib.util.spec_from_file_location("qiskit_ionq_soak_benchmark", SOAK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


READ_TIMEOUT = 0.4
SLOW = READ_TIMEOUT + 0.4

# Each fires on the first matching requests (before any rate-based rule is consulted).
ONE_SHOT_FAULTS = (
    {"route": "POST /jobs", "kind": "store_then_fail", "status": 502, "times": 2},
    {"route": "POST /jobs", "kind": "store_then_fail", "status": 500, "times": 1, "after": 3},
    {"route": "POST /jobs", "kind": "store_then_reset", "times": 1, "after": 5},
    {"route": "POST /jobs", "kind": "slow", "delay": SLOW, "times": 1, "after": 7},
    {"route": "POST /jobs", "kind": "reset", "times": 1, "after": 9},
    {"route": "POST /jobs", "kind": "status", "status": 503, "times": 1, "after": 11},
    {"route": "POST /jobs", "kind": "status", "status": 429, "retry_after": 1, "after": 13},
    # The reconciliation's own listing fails once (a 500, then a timeout).
    {"route": "GET /jobs", "kind": "status", "status": 500, "times": 1},
    {"route": "GET /jobs", "kind": "slow", "delay": SLOW, "times": 1, "after": 1},
    {"route": "GET /jobs/{id}", "kind": "slow", "delay": SLOW, "times": 1},
    {"route": "GET /jobs/{id}", "kind": "status", "status": 409, "times": 1, "after": 2},
    {"route": "GET /jobs/*/results*", "kind": "reset", "times": 1},
    {"route": "GET /jobs/*/results*", "kind": "status", "status": 524, "times": 1},
)


def test_reduced_soak_has_no_duplicate_lost_or_wrong_job(soak):
    config = soak.SoakConfig(
        jobs=40,
        fault_rate=0.2,
        seed=20240611,
        threads=8,
        read_timeout=READ_TIMEOUT,
        retry_budget=6.0,
        reconcile_timeout=4.0,
        result_timeout=6.0,
        poll=0.3,
        time_limit=60.0,
        extra_faults=ONE_SHOT_FAULTS,
    )
    report = soak.run_soak(config)
    text = "\n".join(report.lines())
    assert report.correct == 40, text
    assert report.duplicates == 0, text
    assert report.lost == 0 and report.server_jobs == 40, text
    assert not report.failures, text
    for kind, longest in report.longest.items():
        assert longest <= report.bounds[kind], text
    assert report.ok, text

    # The faults really happened: every one-shot rule fired, and the rate-based ones hit
    # roughly the configured share of the requests.
    one_shot = report.rules[: len(ONE_SHOT_FAULTS)]
    for rule, wanted in zip(one_shot, ONE_SHOT_FAULTS):
        assert rule["fired"] == wanted.get("times", 1), (rule, text)
    rate_based = report.rules[len(ONE_SHOT_FAULTS) :]
    fired = sum(rule["fired"] for rule in rate_based)
    assert 0.08 * report.requests <= fired <= 0.4 * report.requests, text
    assert len({(r["kind"], r["status"]) for r in rate_based if r["fired"]}) >= 5, text


def test_the_fault_mix_covers_every_route_and_kind(soak):
    kinds = {}
    for route in soak.ROUTES:
        mix = soak.fault_mix(route, READ_TIMEOUT)
        kinds[route] = {(o["kind"], o.get("status")) for o, _ in mix}
        statuses = {s for k, s in kinds[route] if k == "status"}
        assert {429, 500, 502, 503, 504, *range(520, 530)} <= statuses
        assert ("reset", None) in kinds[route] and ("slow", None) in kinds[route]
        assert all(o["delay"] > READ_TIMEOUT for o, _ in mix if o["kind"] == "slow")
        assert (409 in statuses) == route.startswith("GET ")
    assert ("store_then_reset", None) in kinds["POST /jobs"]
    assert any(k == "store_then_fail" for k, _ in kinds["POST /jobs"])


def test_the_rates_add_up_to_the_fault_rate(soak):
    from qiskit_ionq.emulator import IonQEmulator

    emu = IonQEmulator()  # not started: only its fault injector is used
    soak.install_faults(emu, 0.2, READ_TIMEOUT)
    for route in soak.ROUTES:
        method, path = route.split(" ")
        survive = 1.0
        for rule in emu.faults.rules:
            if rule.matches(method, path, path):
                survive *= 1.0 - rule.rate
        assert 1.0 - survive == pytest.approx(0.2)


def test_the_checker_is_not_vacuous(soak):
    rng = random.Random(5)
    case = soak.basis_state_case(rng, 100, "c")
    (key,) = case.counts
    wrong = key[:-1] + ("0" if key[-1] == "1" else "1")

    class FakeResult:
        def __init__(self, counts, probs=None):
            self.counts, self.probs = counts, probs

        def get_counts(self, index):
            return self.counts

        def get_probabilities(self, index):
            return self.probs

    assert soak.check_result(FakeResult({key: 100}), [case], 100) is None
    assert soak.check_result(FakeResult({wrong: 100}), [case], 100) is not None
    assert soak.check_result(FakeResult({key: 99}), [case], 100) is not None
    sup = soak.superposition_case(random.Random(8), "s")
    good = dict(sup.probabilities)
    counts = {next(iter(good)): 100}
    assert soak.check_result(FakeResult(counts, good), [sup], 100) is None
    skewed = {k: v * (1 + 1e-6) for k, v in good.items()}
    assert soak.check_result(FakeResult(counts, skewed), [sup], 100) is not None


def test_expected_basis_states_match_statevector(soak):
    from qiskit.quantum_info import Statevector

    rng = random.Random(11)
    for index in range(30):
        case = soak.basis_state_case(rng, 10, f"c{index}")
        (key,) = case.counts
        circuit = case.circuit.remove_final_measurements(inplace=False)
        probs = Statevector(circuit).probabilities_dict()
        # The measurement permutes qubits into clbits: compare through it.
        order = {}
        for inst in case.circuit.data:
            if inst.operation.name == "measure":
                q = case.circuit.find_bit(inst.qubits[0]).index
                c = case.circuit.find_bit(inst.clbits[0]).index
                order[q] = c
        (state,) = [s for s, p in probs.items() if p > 1 - 1e-9]
        n = circuit.num_qubits
        clbits = ["0"] * n
        for q, c in order.items():
            clbits[n - 1 - c] = state[n - 1 - q]
        assert "".join(clbits) == key
