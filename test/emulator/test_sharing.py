"""Sharing the machine: memory budget, abortable simulations, a lane for small jobs.

Small on purpose: budgets are set to a few MiB so that refusal paths run with tiny circuits.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional

import pytest
from test_server_support import FakeSimulator, create, job_body, session, wait_status

from qiskit_ionq.emulator import IonQEmulator, cli
from qiskit_ionq.emulator.budget import (
    Abort,
    Aborted,
    JobQueue,
    MemoryBudget,
    parse_bytes,
)
from qiskit_ionq.emulator.simulation import simulator


def h_body(qubits: int, gates_per_qubit: int = 1) -> Dict[str, Any]:
    circuit = [{"gate": "h", "target": q} for _ in range(gates_per_qubit) for q in range(qubits)]
    return {
        "target": "simulator",
        "shots": 100,
        "input": {
            "format": "ionq.circuit.v0",
            "gateset": "qis",
            "qubits": qubits,
            "circuit": circuit,
        },
    }


class StoppableSimulator(FakeSimulator):
    """A fake whose jobs marked ``settings.fake = "spin"`` run until stopped; ``"big"`` jobs
    are estimated large and wait on :attr:`big_gate`."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped: List[str] = []
        self.big_gate = threading.Event()
        self.running_big = 0

    def resource_estimate(self, body: Dict[str, Any]) -> tuple:
        mode = (body.get("settings") or {}).get("fake")
        return (1 << 40, 1 << 40) if mode == "big" else (1000, 10)

    def execute(self, body: Dict[str, Any], *, seed: Optional[int] = None, stop=None) -> list:
        mode = (body.get("settings") or {}).get("fake")
        if mode == "spin":
            try:
                for _ in range(3000):  # 30 s if nothing stops it
                    stop()
                    time.sleep(0.01)
            except BaseException as exc:
                self.stopped.append(type(exc).__name__)
                raise
        if mode == "big":
            self.running_big += 1
            try:
                self.big_gate.wait(30)
            finally:
                self.running_big -= 1
        return super().execute(body, seed=seed)


# ----------------------------------------------------------------------------- units
def test_parse_bytes():
    assert parse_bytes("8G") == 8 << 30 and parse_bytes("512MiB") == 512 << 20
    assert parse_bytes("1.5k") == 1536 and parse_bytes("1000") == 1000
    for bad in ("", "-1G", "0", "8Q", "inf", "nan"):
        with pytest.raises(ValueError):
            parse_bytes(bad)


def test_memory_budget_waits_and_gives_up_on_abort():
    budget = MemoryBudget(100)
    assert budget.reserve(70)
    abort = Abort()
    got: List[bool] = []
    waiter = threading.Thread(target=lambda: got.append(budget.reserve(50, abort)))
    waiter.start()
    time.sleep(0.05)
    assert not got  # waiting: 70 + 50 > 100
    budget.release(70)
    waiter.join(5)
    assert got == [True] and budget.used == 50 and budget.peak == 70
    stopped = Abort()
    waiter = threading.Thread(target=lambda: got.append(budget.reserve(60, stopped)))
    waiter.start()  # 50 + 60 > 100: waits
    stopped.set()  # e.g. the job was canceled while it waited
    waiter.join(5)
    assert got == [True, False] and budget.used == 50


def test_abort_check_raises_on_stop_and_deadline():
    abort = Abort(deadline=time.monotonic() + 60)
    abort.check()
    abort.set()
    with pytest.raises(Aborted):
        abort.check()
    late = Abort(deadline=time.monotonic() - 1, timeout_error=lambda: TimeoutError("late"))
    with pytest.raises(TimeoutError):
        late.check()


def test_job_queue_keeps_a_lane_for_small_jobs():
    queue = JobQueue()
    queue.put("big", small=False)
    queue.put("small", small=True)
    assert queue.get(small_only=False) == "small"  # small first
    got: List[Optional[str]] = []
    lane = threading.Thread(target=lambda: got.append(queue.get(small_only=True)))
    lane.start()
    time.sleep(0.05)
    assert not got  # the small-only worker does not take the big job
    assert queue.get(small_only=False) == "big"
    queue.close()
    lane.join(5)
    assert got == [None]


def test_real_simulator_stops_between_gates():
    calls = []

    def stop():
        calls.append(1)
        if len(calls) == 5:
            raise Aborted()

    with pytest.raises(Aborted):
        simulator.execute(h_body(4, gates_per_qubit=10), stop=stop)
    assert len(calls) == 5  # stopped at the 5th gate of 40
    noisy = dict(h_body(3, gates_per_qubit=20), noise={"model": "aria-1", "seed": 1}, shots=200)
    calls.clear()
    with pytest.raises(Aborted):
        simulator.execute(noisy, stop=stop)


def test_resource_estimate_grows_with_width():
    small, work_small = simulator.resource_estimate(h_body(10))
    big, work_big = simulator.resource_estimate(h_body(14))
    assert big == 16 * small and work_big > work_small > 0
    assert simulator.resource_estimate({"input": 5}) == (0, 0)


