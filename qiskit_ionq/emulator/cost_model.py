"""The emulator's cost model: what a job would cost on IonQ, from its gate counts and shots.

IonQ prices a QPU job by its gates and shots with a per-job minimum, and prices debiased
(error-mitigated) jobs with a higher minimum; simulator jobs are free
(https://docs.ionq.com/guides/job-cost-and-usage). The exact rate card of an organisation is
private, so the emulator uses the stand-in rates below, ALL of them in this one table, and
says so in every estimate it returns (``rate_card.id``).

    cost = max(minimum, shots * (1q_gates * per_1q + 2q_gates * per_2q))

``minimum`` is :data:`EM_MINIMUM_USD` instead of the family's minimum when error mitigation
is on. Costs are in US dollars (unit ``usd``); an emulator started with
``cost_unit="credit"`` reports the same numbers as credits.

The estimate body comes in the two shapes IonQ used in 2026 (see ``qiskit_ionq.cost``):
``"2609"`` (default) or ``"2605"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

__all__ = [
    "EM_MINIMUM_USD",
    "RATE_CARD_ID",
    "RATES",
    "Rates",
    "estimate_body",
    "job_cost_body",
    "price",
    "rates_for",
]


@dataclass(frozen=True)
class Rates:
    """One backend family's prices (USD)."""

    minimum: float
    per_1q_gate_shot: float
    per_2q_gate_shot: float
    shot_ms: float  # predicted device time per shot, for the time estimates


# Stand-in rates, per backend family (the part of the name after "qpu." without "-N").
RATES: Dict[str, Rates] = {
    "simulator": Rates(0.0, 0.0, 0.0, 0.001),
    "harmony": Rates(1.00, 0.000_03, 0.000_3, 0.4),
    "aria": Rates(97.50, 0.000_22, 0.000_975, 1.0),
    "forte": Rates(97.50, 0.000_22, 0.000_975, 1.2),
    "tempo": Rates(97.50, 0.000_22, 0.000_975, 1.0),
}
EM_MINIMUM_USD = 1_000.0
RATE_CARD_ID = "emulator-standin-2026"


def rates_for(backend: str) -> Rates:
    """The rates of ``backend`` (``simulator``, ``qpu.aria-1``, ``qpu.tempo-1``, ...).

    Unknown QPU families cost like Forte (a recent system) rather than nothing.
    """
    if backend == "simulator":
        return RATES["simulator"]
    name = backend[len("qpu.") :] if backend.startswith("qpu.") else backend
    family = next((f for f in RATES if name.startswith(f)), "forte")
    return RATES[family]


def price(
    backend: str, shots: int, one_q: int, two_q: int, error_mitigation: bool = False
) -> float:
    """The cost in USD of a job (formula in the module docstring), rounded to cents."""
    rates = rates_for(backend)
    if rates.minimum == 0.0 and rates.per_2q_gate_shot == 0.0:
        return 0.0
    variable = shots * (one_q * rates.per_1q_gate_shot + two_q * rates.per_2q_gate_shot)
    minimum = EM_MINIMUM_USD if error_mitigation else rates.minimum
    return round(max(minimum, variable), 2)


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def estimate_body(
    query: Mapping[str, Any],
    *,
    shape: str = "2609",
    unit: str = "usd",
    queue_ms: int = 0,
    now: Optional[float] = None,
) -> Dict[str, Any]:
    """The ``GET /jobs/estimate`` answer for ``query`` (already validated numbers).

    Args:
        query: ``backend``, ``type``, ``qubits``, ``shots``, ``1q_gates``, ``2q_gates``,
            ``error_mitigation`` (bool).
        shape: ``"2609"`` (September 2026 names, times in ms) or ``"2605"`` (May 2026 names,
            times in seconds).
        unit: ``usd`` or ``credit``.
        queue_ms: the predicted queue time to report.
        now: clock for ``estimated_at``.
    """
    backend = str(query["backend"])
    shots, one_q, two_q = int(query["shots"]), int(query["1q_gates"]), int(query["2q_gates"])
    em = bool(query.get("error_mitigation"))
    rates = rates_for(backend)
    cost = price(backend, shots, one_q, two_q, em)
    execution_ms = int(round(shots * rates.shot_ms))
    at = _iso(time.time() if now is None else now)
    if shape == "2605":
        return {
            "input_values": dict(query),
            "estimated_at": at,
            "cost_unit": unit,
            "rate_information": {
                "job_cost_minimum": EM_MINIMUM_USD if em else rates.minimum,
                "cost_1q_gate": rates.per_1q_gate_shot,
                "cost_2q_gate": rates.per_2q_gate_shot,
                "organization": "emulator",
            },
            "estimated_cost": cost,
            "estimated_execution_time": execution_ms / 1000.0,
            "current_predicted_queue_time": queue_ms / 1000.0,
        }
    return {
        "estimate_context": {**dict(query), "organization": "emulator", "project": "emulator"},
        "estimated_at": at,
        "estimated_unit": unit,
        "rate_card": {
            "id": RATE_CARD_ID,
            "rates": [
                {
                    "sku": f"{backend}:gates",
                    "unit": "gates",
                    "cost_1q_gate": rates.per_1q_gate_shot,
                    "cost_2q_gate": rates.per_2q_gate_shot,
                    "job_cost_minimum": EM_MINIMUM_USD if em else rates.minimum,
                }
            ],
        },
        "estimated_total_cost": cost,
        "estimated_execution_time": execution_ms,
        "estimated_quantum_compute_time_us": execution_ms * 1000,
        "current_predicted_queue_time": int(queue_ms),
    }


def job_cost_body(
    *, dry_run: bool, estimated: float, actual: Optional[float], unit: str = "usd"
) -> Dict[str, Any]:
    """The ``GET /jobs/{id}/cost`` answer (``cost`` only once the job ran)."""
    body: Dict[str, Any] = {
        "dry_run": bool(dry_run),
        "estimated_cost": {"value": estimated, "unit": unit},
    }
    if actual is not None:
        body["cost"] = {"value": actual, "unit": unit}
    return body
