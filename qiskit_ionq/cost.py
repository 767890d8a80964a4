"""Job cost on IonQ API v0.4: gate counting for estimates, and the cost bodies parsed. Pure.

Two routes tell what a job costs (https://docs.ionq.com/api-reference/v0.4/jobs/get-job-cost
and .../get-job-estimate):

* ``GET /jobs/{id}/cost`` -> ``{"dry_run", "estimated_cost": {"value", "unit"}, "cost"?:
  {"value", "unit"}}``; ``unit`` is ``usd`` or ``credit`` (credit-billed organisations).
  :func:`parse_job_cost` reads it into a :class:`JobCost`.
* ``GET /jobs/estimate?backend=&type=&qubits=&shots=&1q_gates=&2q_gates=&error_mitigation=``
  prices a job before anything is created. Its answer changed shape during 2026; both parse
  (:func:`parse_estimate`):

  - May 2026: ``estimated_cost`` (number), ``cost_unit``, ``estimated_execution_time`` and
    ``current_predicted_queue_time`` (we read these two as seconds, as the SDK of that time
    did; IonQ does not state the unit);
  - September 2026: ``estimated_total_cost``, ``estimated_unit``, ``estimated_execution_time``
    and ``current_predicted_queue_time`` in milliseconds (documented).

The estimate needs the job's one- and two-qubit gate counts *as sent*: :func:`count_gates`
counts a serialized gate list (a gate touching one qubit is a 1q gate; every gate touching
two or more qubits, controls included, counts as one 2q gate: IonQ's compiler may turn a
multi-controlled gate into several, which only IonQ can know) and
:func:`count_circuit_gates` counts an OpenQASM 3 job's circuit the same way (measurements,
resets and barriers are not gates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Union

from qiskit.circuit import QuantumCircuit

from .exceptions import IonQCostLimitError, IonQJobError

__all__ = [
    "Cost",
    "CostEstimate",
    "GateCounts",
    "JobCost",
    "check_max_cost",
    "count_circuit_gates",
    "count_gates",
    "estimate_query",
    "parse_estimate",
    "parse_job_cost",
]

_NOT_GATES = frozenset({"measure", "reset", "barrier", "delay", "id", "i"})


@dataclass(frozen=True)
class Cost:
    """An amount of money or credits.

    Attributes:
        value: the amount.
        unit: ``"usd"`` or ``"credit"`` (as the API says it).
    """

    value: float
    unit: str

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


@dataclass(frozen=True)
class JobCost:
    """What ``GET /jobs/{id}/cost`` says about one job.

    Attributes:
        dry_run: the job was a dry run (it never executed, so it has no actual cost).
        estimated: the estimate made when the job was compiled.
        actual: the billed cost, once the job ran (``None`` before, and for dry runs).
    """

    dry_run: bool
    estimated: Optional[Cost]
    actual: Optional[Cost]


@dataclass(frozen=True)
class CostEstimate:
    """What ``GET /jobs/estimate`` says about a job not yet submitted.

    Attributes:
        cost: the estimated total.
        execution_time_ms: estimated execution time, when the API gave one.
        queue_time_ms: current predicted queue time, when the API gave one.
        raw: the response body as received.
    """

    cost: Cost
    execution_time_ms: Optional[float] = None
    queue_time_ms: Optional[float] = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class GateCounts:
    """One- and two-qubit gate counts and width of the circuits of one job."""

    one_qubit: int = 0
    two_qubit: int = 0
    qubits: int = 0

    def __add__(self, other: GateCounts) -> GateCounts:
        return GateCounts(
            self.one_qubit + other.one_qubit,
            self.two_qubit + other.two_qubit,
            max(self.qubits, other.qubits),
        )


def _width(gate: Mapping[str, Any]) -> int:
    n = 0
    for one, many in (("target", "targets"), ("control", "controls")):
        if gate.get(many) is not None:
            n += len(gate[many])
        elif gate.get(one) is not None:
            n += 1
    return n


def count_gates(gates: Union[str, Sequence[Mapping[str, Any]]], qubits: int = 0) -> GateCounts:
    """Count the gates of one serialized gate list (JSON text or dicts), as sent."""
    items = json.loads(gates) if isinstance(gates, str) else gates
    one = two = 0
    for gate in items:
        if _width(gate) >= 2:
            two += 1
        else:
            one += 1
    return GateCounts(one, two, int(qubits))


def count_circuit_gates(circuit: QuantumCircuit) -> GateCounts:
    """Count a circuit's gates (for OpenQASM 3 jobs, which carry no gate list)."""
    one = two = 0
    for instruction in circuit.data:
        name = instruction.operation.name
        if name in _NOT_GATES:
            continue
        blocks = getattr(instruction.operation, "blocks", None)
        if blocks:  # control flow: count every branch (an upper bound, as a quote should be)
            for block in blocks:
                inner = count_circuit_gates(block)
                one, two = one + inner.one_qubit, two + inner.two_qubit
        elif len(instruction.qubits) >= 2:
            two += 1
        else:
            one += 1
    return GateCounts(one, two, circuit.num_qubits)


