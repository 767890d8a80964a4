"""HTTP API of the emulator over real sockets: job routes, results, lists, cancel/delete,
lifecycle, characterizations and the admin routes."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from test_server_support import (
    FakeSimulator,
    assert_error,
    create,
    job_body,
    multi_body,
    session,
    wait_status,
)

from qiskit_ionq.emulator import IonQEmulator


# ----------------------------------------------------------------------------- create
@pytest.mark.parametrize(
    "body, fragment",
    [
        ([1, 2], "JSON object"),
        ({"shots": 10, "input": {"circuit": []}}, "target"),
        (job_body(target="qpu.nonexistent"), "target"),
        (job_body(shots=0), "shots"),
        (job_body(shots=-5), "shots"),
        (job_body(shots="abc"), "shots"),
        (job_body(shots=1.5), "shots"),
        (job_body(shots=True), "shots"),
        (job_body(shots=10**9), "shots"),
        ({"target": "simulator", "shots": 10}, "input"),
        (job_body(input=[{"circuit": []}]), "input"),
        (job_body(metadata="x"), "metadata"),
    ],
)
def test_create_bad_request(emu, http, body, fragment):
    error = assert_error(http.post(f"{emu.url}/jobs", json=body), 400)
    assert fragment in error["message"]
    assert emu.stats()["jobs_created"] == 0


def test_create_invalid_json(emu, http):
    assert_error(http.post(f"{emu.url}/jobs", data=b"{not json"), 400)
    assert_error(http.post(f"{emu.url}/jobs", data=b"\xff\xfe"), 400)


def test_create_answer_and_completed_job_object(emu, http):
    before = int(time.time())
    created = create(http, emu, job_body(x=(1,)))
    assert set(created) == {"id", "status", "request"}
    assert created["status"] == "ready" and before <= created["request"] <= time.time()
    job = http.get(f"{emu.url}/jobs/{created['id']}").json()  # fast mode: already done
    assert job["status"] == "completed"
    assert job["id"] == created["id"] and job["request"] == created["request"]
    assert job["target"] == "simulator" and job["name"] == "bell" and job["shots"] == 100
    assert job["metadata"] == {"shots": "100", "sampler_seed": "None"}
    assert job["noise"] == {"model": "ideal"}
    assert job["registers"] == {"meas_mapped": [0, 1]}
    assert job["type"] == "circuit" and job["circuits"] == 1 and job["children"] == []
    assert isinstance(job["execution_time"], int)
    assert job["predicted_execution_time"] == 7
    assert job["qubits"] == 2 and job["gate_counts"] == {"1q": 1, "2q": 0}
    assert job["start"] <= job["response"]
    assert job["results_url"] == f"/v0.3/jobs/{created['id']}/results"
    assert "failure" not in job and "warning" not in job
    results = http.get(f"http://127.0.0.1:{emu.port}{job['results_url']}").json()
    assert results == {"2": 1.0}


def test_echo_fields(emu, http):
    body = job_body(
        shots="200",  # Cirq sends a string
        noise={"model": "aria-1", "seed": 3},
        error_mitigation={"debias": False},
        settings={"anything": [1, 2]},
        metadata=None,
        extra_unknown_key=True,
    )
    del body["registers"]
    job = http.get(f"{emu.url}/jobs/{create(http, emu, body)['id']}").json()
    assert job["shots"] == 200
    assert job["noise"] == {"model": "aria-1", "seed": 3}
    assert job["error_mitigation"] == {"debias": False}
    assert job["settings"] == {"anything": [1, 2]}
    assert job["metadata"] is None
    assert "registers" not in job and "extra_unknown_key" not in job


def test_qpu_target_has_no_default_noise(emu, http):
    job = http.get(f"{emu.url}/jobs/{create(http, emu, job_body(target='qpu'))['id']}").json()
    assert job["target"] == "qpu" and "noise" not in job


def test_include_exclude(emu, http):
    job_id = create(http, emu)["id"]
    only = http.get(f"{emu.url}/jobs/{job_id}", params={"include": "status,target"}).json()
    assert only == {"id": job_id, "status": "completed", "target": "simulator"}
    rest = http.get(f"{emu.url}/jobs/{job_id}", params={"exclude": "metadata,id"}).json()
    assert "metadata" not in rest and rest["id"] == job_id


def test_validation_failure_answers_200_then_failed(emu, http):
    for body, code in [
        (job_body(qubits=40), "NotEnoughQubits"),
        (job_body(input={"qubits": 2}), "PreflightError"),
    ]:
        created = create(http, emu, body)
        assert created["status"] == "ready"
        job = http.get(f"{emu.url}/jobs/{created['id']}").json()
        assert job["status"] == "failed"
        assert job["failure"]["code"] == code and job["failure"]["error"]
        assert "results_url" not in job and "execution_time" not in job
        error = assert_error(http.get(f"{emu.url}/jobs/{created['id']}/results"), 400)
        assert "failed" in error["message"] and code in error["message"]


@pytest.mark.parametrize("mode, code", [("fail", "SimulationError"), ("crash", "SimulationError")])
def test_runtime_failure(emu, http, mode, code):
    job_id = create(http, emu, job_body(settings={"fake": mode}))["id"]
    job = wait_status(http, f"{emu.url}/jobs/{job_id}", {"failed"})
    assert job["status"] == "failed" and job["failure"]["code"] == code
    assert "Traceback" not in job["failure"]["error"]


def test_warnings(emu, http):
    job = http.get(
        f"{emu.url}/jobs/"
        + create(http, emu, job_body(settings={"emulator_warnings": ["w1"]}))["id"]
    ).json()
    assert job["warning"] == {"messages": ["w1"]}
    emu.set_job_warnings(["global"])
    job = http.get(f"{emu.url}/jobs/{create(http, emu)['id']}").json()
    assert job["warning"] == {"messages": ["global"]}
    emu.set_job_warnings(None)
    assert "warning" not in http.get(f"{emu.url}/jobs/{create(http, emu)['id']}").json()


def test_seed_is_passed_per_job():
    sim = FakeSimulator()
    with IonQEmulator(simulator=sim, seed=100) as emulator:
        http = session()
        for _ in range(2):
            wait_status(http, f"{emulator.url}/jobs/{create(http, emulator)['id']}", {"completed"})
    assert sim.seeds == [101, 102]


# ----------------------------------------------------------------------------- results
@pytest.mark.parametrize("value", ["True", "true", "TRUE", "False", "false", "1", "0"])
def test_results_sharpen_values(emu, http, value):
    job_id = create(http, emu, job_body(x=(0,)))["id"]
    wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed"})
    response = http.get(f"{emu.url}/jobs/{job_id}/results", params={"sharpen": value})
    assert response.status_code == 200 and response.json() == {"1": 1.0}


def test_results_bad_sharpen_and_unknown_job(emu, http):
    job_id = create(http, emu)["id"]
    assert_error(http.get(f"{emu.url}/jobs/{job_id}/results", params={"sharpen": "maybe"}), 400)
    assert_error(http.get(f"{emu.url}/jobs/nope/results"), 404)


def test_results_before_completion_is_400(sim, http):
    with IonQEmulator(simulator=sim, job_delays={"ready": 5}) as emulator:
        job_id = create(http, emulator)["id"]
        error = assert_error(http.get(f"{emulator.url}/jobs/{job_id}/results"), 400)
        assert "ready" in error["message"] and "completed" in error["message"]


# ----------------------------------------------------------------------------- multi-circuit
def test_multi_circuit_children(emu, http):
    parent_id = create(http, emu, multi_body(4))["id"]
    parent = wait_status(http, f"{emu.url}/jobs/{parent_id}", {"completed"})
    assert parent["circuits"] == 4 and len(parent["children"]) == 4
    assert parent["name"] == "4 circuits" and "registers" not in parent
    for i, child_id in enumerate(parent["children"]):
        child = http.get(f"{emu.url}/jobs/{child_id}").json()
        assert child["status"] == "completed" and child["name"] == f"c{i}"
        assert child["registers"] == {"meas_mapped": [i % 3, 0]}
        assert child["parent_job_id"] == parent_id and child["children"] == []
        assert http.get(f"{emu.url}/jobs/{child_id}/results").json() == {str(i): 1.0}
    results = http.get(f"{emu.url}/jobs/{parent_id}/results").json()
    assert list(results) == parent["children"]  # submission order, never re-sorted
    assert [results[c] for c in parent["children"]] == [{str(i): 1.0} for i in range(4)]
    listed = http.get(f"{emu.url}/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [parent_id]  # children are not listed


def test_cancel_child_cancels_family_and_delete_parent_deletes_children(sim, http):
    with IonQEmulator(simulator=sim, job_delays={"ready": 5}) as emulator:
        parent = create(http, emulator, multi_body(2))["id"]
        children = http.get(f"{emulator.url}/jobs/{parent}").json()["children"]
        assert http.put(f"{emulator.url}/jobs/{children[0]}/status/cancel").json() == {
            "id": children[0],
            "status": "canceled",
        }
        for job_id in (parent, *children):
            assert http.get(f"{emulator.url}/jobs/{job_id}").json()["status"] == "canceled"
        assert http.delete(f"{emulator.url}/jobs/{parent}").status_code == 200
        for job_id in (parent, *children):
            assert_error(http.get(f"{emulator.url}/jobs/{job_id}"), 404)


# ----------------------------------------------------------------------------- list
def test_list_newest_first_pagination_and_filters(emu, http):
    ids = [create(http, emu)["id"] for _ in range(5)]
    failed = create(http, emu, job_body(qubits=40))["id"]
    page = http.get(f"{emu.url}/jobs").json()
    assert [j["id"] for j in page["jobs"]] == [failed, *reversed(ids)]
    assert "next" not in page
    assert page["jobs"][0]["status"] == "failed"

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"next": cursor} if cursor else {})}
        page = http.get(f"{emu.url}/jobs", params=params).json()
        assert len(page["jobs"]) <= 2
        seen += [j["id"] for j in page["jobs"]]
        cursor = page.get("next")
        if cursor is None:
            break
    assert seen == [failed, *reversed(ids)]

    # Cirq sends the page size as a JSON body on the GET
    page = http.get(f"{emu.url}/jobs", json={"limit": 3}).json()
    assert len(page["jobs"]) == 3 and page["next"] == ids[2]

    only_failed = http.get(f"{emu.url}/jobs", params={"status": "failed"}).json()["jobs"]
    assert [j["id"] for j in only_failed] == [failed]
    picked = http.get(f"{emu.url}/jobs", params=[("id", ids[0]), ("id", ids[3])]).json()
    assert [j["id"] for j in picked["jobs"]] == [ids[3], ids[0]]
    comma = http.get(f"{emu.url}/jobs", params={"id": f"{ids[1]},{ids[2]}"}).json()
    assert {j["id"] for j in comma["jobs"]} == {ids[1], ids[2]}


@pytest.mark.parametrize(
    "params", [{"status": "done"}, {"limit": "0"}, {"limit": "x"}, {"next": "no-such-job"}]
)
def test_list_bad_params(emu, http, params):
    assert_error(http.get(f"{emu.url}/jobs", params=params), 400)


def test_list_cursor_survives_deleted_job(emu, http):
    ids = [create(http, emu)["id"] for _ in range(4)]
    page = http.get(f"{emu.url}/jobs", params={"limit": 2}).json()
    http.delete(f"{emu.url}/jobs/{page['next']}")
    rest = http.get(f"{emu.url}/jobs", params={"limit": 2, "next": page["next"]}).json()
    assert [j["id"] for j in rest["jobs"]] == [ids[0]]


# ----------------------------------------------------------------------------- cancel / delete
def test_cancel_pending_job_then_it_stays_canceled(sim, http):
    sim.gate = threading.Event()
    with IonQEmulator(simulator=sim, get_wait=0.05) as emulator:
        job_id = create(http, emulator)["id"]
        assert http.get(f"{emulator.url}/jobs/{job_id}").json()["status"] == "running"
        answer = http.put(f"{emulator.url}/jobs/{job_id}/status/cancel")
        assert answer.status_code == 200
        assert answer.json() == {"id": job_id, "status": "canceled"}
        sim.gate.set()  # the simulation finishes after the cancel: result discarded
        time.sleep(0.05)
        job = http.get(f"{emulator.url}/jobs/{job_id}").json()
        assert job["status"] == "canceled" and "results_url" not in job
        assert_error(http.get(f"{emulator.url}/jobs/{job_id}/results"), 400)


def test_cancel_completed_job_is_a_no_op(emu, http):
    job_id = create(http, emu)["id"]
    wait_status(http, f"{emu.url}/jobs/{job_id}", {"completed"})
    answer = http.put(f"{emu.url}/jobs/{job_id}/status/cancel").json()
    assert answer == {"id": job_id, "status": "completed"}
    assert http.get(f"{emu.url}/jobs/{job_id}/results").status_code == 200
    assert_error(http.put(f"{emu.url}/jobs/unknown/status/cancel"), 404)


def test_cancel_many(sim, http):
    with IonQEmulator(simulator=sim, job_delays={"submitted": 5}) as emulator:
        pending = [create(http, emulator)["id"] for _ in range(2)]
        assert_error(http.put(f"{emulator.url}/jobs/status/cancel", json={}), 400)
        assert_error(http.put(f"{emulator.url}/jobs/status/cancel", json={"ids": "x"}), 400)
        error = assert_error(
            http.put(f"{emulator.url}/jobs/status/cancel", json={"ids": [pending[0], "nope"]}),
            404,
        )
        assert "nope" in error["message"]
        assert http.get(f"{emulator.url}/jobs/{pending[0]}").json()["status"] == "submitted"
        answer = http.put(f"{emulator.url}/jobs/status/cancel", json={"ids": pending}).json()
        assert answer["ids"] == pending and answer["status"] == "canceled"
        assert [j["status"] for j in answer["jobs"]] == ["canceled", "canceled"]


def test_delete_then_404_everywhere(emu, http):
    job_id = create(http, emu)["id"]
    assert http.delete(f"{emu.url}/jobs/{job_id}").json() == {"id": job_id, "status": "deleted"}
    assert_error(http.get(f"{emu.url}/jobs/{job_id}"), 404)
    assert_error(http.get(f"{emu.url}/jobs/{job_id}/results"), 404)
    assert_error(http.put(f"{emu.url}/jobs/{job_id}/status/cancel"), 404)
    assert_error(http.delete(f"{emu.url}/jobs/{job_id}"), 404)
    assert http.get(f"{emu.url}/jobs").json()["jobs"] == []


def test_delete_many_by_query_and_body(emu, http):
    ids = [create(http, emu)["id"] for _ in range(4)]
    answer = http.delete(f"{emu.url}/jobs", params=[("ids", ids[0]), ("ids", ids[1])]).json()
    assert answer == {"ids": ids[:2], "status": "deleted"}
    assert http.delete(f"{emu.url}/jobs", json={"ids": ids[2:]}).json()["ids"] == ids[2:]
    for job_id in ids:
        assert_error(http.get(f"{emu.url}/jobs/{job_id}"), 404)
    assert_error(http.delete(f"{emu.url}/jobs"), 400)
    assert_error(http.delete(f"{emu.url}/jobs", json={"ids": [1, 2]}), 400)
    assert_error(http.delete(f"{emu.url}/jobs", json={"ids": ids[:1]}), 404)


# ----------------------------------------------------------------------------- lifecycle
def test_lifecycle_order_with_delays(sim, http):
    with IonQEmulator(simulator=sim, job_delays=0.15) as emulator:
        job_id = create(http, emulator)["id"]
        seen = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            job = http.get(f"{emulator.url}/jobs/{job_id}").json()
            if not seen or seen[-1] != job["status"]:
                seen.append(job["status"])
            if job["status"] == "running":
                assert "start" in job
            if job["status"] == "completed":
                break
            time.sleep(0.01)
        assert seen == ["submitted", "ready", "running", "completed"]
        assert job["execution_time"] >= 140  # the running phase lasted at least 0.15 s


def test_delayed_validation_failure(sim, http):
    with IonQEmulator(simulator=sim, job_delays={"submitted": 0.1}) as emulator:
        job_id = create(http, emulator, job_body(qubits=40))["id"]
        assert http.get(f"{emulator.url}/jobs/{job_id}").json()["status"] == "submitted"
        job = wait_status(http, f"{emulator.url}/jobs/{job_id}", {"failed"})
        assert job["failure"]["code"] == "NotEnoughQubits"


def test_job_delays_can_change_at_runtime(emu, http):
    emu.job_delays = {"ready": 5}
    job_id = create(http, emu)["id"]
    assert http.get(f"{emu.url}/jobs/{job_id}").json()["status"] == "ready"
    emu.job_delays = None
    assert emu.job_delays.zero


def test_slow_simulation_blocks_neither_requests_nor_stop(sim, http):
    sim.gate = threading.Event()
    emulator = IonQEmulator(simulator=sim, get_wait=0.05).start()
    try:
        job_id = create(http, emulator)["id"]
        started = time.monotonic()
        assert http.get(f"{emulator.url}/backends").status_code == 200
        assert http.get(f"{emulator.url}/jobs/{job_id}").json()["status"] == "running"
        assert time.monotonic() - started < 1
    finally:
        started = time.monotonic()
        emulator.stop()  # the simulation is still blocked
        assert time.monotonic() - started < 2
        sim.gate.set()


# ----------------------------------------------------------------------------- characterizations
def test_characterizations(emu, http):
    current = http.get(f"{emu.url}/characterizations/backends/qpu.forte-1/current").json()
    assert current["backend"] == "qpu.forte-1" and current["qubits"] == 36
    assert isinstance(current["date"], int) and current["date"] <= time.time()
    assert len(current["connectivity"]) == 36 * 35 // 2
    assert set(current["fidelity"]) == {"1q", "2q", "spam"}
    assert set(current["fidelity"]["spam"]) == {"mean", "stderr", "median"}
    assert set(current["timing"]) == {"t1", "t2", "1q", "2q", "readout", "reset"}
    same = http.get(f"{emu.url}/characterizations/{current['id']}").json()
    assert same == current
    assert_error(http.get(f"{emu.url}/characterizations/backends/simulator/current"), 404)
    assert_error(http.get(f"{emu.url}/characterizations/nope"), 404)

    base = f"{emu.url}/characterizations/backends/qpu.aria-1"
    first = http.get(base).json()
    assert len(first["characterizations"]) == 10 and first["pages"] == 2
    third = http.get(base, params={"page": 3}).json()
    assert third["pages"] == 0
    dates = [c["date"] for c in first["characterizations"]]
    assert dates == sorted(dates, reverse=True)
    window = http.get(
        base, params={"start": dates[2] * 1000, "end": dates[0] * 1000, "limit": 5}
    ).json()
    assert [c["date"] for c in window["characterizations"]] == dates[:3]
    for params in ({"limit": 11}, {"limit": 0}, {"page": 0}, {"start": "x"}):
        assert_error(http.get(base, params=params), 400)
    assert_error(http.get(f"{emu.url}/characterizations/backends/qpu.nope"), 404)
    legacy = http.get(f"{emu.url}/calibrations/current").json()
    assert legacy["target"] == "qpu.aria-1" and "T" in legacy["date"]


# ----------------------------------------------------------------------------- admin / python API
def test_stats_and_duplicate_detection(emu, http):
    admin = f"http://127.0.0.1:{emu.port}/_emulator"
    for sid in ("a", "a", "a", "b", None):
        metadata = {"shots": "100"} if sid is None else {"qiskit_ionq_submission_id": sid}
        create(http, emu, job_body(metadata=metadata))
    http.get(f"{emu.url}/jobs/nope")
    stats = requests.get(f"{admin}/stats").json()
    assert stats["jobs_created"] == 5
    assert stats["duplicates"] == {"a": 3} and stats["duplicate_jobs"] == 2
    assert stats["submission_ids"] == 2
    assert stats["requests"]["POST /jobs"] == {"200": 5}
    assert stats["requests"]["GET /jobs/{id}"] == {"404": 1}
    assert stats == {
        **emu.stats(),
        "requests": stats["requests"],
        "requests_total": stats["requests_total"],
    }
    assert requests.post(f"{admin}/reset").json() == {"status": "reset"}
    after = emu.stats()
    assert after["jobs_created"] == 0 and after["duplicates"] == {}
    assert http.get(f"{emu.url}/jobs").json()["jobs"] == []
    assert_error(requests.get(f"{admin}/nope"), 404)
    assert_error(requests.put(f"{admin}/stats"), 405)


def test_python_api_get_job_and_job_ids(emu, http):
    ids = [create(http, emu)["id"] for _ in range(3)]
    assert emu.job_ids() == list(reversed(ids))
    assert emu.get_job(ids[0])["id"] == ids[0]
    assert emu.get_job("missing") is None


def test_provider_is_wired_lazily(emu, monkeypatch):
    import qiskit_ionq

    captured = {}

    class FakeProvider:
        def __init__(self, **kwargs):
            captured.update(kwargs)

    monkeypatch.setattr(qiskit_ionq, "IonQProvider", FakeProvider, raising=False)
    emu.provider(custom_headers={"X": "1"})
    assert captured == {"token": "emulator", "url": emu.url, "custom_headers": {"X": "1"}}


def test_memory_jobs_survive_stop_start_of_same_object(sim, http):
    emulator = IonQEmulator(simulator=sim).start()
    job_id = create(http, emulator)["id"]
    emulator.stop()
    emulator.start()
    try:
        assert http.get(f"{emulator.url}/jobs/{job_id}").json()["status"] == "completed"
    finally:
        emulator.stop()


# ----------------------------------------------------------------------------- real simulator
def test_with_the_real_simulator(http):
    """End to end with the statevector simulator: Bell pair, multi-circuit, failures.

    (Speed is measured by benchmarks/bench_emulator.py, not asserted here.)"""
    pytest.importorskip("qiskit_ionq.emulator.simulation.simulator")
    bell = job_body()
    bell["input"]["circuit"] = [
        {"gate": "h", "targets": [0]},
        {"gate": "x", "controls": [0], "targets": [1]},
    ]
    with IonQEmulator() as emulator:
        for _ in range(20):
            job_id = create(http, emulator, bell)["id"]
            job = http.get(f"{emulator.url}/jobs/{job_id}").json()
            results = http.get(f"{emulator.url}/jobs/{job_id}/results").json()
            assert job["status"] == "completed", job
        assert set(results) == {"0", "3"}
        assert results["0"] == pytest.approx(0.5) and results["3"] == pytest.approx(0.5)
        assert job["gate_counts"] == {"1q": 1, "2q": 1} and job["qubits"] == 2

        parent = create(http, emulator, multi_body(3))["id"]
        job = wait_status(http, f"{emulator.url}/jobs/{parent}", {"completed"})
        results = http.get(f"{emulator.url}/jobs/{parent}/results").json()
        assert list(results) == job["children"]
        assert list(results.values()) == [{"0": 1.0}, {"1": 1.0}, {"2": 1.0}]

        bad = job_body(input={"qubits": 2, "circuit": [{"gate": "bogus", "targets": [0]}]})
        job_id = create(http, emulator, bad)["id"]
        job = wait_status(http, f"{emulator.url}/jobs/{job_id}", {"failed"})
        assert job["failure"]["code"] == "PreflightError"