# ----------------------------------------------------------------------------- over HTTP
def test_29_qubit_job_is_refused_at_submission_when_it_cannot_fit():
    """The simulator target advertises 29 qubits: the budget, not a fixed cap, decides, and
    a job that can never fit is refused before it exists (HTTP 400), not failed later."""
    need = simulator.resource_estimate(h_body(29))[0]
    assert 4 << 30 < need < 6 << 30  # complex64 state (4 GiB), in place, result arrays
    with IonQEmulator(max_memory="1G") as emu, session() as http:
        response = http.post(f"{emu.url}/jobs", json=h_body(29))
        assert response.status_code == 400
        message = response.json()["message"]
        assert "MemoryLimitExceeded" in message and "1.0 GiB" in message
        assert "5.1 GiB" in message  # what it would need
        assert emu._manager.budget.used == 0
        assert http.get(f"{emu.url}/jobs").json()["jobs"] == []


def test_jobs_share_the_budget_without_exceeding_it():
    need = simulator.resource_estimate(h_body(12))[0]
    with IonQEmulator(max_memory=int(need * 1.5), workers=3) as emu, session() as http:
        ids = [create(http, emu, h_body(12))["id"] for _ in range(4)]
        for job_id in ids:
            job = wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed", "failed"}, 30)
            assert job["status"] == "completed"
        assert emu._manager.budget.peak <= int(need * 1.5)  # one at a time


@pytest.mark.parametrize("how", ["cancel", "delete"])
def test_cancel_or_delete_stops_the_simulation(how):
    sim = StoppableSimulator()
    with IonQEmulator(simulator=sim, workers=1) as emu, session() as http:
        job = create(http, emu, job_body(settings={"fake": "spin"}))["id"]
        deadline = time.monotonic() + 5
        while job not in emu._manager._aborts and time.monotonic() < deadline:
            time.sleep(0.01)
        if how == "cancel":
            assert http.put(f"{emu.url}/jobs/{job}/status/cancel").json()["status"] == "canceled"
        else:
            assert http.delete(f"{emu.url}/jobs/{job}").status_code == 200
        # the only worker is free again: the next job completes
        nxt = create(http, emu)["id"]
        done = wait_status(http, f"{emu.url}/jobs/{nxt}", {"completed"}, 10)
        assert done["status"] == "completed"
        assert sim.stopped == ["Aborted"]


def test_time_limit_fails_the_job():
    sim = StoppableSimulator()
    with IonQEmulator(simulator=sim, max_job_seconds=0.2) as emu, session() as http:
        job = create(http, emu, job_body(settings={"fake": "spin"}))["id"]
        done = wait_status(http, f"{emu.url}/jobs/{job}", {"failed", "completed"}, 10)
        assert done["status"] == "failed" and done["failure"]["code"] == "SimulationTimeout"
        assert "0.2 s" in done["failure"]["error"]


def test_small_jobs_do_not_wait_behind_big_ones():
    sim = StoppableSimulator()
    try:
        with IonQEmulator(simulator=sim, workers=2, max_memory=1 << 50) as emu, session() as http:
            bigs = [create(http, emu, job_body(settings={"fake": "big"}))["id"] for _ in range(3)]
            small = create(http, emu)["id"]
            assert wait_status(http, f"{emu.url}/jobs/{small}", {"completed"}, 10)["status"] == (
                "completed"
            )
            assert sim.running_big == 1  # one worker is kept for small jobs
            sim.big_gate.set()
            for job_id in bigs:
                assert wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed"}, 10)[
                    "status"
                ] == ("completed")
    finally:
        sim.big_gate.set()


def test_finished_jobs_do_not_keep_their_request():
    with IonQEmulator(simulator=FakeSimulator()) as emu, session() as http:
        job = create(http, emu)["id"]
        wait_status(http, f"{emu.url}/jobs/{job}", {"completed"})
        assert emu._manager.store.get(job, full=True)["body"] is None
        refused = create(http, emu, job_body(input={"circuit": [], "qubits": 99}))["id"]
        assert emu._manager.store.get(refused, full=True)["body"] is None


def test_cli_max_memory(capsys):
    parser = cli.argparse.ArgumentParser()
    cli.add_arguments(parser)
    assert parser.parse_args(["--max-memory", "512M"]).max_memory == 512 << 20
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-memory", "lots"])
    assert "not a size" in capsys.readouterr().err
    with pytest.raises(ValueError, match="max_memory"):
        IonQEmulator(max_memory=0)
    with pytest.raises(ValueError, match="max_job_seconds"):
        IonQEmulator(max_job_seconds=float("inf"))


def test_a_waiting_big_request_is_not_kept_as_parsed_objects():
    """A parsed 20k-gate request is ~25x its JSON size; a waiting job keeps ~1x."""
    import gc
    import json
    import tracemalloc

    gates = [{"gate": "rx", "targets": [i % 8], "rotation": 0.1 + i * 1e-6} for i in range(20_000)]
    body = dict(h_body(8), input={"format": "ionq.circuit.v0", "qubits": 8, "circuit": gates})
    raw = json.dumps(body).encode()
    with IonQEmulator(job_delays={"submitted": 60}) as emu, session() as http:
        http.get(f"{emu.url}/backends")
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            job = http.post(f"{emu.url}/jobs", data=raw).json()["id"]
            gc.collect()
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert held - before < 3 * len(raw), (held - before, len(raw))
        assert http.get(f"{emu.url}/jobs/{job}").json()["status"] == "submitted"
        emu.job_delays = None
        emu._manager._leave(job, "submitted")  # let it run now: the text is parsed again
        done = wait_status(http, f"{emu.url}/jobs/{job}", {"completed", "failed"}, 30)
        assert done["status"] == "completed" and done["gate_counts"]["1q"] == 20_000
