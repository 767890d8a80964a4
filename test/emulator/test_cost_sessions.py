"""Emulator cost model (rates in one table, both estimate shapes) and session rules."""

from __future__ import annotations

import pytest

from qiskit_ionq.cost import parse_estimate
from qiskit_ionq.emulator.cost_model import (
    EM_MINIMUM_USD,
    RATES,
    estimate_body,
    job_cost_body,
    price,
)
from qiskit_ionq.emulator.sessions import SessionRefusal, SessionStore

QUERY = {
    "backend": "qpu.forte-1", "type": "ionq.circuit.v1", "qubits": 5, "shots": 100_000,
    "1q_gates": 10, "2q_gates": 20, "error_mitigation": False,
}  # fmt: skip


def test_price_formula_minimum_and_free_simulator():
    forte = RATES["forte"]
    variable = 100_000 * (10 * forte.per_1q_gate_shot + 20 * forte.per_2q_gate_shot)
    assert price("qpu.forte-1", 100_000, 10, 20) == round(max(forte.minimum, variable), 2)
    assert price("qpu.forte-1", 10, 1, 1) == forte.minimum
    assert price("qpu.forte-1", 10, 1, 1, error_mitigation=True) == EM_MINIMUM_USD
    assert price("simulator", 10**6, 100, 100) == 0.0
    assert price("qpu.tempo-1", 10, 1, 1) == RATES["tempo"].minimum


@pytest.mark.parametrize("shape", ["2605", "2609"])
def test_estimate_shapes_agree_through_the_client_parser(shape):
    parsed = parse_estimate(estimate_body(QUERY, shape=shape, queue_ms=1500, now=0))
    assert parsed.cost.value == price("qpu.forte-1", 100_000, 10, 20)
    assert parsed.queue_time_ms == 1500
    assert parsed.execution_time_ms == pytest.approx(100_000 * RATES["forte"].shot_ms)


def test_job_cost_body():
    assert job_cost_body(dry_run=True, estimated=3.0, actual=None) == {
        "dry_run": True, "estimated_cost": {"value": 3.0, "unit": "usd"},
    }  # fmt: skip
    assert job_cost_body(dry_run=False, estimated=3.0, actual=2.0, unit="credit")["cost"] == {
        "value": 2.0, "unit": "credit",
    }  # fmt: skip


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _store(clock=None):
    return SessionStore(lambda: ["qpu.forte-1", "qpu.aria-1"], clock or _Clock())


def test_session_fields_and_lifecycle():
    store = _store()
    session = store.create({"backend": "qpu.forte-1", "settings": {"job_count_limit": 2}})
    for key in ("id", "created_at", "organization_id", "backend", "project_id", "creator_id",
                "started_at", "ended_at", "ender_id", "settings", "active", "status"):  # fmt: skip
        assert key in session
    assert session["status"] == "created" and session["active"] is True
    store.admit(session["id"], "qpu.forte-1", 1.0)
    store.record(session["id"], "job-1", 1.0)
    assert store.get(session["id"])["status"] == "started"
    store.record(session["id"], "job-2", 1.0)  # the limit is reached: it ends itself
    assert store.get(session["id"])["status"] == "ended"
    with pytest.raises(SessionRefusal, match="has ended"):
        store.admit(session["id"], "qpu.forte-1", 1.0)
    assert store.job_ids(session["id"]) == ["job-1", "job-2"]


def test_session_cost_and_backend_limits():
    store = _store()
    sid = store.create(
        {"backend": "qpu.aria-1", "settings": {"cost_limit": {"unit": "usd", "value": 150}}}
    )["id"]
    store.admit(sid, "qpu.aria-1", 100.0)
    store.record(sid, "a", 100.0)
    with pytest.raises(SessionRefusal, match="cost_limit"):
        store.admit(sid, "qpu.aria-1", 97.5)
    with pytest.raises(SessionRefusal, match="runs on 'qpu.aria-1'"):
        store.admit(sid, "qpu.forte-1", 1.0)


def test_session_duration_end_and_listing():
    clock = _Clock()
    store = _store(clock)
    sid = store.create({"backend": "qpu.aria-1", "settings": {"duration_limit_min": 1}})["id"]
    other = store.create({"backend": "qpu.aria-1"})["id"]
    assert {s["id"] for s in store.list(active=True)["sessions"]} == {sid, other}
    clock.now += 61
    assert store.get(sid)["status"] == "ended"
    assert store.end(other)["ender_id"] == "emulator"
    assert store.list(active=True)["sessions"] == []
    assert store.end("nope") is None and store.get("nope") is None


@pytest.mark.parametrize(
    "body",
    [
        {"backend": "simulator"},
        {"backend": "qpu.aria-1", "settings": {"job_count_limit": 0}},
        {"backend": "qpu.aria-1", "settings": {"cost_limit": {"value": -1}}},
        [],
    ],
)
def test_bad_session_requests_are_refused(body):
    with pytest.raises(SessionRefusal):
        _store().create(body)
