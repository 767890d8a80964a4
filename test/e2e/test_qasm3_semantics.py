"""Semantic test of OpenQASM 3 jobs: dynamic circuits give the right per-register counts.

For seeded random circuits with mid-circuit measurements, resets and qubit reuse (and a set
with feed-forward), the chain our client and the emulator run for an ``ionq.qasm3.v1`` job

    circuit -> circuit_to_qasm3 (client) -> parse_program + run_program (emulator)
            -> shots.json.v2 payload (as JSON text) -> parse_shots + build_shot_experiment (client)

must reproduce the exact outcome distribution computed independently by
``qasm3_circuits.exact_distribution`` (Qiskit's Statevector, branch by branch).

Statistical test: Pearson chi-square goodness of fit per circuit (bins with expected count
< 5 pooled; an impossible outcome fails at once), 1,000 shots, each circuit must reach
p >= 1e-4. With 250 circuits a correct implementation fails this at most with probability
250 x 1e-4 = 2.5% for a random seed; the seeds are fixed, so the run is deterministic. The
power check below shows the same test rejects a plausibly wrong model.
"""

from __future__ import annotations

import json

import pytest
from qasm3_circuits import chi_square_pvalue, exact_distribution, generate

from qiskit_ionq.emulator.simulation.qasm3_exec import parse_program, run_program
from qiskit_ionq.qasm3_input import circuit_requires_qasm3, circuit_to_qasm3, program_clbit_labels
from qiskit_ionq.serializer import build_header
from qiskit_ionq.shot_results import build_shot_experiment, parse_shots, register_sources

SHOTS = 1000
P_MIN = 1e-4
PLAIN_CIRCUITS, PLAIN_SEED = 200, 11
FF_CIRCUITS, FF_SEED = 50, 12

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:qiskit.*")


def _observed(circuit, seed):
    program = parse_program(circuit_to_qasm3(circuit))
    record = run_program(program, SHOTS, seed=seed, feed_forward=True)
    payload = json.loads(json.dumps(record.shots_v2()))  # exactly what travels
    header = build_header(circuit)
    data, report = build_shot_experiment(
        parse_shots(payload),
        header=header,
        sources=register_sources(program_clbit_labels(header)),
    )
    assert report.leaked_shots == 0
    assert sum(data.counts.values()) == SHOTS
    return data.int_counts


@pytest.mark.parametrize(
    "count,seed,feed_forward",
    [(PLAIN_CIRCUITS, PLAIN_SEED, False), (FF_CIRCUITS, FF_SEED, True)],
    ids=["mid-circuit-measure-reset", "feed-forward"],
)
def test_random_dynamic_circuits_match_the_exact_distribution(count, seed, feed_forward):
    circuits = generate(count, seed, feed_forward)
    assert sum(circuit_requires_qasm3(c) for c in circuits) >= 0.8 * count
    failures = []
    for i, circuit in enumerate(circuits):
        p = chi_square_pvalue(_observed(circuit, seed * 1000 + i), exact_distribution(circuit))
        if p < P_MIN:
            failures.append((circuit.name, p))
    assert not failures, f"{len(failures)} of {count} circuits off: {failures[:5]}"


def test_the_test_rejects_a_wrong_model():
    """Power check: ignoring resets (a plausible executor bug) is caught on many circuits."""
    circuits = [c for c in generate(60, PLAIN_SEED) if c.count_ops().get("reset")]
    rejected = 0
    for i, circuit in enumerate(circuits):
        wrong = circuit.copy_empty_like()
        for instruction in circuit.data:
            if instruction.operation.name != "reset":
                wrong.append(instruction)
        p = chi_square_pvalue(_observed(circuit, 77 + i), exact_distribution(wrong))
        rejected += p < P_MIN
    assert len(circuits) >= 15
    assert rejected >= 5
