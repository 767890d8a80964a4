"""Cost parsing (both 2026 estimate shapes), gate counting, max_cost, v0.4 mitigation options."""

from __future__ import annotations

import pytest
from qiskit import QuantumCircuit

from qiskit_ionq.constants import AggregationType, ErrorMitigation
from qiskit_ionq.cost import (
    Cost,
    CostEstimate,
    GateCounts,
    check_max_cost,
    count_circuit_gates,
    count_gates,
    estimate_query,
    parse_estimate,
    parse_job_cost,
)
from qiskit_ionq.exceptions import IonQCostLimitError, IonQInvalidOptionError, IonQJobError
from qiskit_ionq.mitigation import error_mitigation_settings, resolve_aggregation
from qiskit_ionq.serializer import qiskit_circ_to_ionq_circ

ESTIMATE_2605 = {
    "input_values": {"backend": "qpu.aria-1"},
    "estimated_at": "2026-05-01T00:00:00Z",
    "cost_unit": "usd",
    "rate_information": {"job_cost_minimum": 1, "cost_1q_gate": 0.1, "cost_2q_gate": 1},
    "estimated_cost": 97.5,
    "estimated_execution_time": 2.5,
    "current_predicted_queue_time": 60,
}
ESTIMATE_2609 = {
    "estimate_context": {"organization": "o", "project": "p"},
    "estimated_at": "2026-09-01T00:00:00Z",
    "estimated_unit": "credit",
    "rate_card": {"id": "r", "rates": []},
    "estimated_total_cost": 12,
    "estimated_execution_time": 2500,
    "estimated_quantum_compute_time_us": 1200,
    "current_predicted_queue_time": 60000,
}


def test_both_estimate_shapes_parse_to_the_same_meaning():
    old, new = parse_estimate(ESTIMATE_2605), parse_estimate(ESTIMATE_2609)
    assert old.cost == Cost(97.5, "usd") and new.cost == Cost(12.0, "credit")
    assert old.execution_time_ms == new.execution_time_ms == 2500.0
    assert old.queue_time_ms == new.queue_time_ms == 60000.0


def test_estimate_without_a_cost_is_an_error():
    with pytest.raises(IonQJobError, match="no estimated cost"):
        parse_estimate({"estimated_at": "x"})


def test_job_cost_with_and_without_actual():
    dry = parse_job_cost({"dry_run": True, "estimated_cost": {"value": 3, "unit": "usd"}})
    assert dry.dry_run and dry.estimated == Cost(3.0, "usd") and dry.actual is None
    ran = parse_job_cost(
        {"dry_run": False, "estimated_cost": {"value": 3, "unit": "credit"},
         "cost": {"value": 2.5, "unit": "credit"}}
    )  # fmt: skip
    assert ran.actual == Cost(2.5, "credit") and str(ran.actual) == "2.5 credit"
    with pytest.raises(IonQJobError):
        parse_job_cost({"dry_run": False})


def test_gate_counts_of_the_serialized_circuit():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.ccx(0, 1, 2)
    qc.rz(0.1, 2)
    qc.swap(0, 2)
    gates, _, _ = qiskit_circ_to_ionq_circ(qc)
    assert count_gates(gates, 3) == GateCounts(2, 3, 3)
    assert count_circuit_gates(qc) == GateCounts(2, 3, 3)
    assert GateCounts(1, 2, 3) + GateCounts(4, 5, 2) == GateCounts(5, 7, 3)


def test_measure_reset_barrier_are_not_gates():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.reset(0)
    qc.barrier()
    qc.cx(0, 1)
    assert count_circuit_gates(qc) == GateCounts(1, 1, 2)


def test_estimate_query_uses_the_documented_names():
    query = estimate_query(
        backend="qpu.forte-1", job_type="ionq.circuit.v1", counts=GateCounts(4, 2, 3), shots=100
    )
    assert query == {
        "backend": "qpu.forte-1", "type": "ionq.circuit.v1", "qubits": 3, "shots": 100,
        "1q_gates": 4, "2q_gates": 2, "error_mitigation": "false",
    }  # fmt: skip


def test_max_cost():
    estimate = CostEstimate(Cost(10.0, "usd"))
    check_max_cost([estimate], 10)
    with pytest.raises(IonQCostLimitError, match="over max_cost=15") as info:
        check_max_cost([estimate, estimate], 15)
    assert info.value.estimate == 20 and info.value.limit == 15
    with pytest.raises(IonQCostLimitError, match="unit"):
        check_max_cost([estimate], Cost(100, "credit"))
    with pytest.raises(ValueError):
        check_max_cost([estimate], -1)


def test_mitigation_settings_v04_form_and_legacy_translation():
    assert error_mitigation_settings() is None
    assert error_mitigation_settings(debiasing=True, shots=1000) == {"debiasing": True}
    assert error_mitigation_settings(error_mitigation={"debias": False}) == {"debiasing": False}
    assert error_mitigation_settings(error_mitigation=ErrorMitigation.DEBIASING, shots=500) == {
        "debiasing": True
    }
    assert error_mitigation_settings(
        symmetry_verification=True, supported=["debiasing", "symmetry-verification"]
    ) == {"symmetry_verification": True}


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"debiasing": "yes"}, "True, False or None"),
        ({"debiasing": True, "error_mitigation": {"debias": False}}, "contradicts"),
        ({"debiasing": True, "shots": 100}, "at least 500 shots"),
        ({"symmetry_verification": True, "supported": ["debiasing"]}, "does not support"),
        ({"error_mitigation": {"sharpen": True}}, "ErrorMitigation"),
    ],
)
def test_mitigation_settings_errors(kwargs, match):
    with pytest.raises(IonQInvalidOptionError, match=match):
        error_mitigation_settings(**kwargs)


def test_aggregation_resolution():
    assert resolve_aggregation() is None
    assert resolve_aggregation(sharpen=True) == "voting"
    assert resolve_aggregation(sharpen=False) == "average"
    assert resolve_aggregation(sharpen=AggregationType.PLURALITY) == "voting"
    assert resolve_aggregation("DNL") == "dnl"
    assert resolve_aggregation("majority", sharpen=None) == "majority"
    assert resolve_aggregation(AggregationType.AVERAGE) == "average"
    with pytest.raises(IonQInvalidOptionError, match="average, voting, dnl, majority"):
        resolve_aggregation("median")
    with pytest.raises(IonQInvalidOptionError, match="contradicts"):
        resolve_aggregation("average", sharpen=True)
