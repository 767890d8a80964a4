"""Fidelity: random circuits through client + emulator match Qiskit's Statevector to 1e-9.

The CI subset runs on every Qiskit line; the larger run is ``slow`` (once per CI, on the
newest line); ``scripts/fidelity.py --circuits 1000`` is the full run. Generator and reference:
``fidelity_circuits.py`` beside this file.
"""

from __future__ import annotations

import math

import pytest
from fidelity_circuits import (
    NATIVE_KINDS,
    QIS_KINDS,
    TOLERANCE,
    expected_probabilities,
    generate_suite,
    kinds_used,
    max_error,
    run_suite,
)
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

pytestmark = [
    # Noise from Qiskit itself while building/simulating the reference (mcx, PauliEvolution).
    pytest.mark.filterwarnings("ignore::Warning:scipy.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:qiskit.*"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:qiskit.*"),
]

CI_CIRCUITS, CI_SEED = 60, 2024
SLOW_CIRCUITS, SLOW_SEED = 300, 7


def _explain(report) -> str:
    lines = [
        f"circuit {o.case.index} ({o.case.gateset}, {o.case.circuit.num_qubits} qubits): "
        f"error {o.error:.3e} {o.message} kinds={o.case.kinds}"
        for o in report.failures[:10]
    ]
    return f"{len(report.failures)} of {len(report.outcomes)} circuits differ:\n" + "\n".join(lines)


def test_reference_follows_qiskit_key_conventions():
    """The oracle itself: clbit 0 right-most, registers separated, last measurement wins."""
    q = QuantumRegister(3, "q")
    a, b = ClassicalRegister(2, "a"), ClassicalRegister(1, "b")
    qc = QuantumCircuit(q, a, b)
    qc.x(0)
    qc.h(2)
    qc.measure(q[1], b[0])  # overwritten below
    qc.measure(q[0], b[0])
    qc.measure(q[2], a[1])  # a[0] never measured: always 0
    assert expected_probabilities(qc) == pytest.approx({"1 00": 0.5, "1 10": 0.5}, abs=1e-12)


def test_suite_covers_every_gate_kind_and_width():
    cases = generate_suite(CI_CIRCUITS, CI_SEED)
    assert kinds_used(cases, "qis") == {k.name for k in QIS_KINDS}
    assert kinds_used(cases, "native") == {k.name for k in NATIVE_KINDS}
    assert {c.circuit.num_qubits for c in cases} == set(range(1, 13))
    names = {i.operation.name for c in cases for i in c.circuit.data}
    # The Qiskit instruction names behind the kinds (mcx/mcp names vary across versions).
    assert {"ms", "gpi", "gpi2", "zz", "PauliEvolution", "rxx", "csx", "ccx"} <= names


def test_max_error_counts_missing_keys_as_zero():
    assert max_error({"0": 0.5, "1": 0.5}, {"0": 0.5, "1": 0.5}) == 0.0
    assert max_error({"0": 1.0}, {"0": 0.5, "1": 0.5}) == 0.5
    assert max_error({}, {}) == 0.0


def test_random_circuits_match_statevector(provider):
    report = run_suite(provider, generate_suite(CI_CIRCUITS, CI_SEED), batch=20)
    assert not report.failures, _explain(report)
    worst = report.worst
    assert worst is not None and math.isfinite(worst.error) and worst.error <= TOLERANCE


@pytest.mark.slow
def test_random_circuits_match_statevector_large(provider):
    report = run_suite(provider, generate_suite(SLOW_CIRCUITS, SLOW_SEED), batch=20)
    assert not report.failures, _explain(report)
