"""Shared helpers of the emulator server tests (no tests here).

A tiny stand-in simulator keeps these tests about the HTTP layer only (status codes, bodies,
lifecycle, faults), independent of the statevector simulator's numerics, and lets a test
block or fail a simulation on purpose. It follows the interface of
``qiskit_ionq.emulator.simulation.simulator`` exactly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import requests


class JobFailure(Exception):
    """Stand-in for ``simulator.JobFailure``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class CircuitResult:
    """Stand-in for ``simulator.CircuitResult``."""

    name: Optional[str]
    qubits: int
    gate_counts: Dict[str, int]
    histogram: Dict[str, float]
    sharpened: Dict[str, float]


class FakeSimulator:
    """Deterministic stand-in: a circuit of ``x`` gates yields one basis state, probability 1.

    ``settings.fake`` in a job body steers it: ``"crash"`` raises a plain exception,
    ``"fail"`` raises ``JobFailure("SimulationError", ...)`` at run time. Set ``gate`` to a
    ``threading.Event`` to hold every simulation until the event is set.
    """

    JobFailure = JobFailure

    def __init__(self) -> None:
        self.gate: Optional[threading.Event] = None
        self.calls = 0
        self.seeds: List[Optional[int]] = []

    def validate_job(self, body: Dict[str, Any]) -> None:
        program = body.get("input") or {}
        if "circuit" not in program and "circuits" not in program:
            raise JobFailure("PreflightError", "input has neither 'circuit' nor 'circuits'")
        if int(program.get("qubits", 1)) > 29:
            raise JobFailure("NotEnoughQubits", "the simulator has 29 qubits")

    def execute(self, body: Dict[str, Any], *, seed: Optional[int] = None) -> List[CircuitResult]:
        self.calls += 1
        self.seeds.append(seed)
        if self.gate is not None:
            self.gate.wait(30)
        mode = (body.get("settings") or {}).get("fake")
        if mode == "crash":
            raise RuntimeError("simulated crash")
        if mode == "fail":
            raise JobFailure("SimulationError", "simulated failure")
        program = body["input"]
        entries = program.get("circuits") or [{"circuit": program["circuit"]}]
        results = []
        for entry in entries:
            state = 0
            for gate in entry["circuit"]:
                if gate["gate"] == "x":
                    for target in gate.get("targets", []):
                        state ^= 1 << target
            hist = {str(state): 1.0}
            counts = {"1q": len(entry["circuit"]), "2q": 0}
            results.append(CircuitResult(entry.get("name"), program["qubits"], counts, hist, hist))
        return results

    def predicted_execution_time_ms(self, body: Dict[str, Any]) -> int:
        return 7


def job_body(x: tuple = (), qubits: int = 2, **extra: Any) -> Dict[str, Any]:
    """A single-circuit job flipping the qubits in ``x`` (result key ``sum(1 << q)``)."""
    circuit = [{"gate": "x", "targets": [q]} for q in x] or [{"gate": "h", "targets": [0]}]
    body: Dict[str, Any] = {
        "target": "simulator",
        "shots": 100,
        "name": "bell",
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": qubits,
            "circuit": circuit,
        },
        "registers": {"meas_mapped": list(range(qubits))},
        "metadata": {"shots": "100", "sampler_seed": "None"},
    }
    body.update(extra)
    return body


def multi_body(n: int = 3, **extra: Any) -> Dict[str, Any]:
    """A multi-circuit job; circuit ``i`` flips the bits of ``i`` (result key ``str(i)``)."""
    circuits = []
    for i in range(n):
        gates = [{"gate": "x", "targets": [q]} for q in range(3) if i >> q & 1]
        circuits.append(
            {"name": f"c{i}", "circuit": gates, "registers": {"meas_mapped": [i % 3, 0]}}
        )
    body: Dict[str, Any] = {
        "target": "simulator",
        "shots": 10,
        "name": f"{n} circuits",
        "input": {"format": "ionq.circuit.v0", "gateset": "qis", "qubits": 3, "circuits": circuits},
        "metadata": {"shots": "10"},
    }
    body.update(extra)
    return body


def session(key: str = "test-key") -> requests.Session:
    """A session sending ``Authorization: apiKey <key>`` like the real clients."""
    http = requests.Session()
    http.headers["Authorization"] = f"apiKey {key}"
    http.headers["Content-Type"] = "application/json"
    return http


def assert_error(response: requests.Response, status: int) -> Dict[str, Any]:
    """Check the vendor's error body shape (docs/reference/ionq-api.md §7.1) and return it."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "message", "statusCode"}, body
    assert body["statusCode"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    return body


def wait_status(
    http: requests.Session, url: str, statuses: set[str], timeout: float = 5.0
) -> Dict[str, Any]:
    """Poll ``url`` (a job) until its status is in ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        job = http.get(url).json()
        if job["status"] in statuses or time.monotonic() > deadline:
            return job
        time.sleep(0.005)


def create(http: Any, emu: Any, body: Any = None) -> Dict[str, Any]:
    """POST a job (a default one unless ``body``), assert 200 and return the answer."""
    response = http.post(f"{emu.url}/jobs", json=body or job_body())
    assert response.status_code == 200, response.text
    return response.json()
