"""The widest ideal jobs: in-place kernels, complex64 states, chunked histograms, limits.

The real thresholds (2**24 amplitudes in place, complex64 above 26 qubits, 2**26 outcomes per
result) would need gigabytes; tests never build a state above ~20 qubits, so each test lowers
them on the emulator's modules and checks the wide path against the narrow one on small
circuits. The 29-qubit run itself is measured by ``benchmarks/bench_emulator_memory.py``.
"""

from __future__ import annotations

from typing import Any, Dict, List

import numpy as np
import pytest
from test_server_support import session, wait_status

from qiskit_ionq.emulator import IonQEmulator
from qiskit_ionq.emulator.simulation import ideal, simulator
from qiskit_ionq.emulator.simulation import statevector as gates


def body(circuit: List[Dict[str, Any]], qubits: int) -> Dict[str, Any]:
    return {
        "target": "simulator",
        "shots": 100,
        "input": {"format": "ionq.circuit.v0", "qubits": qubits, "circuit": circuit},
    }


def random_circuit(active: List[int], depth: int, seed: int) -> List[Dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out: List[Dict[str, Any]] = []
    for _ in range(depth):
        a, b, c = (int(q) for q in rng.choice(active, 3, replace=False))
        theta = float(rng.uniform(-3, 3))
        out.append(
            [
                {"gate": "h", "targets": [a]},
                {"gate": "ry", "targets": [a], "rotation": theta},
                {"gate": "rz", "targets": [b], "rotation": theta},
                {"gate": "x", "controls": [a], "targets": [b]},
                {"gate": "xx", "targets": [a, c], "rotation": theta},
                {"gate": "x", "controls": [a, b], "targets": [c]},
            ][int(rng.integers(6))]
        )
    return out


def histogram(job: Dict[str, Any]) -> Dict[str, float]:
    (result,) = simulator.execute(job)
    return dict(result.histogram.items())


def force_wide(monkeypatch) -> None:
    """Every state takes the wide path: in place, chunks of 8 amplitudes."""
    monkeypatch.setattr(gates, "IN_PLACE_AMPLITUDES", 1)
    monkeypatch.setattr(gates, "_CHUNK_AMPLITUDES", 8)
    monkeypatch.setattr(ideal, "_CHUNK", 8)


@pytest.fixture
def wide(monkeypatch):
    force_wide(monkeypatch)


@pytest.mark.parametrize("active", [[0, 1, 2, 3, 4, 5, 6], [1, 3, 4, 7, 8]])
def test_wide_path_gives_the_narrow_paths_histogram(active, monkeypatch):
    job = body(random_circuit(active, 80, seed=len(active)), 9)
    narrow = histogram(job)
    force_wide(monkeypatch)
    wide = histogram(job)
    assert list(wide) == list(narrow)  # same outcomes, ascending, at the same bit positions
    np.testing.assert_allclose(list(wide.values()), list(narrow.values()), rtol=0, atol=1e-12)


def test_single_precision_state_above_the_double_precision_width(wide, monkeypatch):
    job = body(random_circuit(list(range(8)), 120, seed=5), 8)
    double = histogram(job)
    monkeypatch.setattr(gates, "DOUBLE_PRECISION_MAX_QUBITS", 4)
    assert gates.state_dtype(8) is np.complex64 and gates.state_dtype(4) is np.complex128
    single = histogram(job)
    assert set(single) <= set(double)  # nothing appears that exact arithmetic lacks
    diff = max(abs(single.get(k, 0.0) - p) for k, p in double.items())
    assert 0 < diff < 1e-5  # really computed in single precision, and close
    assert abs(sum(single.values()) - 1) < 1e-12  # renormalized


def test_a_sparse_result_has_exact_keys_on_the_wide_path(wide, monkeypatch):
    """GHZ on qubits 1..6 of 8: two outcomes, written at their bit positions."""
    monkeypatch.setattr(gates, "DOUBLE_PRECISION_MAX_QUBITS", 2)
    ghz = [{"gate": "h", "targets": [1]}]
    ghz += [{"gate": "x", "controls": [q], "targets": [q + 1]} for q in range(1, 6)]
    result = histogram(body(ghz, 8))
    assert list(result) == ["0", str(0b1111110)]
    assert list(result.values()) == [0.5, 0.5]


def test_more_outcomes_than_a_result_holds_fail_the_job(wide, monkeypatch):
    monkeypatch.setattr(ideal, "MAX_RESULT_ENTRIES", 8)
    uniform = [{"gate": "h", "targets": [q]} for q in range(4)]  # 16 outcomes
    with pytest.raises(simulator.JobFailure) as err:
        simulator.execute(body(uniform, 4))
    assert err.value.code == "SimulationError"
    assert "16 outcomes" in err.value.message and "at most 8" in err.value.message
    assert len(histogram(body(uniform[:3], 4))) == 8  # at the limit: fine


def test_memory_model_per_width():
    """29 qubits fit a 24 GiB machine's default budget (half its memory) with room to spare;
    the model grows with the state and stops growing the result at 2**26 outcomes."""
    need = {m: sum(ideal.ideal_memory(m)) for m in (20, 24, 26, 27, 29)}
    assert need[29] < 6 << 30 and need[29] > 4 << 30  # complex64 state: 4 GiB
    assert need[27] == need[26]  # complex64 from 27 on: twice the amplitudes, same bytes
    assert need[20] < need[24] < need[26] <= need[27] < need[29]
    assert simulator.max_ideal_qubits(12 << 30) == 29
    assert simulator.max_ideal_qubits(1 << 30) < 26
    assert simulator.max_ideal_qubits(need[24]) == 24
    assert simulator.max_ideal_qubits(need[29] - 1) == 28


def test_a_job_over_the_budget_is_refused_at_submission_over_http():
    """The emulator answers 400 to the POST itself: no job exists, nothing waits or bills."""
    wide_job = body([{"gate": "h", "targets": [q]} for q in range(16)], 16)
    with IonQEmulator(max_memory="2M") as emu, session() as http:
        response = http.post(f"{emu.url}/jobs", json=wide_job)
        assert response.status_code == 400
        message = response.json()["message"]
        assert message.startswith("MemoryLimitExceeded:")
        assert "4.5 MiB" in message and "2.0 MiB" in message  # needed, and the limit
        assert f"up to {simulator.max_ideal_qubits(2 << 20)} qubits" in message
        assert "--max-memory" in message and "max_memory=" in message  # how to fix it
        assert http.get(f"{emu.url}/jobs").json()["jobs"] == []
        small = http.post(f"{emu.url}/jobs", json=body(wide_job["input"]["circuit"][:4], 4))
        done = wait_status(http, f"{emu.url}/jobs/{small.json()['id']}", {"completed", "failed"})
        assert done["status"] == "completed"


def test_a_result_too_large_fails_the_job_over_http(monkeypatch):
    monkeypatch.setattr(gates, "IN_PLACE_AMPLITUDES", 1)
    monkeypatch.setattr(ideal, "MAX_RESULT_ENTRIES", 8)
    with IonQEmulator() as emu, session() as http:
        job_id = http.post(
            f"{emu.url}/jobs", json=body([{"gate": "h", "targets": [q]} for q in range(4)], 4)
        ).json()["id"]
        done = wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed", "failed"})
        assert done["status"] == "failed"
        assert done["failure"]["code"] == "SimulationError"
        assert "16 outcomes" in done["failure"]["error"]