def estimate_query(
    *,
    backend: str,
    job_type: str,
    counts: GateCounts,
    shots: int,
    error_mitigation: bool = False,
) -> Dict[str, Any]:
    """The query of ``GET /jobs/estimate`` (booleans lower-case, as the API documents)."""
    return {
        "backend": backend,
        "type": job_type,
        "qubits": counts.qubits,
        "shots": int(shots),
        "1q_gates": counts.one_qubit,
        "2q_gates": counts.two_qubit,
        "error_mitigation": "true" if error_mitigation else "false",
    }


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _cost(value: Any, default_unit: str = "usd") -> Optional[Cost]:
    if isinstance(value, Mapping):
        amount = _number(value.get("value"))
        unit = str(value.get("unit") or default_unit)
    else:
        amount, unit = _number(value), default_unit
    return None if amount is None else Cost(amount, unit)


def parse_job_cost(body: Mapping[str, Any]) -> JobCost:
    """Read a ``GET /jobs/{id}/cost`` body.

    Raises:
        IonQJobError: the body holds no cost at all.
    """
    if not isinstance(body, Mapping):
        raise IonQJobError(f"unexpected job cost body: {body!r}")
    estimated = _cost(body.get("estimated_cost"))
    actual = _cost(body.get("cost"))
    if estimated is None and actual is None:
        raise IonQJobError(f"the job cost body holds no cost: {dict(body)!r}")
    return JobCost(bool(body.get("dry_run")), estimated, actual)


def parse_estimate(body: Mapping[str, Any]) -> CostEstimate:
    """Read a ``GET /jobs/estimate`` body of either 2026 shape (module docstring).

    Raises:
        IonQJobError: the body holds no estimated cost.
    """
    if not isinstance(body, Mapping):
        raise IonQJobError(f"unexpected estimate body: {body!r}")
    if "estimated_total_cost" in body:  # September 2026: times in ms
        cost = _cost(body.get("estimated_total_cost"), str(body.get("estimated_unit") or "usd"))
        scale = 1.0
    else:  # May 2026: times read as seconds
        cost = _cost(body.get("estimated_cost"), str(body.get("cost_unit") or "usd"))
        scale = 1000.0
    if cost is None:
        raise IonQJobError(f"the estimate body holds no estimated cost: {dict(body)!r}")
    execution = _number(body.get("estimated_execution_time"))
    queue = _number(body.get("current_predicted_queue_time"))
    return CostEstimate(
        cost=cost,
        execution_time_ms=None if execution is None else execution * scale,
        queue_time_ms=None if queue is None else queue * scale,
        raw=dict(body),
    )


def check_max_cost(estimates: Iterable[CostEstimate], max_cost: Any) -> None:
    """Refuse a run whose estimate is over ``max_cost`` (before anything is submitted).

    Args:
        estimates: the estimates of the job(s) about to be submitted (summed).
        max_cost: a number (in the estimate's unit) or a :class:`Cost` (units must match).

    Raises:
        IonQCostLimitError: the total is over the limit, or the units differ.
        ValueError: ``max_cost`` is not a non-negative number or a Cost.
    """
    if isinstance(max_cost, Cost):
        limit, unit = max_cost.value, max_cost.unit
    else:
        number = _number(max_cost)
        if number is None or number < 0:
            raise ValueError(f"max_cost must be a non-negative number or a Cost, not {max_cost!r}")
        limit, unit = number, None
    items = list(estimates)
    units = {e.cost.unit for e in items}
    if unit is not None and units - {unit}:
        raise IonQCostLimitError(
            f"max_cost is in {unit!r} but the estimate is in {', '.join(sorted(units))}; "
            "give the limit in the unit your organisation is billed in."
        )
    total = sum(e.cost.value for e in items)
    if total > limit:
        shown = unit or (next(iter(units)) if len(units) == 1 else "")
        raise IonQCostLimitError(
            f"The estimated cost {total:g} {shown} is over max_cost={limit:g}; nothing was "
            "submitted. Raise max_cost, or use fewer shots or a smaller circuit.",
            estimate=total,
            limit=limit,
        )
